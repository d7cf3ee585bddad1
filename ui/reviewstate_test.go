package ui

import (
	"strings"
	"testing"

	"liverseg/scan"
	"liverseg/ui/internal/synthvol"
	"liverseg/viewer"
)

// The review's state works without a window: these tests make no Fyne app.

func TestReviewStateLayers(t *testing.T) {
	v := synthvol.Volume()
	st := newReviewState(&scan.SeriesEntry{Series: v.Series, Dims: v.Dims}, v, overlayLook{opacity: 0.5})
	if l := st.mainLayers(); l.truth.Mask != nil || l.pred.Mask != nil || l.difference.Enabled {
		t.Fatalf("no labels yet, layers %+v", l)
	}
	st.truth, st.pred = synthvol.Masks(v)
	st.difference, st.uncertainty = true, viewer.UncertaintyBand
	l := st.mainLayers()
	if l.truth.Mask != st.truth || l.pred.Mask != st.pred || l.truth.Opacity != 0.5 || !l.difference.Enabled {
		t.Errorf("both labels, difference on: layers %+v", l)
	}
	if l.uncertainty.Mode != viewer.UncertaintyOff {
		t.Error("an uncertainty layer without a probability map")
	}
	st.showTruth = false
	flipMode(&st.predMode)
	if l := st.mainLayers(); l.truth.Mask != nil || l.pred.Mode != viewer.Outline {
		t.Errorf("truth off, prediction outlined: layers %+v", l)
	}
	// The panels show their label whatever the single view's switches say.
	p := st.panelLayers()
	if p[0].truth.Mask != nil || p[0].pred.Mask != nil || p[1].truth.Mask != st.truth || p[1].pred.Mask != nil ||
		p[2].pred.Mask != st.pred || p[2].truth.Mask != nil {
		t.Errorf("panel layers %+v", p)
	}
	st.addOpacity(0.7)
	if st.opacity != 1 {
		t.Errorf("opacity %v, want 1 at most", st.opacity)
	}
}

func TestReviewStateFiguresAndDisagreements(t *testing.T) {
	v := synthvol.Volume()
	st := newReviewState(&scan.SeriesEntry{Series: v.Series, Dims: v.Dims}, v, overlayLook{opacity: 0.45})
	if text, ok := st.volumeFiguresText(); !ok || !strings.Contains(text, "Run the model") {
		t.Errorf("no labels: %q", text)
	}
	st.truth, st.pred = synthvol.Masks(v)
	if _, ok := st.volumeFiguresText(); ok {
		t.Error("both labels, no figures yet: the text shown should stay")
	}
	m, err := scan.Compare(st.truth, st.pred, v.VoxelVolumeML())
	if err != nil {
		t.Fatal(err)
	}
	st.takeMetrics(m)
	if text, _ := st.volumeFiguresText(); !strings.Contains(text, "Dice 0.") {
		t.Errorf("figures %q", text)
	}
	if note := st.disagreementNote(); note != "4 slices differ." {
		t.Errorf("note %q", note)
	}
	if text := st.sliceFiguresText(10); !strings.HasPrefix(text, "slice 11:") || !strings.Contains(text, "false positive 4") {
		t.Errorf("slice 11: %q", text)
	}
	// From off the list the first step goes to the worst slice; then it walks, clamped.
	if i, ok := st.stepDisagreement(0, 1); !ok || i != 0 {
		t.Errorf("first step: entry %d", i)
	}
	cur := st.disagree[0].Slice
	for _, want := range []int{1, 2, 3, 3} {
		i, _ := st.stepDisagreement(cur, 1)
		if i != want {
			t.Errorf("step to entry %d, want %d", i, want)
		}
		cur = st.disagree[i].Slice
	}
	if i, _ := st.stepDisagreement(cur, -1); i != 2 {
		t.Errorf("step back to entry %d, want 2", i)
	}
}
