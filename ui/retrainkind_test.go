package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/inference"
	"liverseg/training"
)

// TestRetrainKindAndClickTable: the retrain dialog makes an automatic model unless told, an
// interactive one when chosen, and shows an interactive result as the Dice against clicks with
// the automatic Dice and the no-click agreement.
func TestRetrainKindAndClickTable(t *testing.T) {
	test.NewTempApp(t)
	p := &retrainPanel{}
	if p.chosenKind() != inference.KindAutomatic {
		t.Fatalf("no choice: %q", p.chosenKind())
	}
	p.kind = widget.NewRadioGroup([]string{retrainKinds[0].label, retrainKinds[1].label}, nil)
	p.kind.SetSelected(retrainKinds[1].label)
	if p.chosenKind() != inference.KindInteractive {
		t.Fatalf("interactive chosen: %q", p.chosenKind())
	}
	c := &training.ClickCurve{Counts: []int{0, 1, 5}, Encoding: inference.ClickDisk, RadiusMM: 5,
		Splits: map[string]training.ClickSplit{"val": {Slices: 219, Dice: []float64{0.9632, 0.9645, 0.9669}, AutoDice: 0.963, NoClickAgreement: 0.9905}}}
	var texts []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			texts = append(texts, w.Text)
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		}
	}
	walk(clickCurveTable(c))
	all := strings.Join(texts, "|")
	for _, want := range []string{"|5|0.9669", "0.9630", "0.9905", "219 held-out slices", "disk of 5 mm"} {
		if !strings.Contains(all, want) {
			t.Errorf("the click table %q lacks %q", all, want)
		}
	}
	walk(clickCurveTable(&training.ClickCurve{}))
	if !strings.Contains(strings.Join(texts, "|"), "No held-out case") {
		t.Error("a curve without held-out cases does not say so")
	}
}
