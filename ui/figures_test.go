package ui

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/scan/nifti"
	"liverseg/training"
	"liverseg/ui/internal/synthvol"
)

// TestReviewSurfaceFigures: loading a truth beside a prediction measures the surface distances in
// the background job (nothing of them before the job's end reaches the Fyne goroutine), with the
// series' spacing, and the volume figures show them; an empty prediction shows the reason instead
// of numbers.
func TestReviewSurfaceFigures(t *testing.T) {
	s, r, q := openReview(t)
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	ended := 0
	s.hooks.onWorkDone = func(string, error) { ended++ }

	truth, pred := synthvol.Masks(r.vol)
	r.pred, r.predName = pred, "model"
	path := filepath.Join(t.TempDir(), "truth.nii.gz")
	if err := nifti.WriteLabel(path, r.vol, truth); err != nil {
		t.Fatal(err)
	}
	r.loadTruth(path, labels.Options{})
	if r.work == nil || r.metrics != nil {
		t.Fatal("loading a truth should score it in a background job")
	}
	drain(t, q, 20*time.Second, "the truth and its figures", func() bool { return ended == 1 })
	if len(errs) > 0 || r.metrics == nil || r.metrics.SurfaceFigures == nil {
		t.Fatalf("figures %+v, errors %v", r.metrics, errs)
	}
	want, err := scan.CompareSurfaces(truth, pred, r.vol.Spacing)
	if err != nil || want.HD95 == nil {
		t.Fatalf("%+v, %v", want, err)
	}
	got := r.metrics.SurfaceFigures
	if got.HD95 == nil || *got.HD95 != *want.HD95 || *got.ASSD != *want.ASSD || *got.NSD2mm != *want.NSD2mm {
		t.Errorf("the review's surface figures %+v, CompareSurfaces through the series' spacing %+v", got, want)
	}
	// The prediction is the truth moved 4 columns of 0.8 mm on three slices, and a stray blob of
	// four voxels: HD95 is the shift, and the blob (over 10 mm away) keeps NSD below 1.
	if !(*got.ASSD > 0 && math.Abs(*got.HD95-3.2) < 1e-6 && *got.NSD2mm > 0.5 && *got.NSD2mm < 1) {
		t.Errorf("surface figures %.3f, %.3f, %.4f", *got.HD95, *got.ASSD, *got.NSD2mm)
	}
	line := fmt.Sprintf("HD95 %.2f mm   ASSD %.2f mm\nNSD@2mm %.4f", *want.HD95, *want.ASSD, *want.NSD2mm)
	if text := r.volFigures.Text; !strings.Contains(text, "Dice 0.") || !strings.Contains(text, line) {
		t.Errorf("volume figures %q, want the surface line %q", text, line)
	}

	// An empty prediction: the reason, no number.
	r.pred = scan.NewMask(r.vol.Dims)
	r.rescore()
	drain(t, q, 20*time.Second, "the figures of an empty prediction", func() bool { return ended == 2 })
	if sf := r.metrics.SurfaceFigures; sf == nil || sf.HD95 != nil || sf.Reason == "" {
		t.Fatalf("empty prediction: %+v", sf)
	}
	if text := r.volFigures.Text; !strings.Contains(text, "surface distances: none\n(no liver in the prediction") || strings.Contains(text, "HD95") {
		t.Errorf("empty prediction: volume figures %q", text)
	}
}

func TestSurfaceFiguresText(t *testing.T) {
	if got := surfaceFiguresText(nil); got != "" {
		t.Errorf("not measured: %q", got)
	}
	reason := "no liver in the truth: no surface to measure from"
	if got := surfaceFiguresText(&scan.SurfaceFigures{Reason: reason}); got != "surface distances: none\n("+reason+")" {
		t.Errorf("empty truth: %q", got)
	}
	hd, assd, nsd := 12.345, 1.2349, 0.91234
	if got := surfaceFiguresText(&scan.SurfaceFigures{HD95: &hd, ASSD: &assd, NSD2mm: &nsd}); got != "HD95 12.35 mm   ASSD 1.23 mm\nNSD@2mm 0.9123" {
		t.Errorf("figures: %q", got)
	}
}

// The retrain dialog's rows: each figure by the old and the new model, its change and whether
// that is for the better (higher Dice and NSD, lower HD95 and ASSD); "none" and a note naming
// the case and the model where a mask was empty.
func TestRetrainScoreRows(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	s := training.CaseScore{CaseID: "c1", OldDice: 0.9512, NewDice: 0.9634,
		OldSurface: scan.SurfaceFigures{HD95: f(7.5), ASSD: f(1.25), NSD2mm: f(0.8)},
		NewSurface: scan.SurfaceFigures{HD95: f(9), ASSD: f(1.0), NSD2mm: f(0.8)}}
	rows, notes := scoreRows(s, " (held out)", "old-1", "new-1")
	want := []scoreRow{
		{"c1 (held out)", "Dice", "0.9512", "0.9634", "+0.0122 (better)"},
		{"", "HD95", "7.50 mm", "9.00 mm", "+1.50 mm (worse)"},
		{"", "ASSD", "1.25 mm", "1.00 mm", "-0.25 mm (better)"},
		{"", "NSD 2 mm", "0.8000", "0.8000", "+0.0000 (same)"},
	}
	if len(rows) != len(want) || len(notes) != 0 {
		t.Fatalf("rows %+v, notes %q", rows, notes)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, rows[i], want[i])
		}
	}
	reason := "no liver in the prediction: no surface to measure"
	s.NewSurface = scan.SurfaceFigures{Reason: reason}
	rows, notes = scoreRows(s, " (trained on)", "old-1", "new-1")
	if rows[1] != (scoreRow{"", "HD95", "7.50 mm", "none", "–"}) || rows[3].New != "none" {
		t.Errorf("empty new prediction: %+v", rows)
	}
	if len(notes) != 1 || notes[0] != "c1, new-1: no surface distances: "+reason {
		t.Errorf("notes %q", notes)
	}
}
