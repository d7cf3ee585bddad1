package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/training"
	"liverseg/ui/sliceview"
	"liverseg/workspace"
)

// This slow test sits in a file of its own that sorts after golden_test.go: Fyne's test driver
// caches renderers by widget address and expires them on a timer, and a minute-long test before
// the golden images once left a stale one (the view painted without its background).

// TestRetrainFromTheGUI runs a real (short) fine-tuning job from the retrain dialog: IRCAD case
// 17, its label saved in the workspace, one epoch of three steps of the built-in model in the
// PyTorch worker; the dialog shows old and new Dice and activates the new model.
func TestRetrainFromTheGUI(t *testing.T) {
	if testing.Short() {
		t.Skip("a real fine-tuning job: not in -short")
	}
	testenv.ORTLibrary(t)
	testenv.Tool(t, "python3") // the worker's interpreter
	dir := testenv.IRCAD(t, 17)
	v, err := scan.LoadVolume(context.Background(), filepath.Join(dir, "PATIENT_DICOM"), "", nil)
	if err != nil {
		t.Skip(err)
	}
	a := test.NewTempApp(t)
	s := newSession(context.Background(), a)
	s.opts = Options{Workspace: t.TempDir(), Layout: LayoutSingle}
	t.Cleanup(s.closeResources)
	t.Cleanup(s.win.Close)
	q := pump(s)
	s.right = container.NewStack()
	s.win.SetContent(s.right)
	sv, err := sliceview.New(v)
	if err != nil {
		t.Fatal(err)
	}
	s.showView(&scan.SeriesEntry{Series: v.Series, Dims: v.Dims}, sv)
	r := s.review
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	truth, err := labels.Load(filepath.Join(dir, "MASKS_DICOM", "liver"), v, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.SaveLabel(context.Background(), r.caseID, v, truth, workspace.OriginManual, 0, "", "test"); err != nil {
		t.Fatal(err)
	}
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	r.showRetrain()
	p := r.retrain
	params := training.FineTuneParams()
	params.Epochs, params.MaxStepsPerEpoch = 1, 3
	s.hooks.retrainParams = &params
	p.train[r.caseID].SetChecked(true)
	var res *training.FineTuneResult
	s.hooks.onRetrained = func(fr *training.FineTuneResult) { res = fr }
	p.run()
	drain(t, q, 10*time.Minute, "the job", func() bool { return res != nil || len(errs) > 0 })
	if len(errs) > 0 {
		t.Fatalf("fine-tuning from the GUI: %v", errs[0])
	}
	if len(res.TrainScores) != 1 || res.TrainScores[0].OldDice < 0.9 || res.TrainScores[0].NewDice < 0.9 {
		t.Errorf("scores %+v", res.TrainScores)
	}
	t.Logf("case 17 Dice: old %.4f, new %.4f", res.TrainScores[0].OldDice, res.TrainScores[0].NewDice)
	// The table has the surface distances of both models: the row of HD95 shows two figures in mm.
	ts := res.TrainScores[0]
	if ts.OldSurface.HD95 == nil || ts.NewSurface.HD95 == nil || *ts.OldSurface.NSD2mm < 0.5 || *ts.NewSurface.NSD2mm < 0.5 {
		t.Errorf("surface figures old %+v, new %+v", ts.OldSurface, ts.NewSurface)
	}
	table := p.result.Objects[0].(*fyne.Container).Objects
	if len(table) != 5*5 || table[5+5+1].(*widget.Label).Text != "HD95" || !strings.HasSuffix(table[5+5+2].(*widget.Label).Text, " mm") {
		t.Errorf("the old/new table has %d cells, want a header and the 4 rows of one case", len(table))
	}
	if len(p.chart.steps) == 0 {
		t.Error("the loss chart got no steps")
	}
	// Activate the new model: it becomes the workspace's active one.
	grid := p.result.Objects[1].(*fyne.Container)
	test.Tap(grid.Objects[0].(*widget.Button))
	m, err := ws.Active(context.Background())
	if err != nil || m == nil || m.Version != res.Version {
		t.Errorf("active model %+v (%v), want %s", m, err, res.Version)
	}
}
