package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2/test"

	"liverseg/scan"
	"liverseg/ui/internal/synthvol"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
)

// TestOverlayLookRemembered: the opacity set by key and a colour picked in one review are those
// of the next review the application opens.
func TestOverlayLookRemembered(t *testing.T) {
	s, r, _ := openReview(t)
	typeRune(r.main, ']') // 0.45 -> 0.6 (steps of a tenth)
	r.truthColor = color.RGBA{10, 20, 30, 255}
	r.saveLook() // what the colour picker's callback does
	sv, err := sliceview.New(synthvol.Volume())
	if err != nil {
		t.Fatal(err)
	}
	next := newReview(s, &scan.SeriesEntry{}, sv)
	if next.opacity != 0.6 || next.truthColor != (color.RGBA{10, 20, 30, 255}) || next.predColor != viewer.ColorPrediction {
		t.Errorf("next review: opacity %v, truth %v, prediction %v; want 0.6, {10 20 30 255}, the default", next.opacity, next.truthColor, next.predColor)
	}
}

func TestOverlayLookBadPreferences(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	p.SetString(prefTruthColour, "#12345") // too short
	p.SetString(prefPredColour, "#gg0000") // not hex
	p.SetFloat(prefOpacity, 7)             // out of range
	def := overlayLook{truth: viewer.ColorTruth, pred: viewer.ColorPrediction, opacity: 0.45}
	if got := loadOverlayLook(p, def); got != def {
		t.Errorf("malformed preferences gave %+v, want the defaults %+v", got, def)
	}
	saveOverlayLook(p, overlayLook{truth: color.RGBA{1, 2, 254, 255}, pred: color.RGBA{255, 0, 128, 255}, opacity: 0.3})
	if got := loadOverlayLook(p, def); got.truth != (color.RGBA{1, 2, 254, 255}) || got.pred != (color.RGBA{255, 0, 128, 255}) || got.opacity != 0.3 {
		t.Errorf("saved and read back: %+v", got)
	}
}
