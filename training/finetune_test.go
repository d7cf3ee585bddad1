package training

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liverseg/inference"
	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/workspace"
)

// The fine-tuning tests start from the built-in model (its weights read from ONNX) on IRCAD case
// 1 with its reference mask as the workspace label, and stop the worker after a step or two: the
// whole job, end to end, is cli/finetune_e2e_test.go.

// ircadWorkspace opens a workspace in a temporary folder with IRCAD case n as a case whose label
// (version 1, manual) is the IRCAD liver mask; it returns the workspace, the case ID and the volume.
func ircadWorkspace(t *testing.T, n int) (*workspace.Workspace, string, *scan.Volume) {
	t.Helper()
	ctx := context.Background()
	v, truth := loadIRCAD(t, n)
	ws, err := workspace.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	c, err := ws.EnsureCase(ctx, workspace.SeriesCase(&v.Series))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.SaveLabel(ctx, c.ID, v, truth, workspace.OriginImported, 0, "", "test"); err != nil {
		t.Fatal(err)
	}
	return ws, c.ID, v
}

// loadIRCAD reads IRCAD case n's series and its liver mask.
func loadIRCAD(t *testing.T, n int) (*scan.Volume, *scan.Mask) {
	t.Helper()
	root := testenv.IRCAD(t, n)
	v, err := scan.LoadVolume(context.Background(), filepath.Join(root, "PATIENT_DICOM"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := labels.Load(filepath.Join(root, "MASKS_DICOM", "liver"), v, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return v, truth
}

// quickParams: one epoch of one step (or as the test says), on the built-in model's network.
func quickParams() *Params {
	p := FineTuneParams()
	p.Epochs, p.MaxStepsPerEpoch, p.Batch, p.ReferenceSlices = 1, 1, 2, 2
	p.Augment.Disabled = true
	return &p
}

// TestFineTuneRequestErrors: a request that cannot run fails before any work, saying which case
// is wrong and why, and leaves no job folder, no job record and no model.
func TestFineTuneRequestErrors(t *testing.T) {
	ctx := context.Background()
	ws, err := workspace.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// a case without any label (no series is read: the request fails first)
	bare, err := ws.EnsureCase(ctx, workspace.Case{ID: "bare", SeriesPath: filepath.Join(t.TempDir(), "nowhere"), SeriesUID: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	labelled := tinyLabelledCase(t, ws, "labelled")
	for _, tc := range []struct {
		name string
		req  FineTuneRequest
		is   error
		want string
	}{
		{"no workspace", FineTuneRequest{Train: []string{"x"}}, nil, "no workspace"},
		{"no cases", FineTuneRequest{Workspace: ws}, nil, "no training cases"},
		{"unknown case", FineTuneRequest{Workspace: ws, Train: []string{"nobody"}}, workspace.ErrNotFound, "training case nobody: case nobody: not found"},
		{"unknown held-out", FineTuneRequest{Workspace: ws, Train: []string{labelled}, HeldOut: []string{"ghost"}}, workspace.ErrNotFound, "held-out case ghost"},
		{"held-out without label", FineTuneRequest{Workspace: ws, Train: []string{labelled}, HeldOut: []string{bare.ID}}, workspace.ErrNotFound, "held-out case bare has no label to score against"},
		{"no label", FineTuneRequest{Workspace: ws, Train: []string{bare.ID}}, workspace.ErrNotFound, "training case bare has no label to train on"},
		{"twice", FineTuneRequest{Workspace: ws, Train: []string{labelled, labelled}}, nil, "case labelled is listed twice"},
		{"both sides", FineTuneRequest{Workspace: ws, Train: []string{labelled}, HeldOut: []string{labelled}}, nil, "case labelled is both a training and a held-out case"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := FineTune(ctx, tc.req, nil)
			if err == nil || res != nil {
				t.Fatalf("got %v, %v; want an error", res, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v: want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: want it to say %q", err, tc.want)
			}
		})
	}
	if ents, _ := os.ReadDir(filepath.Join(ws.Dir, "jobs")); len(ents) != 0 {
		t.Errorf("%d job folders after failed requests", len(ents))
	}
	if ms, _ := ws.Models(ctx); len(ms) != 0 {
		t.Errorf("%d models registered", len(ms))
	}
}

// tinyLabelledCase adds a case with a label over a 2x2x2 volume: enough for a request to pass
// its checks (its series is nowhere, so nothing past them can run).
func tinyLabelledCase(t *testing.T, ws *workspace.Workspace, id string) string {
	t.Helper()
	ctx := context.Background()
	v := &scan.Volume{Voxels: make([]int16, 8), Dims: [3]int{2, 2, 2}, Spacing: [3]float64{1, 1, 1},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	c, err := ws.EnsureCase(ctx, workspace.Case{ID: id, SeriesPath: "/nowhere/" + id, SeriesUID: "1.2.3." + id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.SaveLabel(ctx, c.ID, v, scan.NewMask(v.Dims), workspace.OriginManual, 0, "", "test"); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestFineTuneBadParams: impossible hyper-parameters are refused before the export.
func TestFineTuneBadParams(t *testing.T) {
	ctx := context.Background()
	ws, err := workspace.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// a label over a tiny volume: the request is valid, the parameters are not
	id := tinyLabelledCase(t, ws, "tiny")
	p := FineTuneParams()
	p.LR = -1
	_, err = FineTune(ctx, FineTuneRequest{Workspace: ws, Train: []string{id}, Params: &p, Parent: BuiltIn}, nil)
	if err == nil || !strings.Contains(err.Error(), "learning rate -1") {
		t.Fatalf("got %v; want the learning rate refused", err)
	}
	// an unknown parent
	_, err = FineTune(ctx, FineTuneRequest{Workspace: ws, Train: []string{id}, Parent: "no-such-model"}, nil)
	if !errors.Is(err, workspace.ErrNotFound) || !strings.Contains(err.Error(), "no-such-model") {
		t.Fatalf("unknown parent: %v", err)
	}
}

// TestFineTuneWorkerCrash: a worker that dies gives an error naming the job folder and its
// worker.log; nothing is registered and the job is recorded as failed. The crash comes at the
// first step, after the worker has loaded the built-in model's ONNX weights and passed the check
// against ONNX Runtime's logits.
func TestFineTuneWorkerCrash(t *testing.T) {
	py := torchPython(t)
	ort := ortOptions(t)
	ws, id, _ := ircadWorkspace(t, 1)
	p := quickParams()
	p.Debug = map[string]any{"crash_at_step": 0, "crash_code": 9}
	var events []Event
	res, err := FineTune(context.Background(), FineTuneRequest{Workspace: ws, Train: []string{id}, Params: p, Python: py, ORT: ort},
		func(ev Event) { events = append(events, ev) })
	if err == nil || res != nil {
		t.Fatalf("got %v, %v; want the crash", res, err)
	}
	if !errors.Is(err, ErrWorker) {
		t.Errorf("%v: want ErrWorker", err)
	}
	jobs, _ := os.ReadDir(filepath.Join(ws.Dir, "jobs"))
	if len(jobs) != 1 {
		t.Fatalf("%d job folders", len(jobs))
	}
	dir := ws.JobDir(jobs[0].Name())
	for _, want := range []string{"fine-tuning job " + dir, filepath.Join(dir, "worker.log"), "exit status 9"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if ms, _ := ws.Models(context.Background()); len(ms) != 0 {
		t.Errorf("%d models registered after a crash", len(ms))
	}
	if j, err := ws.Job(context.Background(), jobs[0].Name()); err != nil || j.Status != "failed" {
		t.Errorf("job record %+v %v; want failed", j, err)
	}
	// the worker read the ONNX weights and reproduced the built-in model before it crashed
	var init *Event
	for i, ev := range events {
		if ev.Event == "init" {
			init = &events[i]
		}
	}
	if init == nil {
		t.Fatal("no init event")
	}
	if init.MaxDiff > 1e-3 || !strings.Contains(string(init.Raw), `"source": "onnx"`) {
		t.Errorf("init: %s", init.Raw)
	}
	t.Logf("init from ONNX: %s", init.Raw)
}

// TestFineTuneCancel: cancelling during training stops the worker (SIGINT, checkpoint), and
// FineTune returns an error that wraps context.Canceled and ErrCancelled; nothing is registered
// and the job is recorded as cancelled.
func TestFineTuneCancel(t *testing.T) {
	py := torchPython(t)
	ort := ortOptions(t)
	ws, id, _ := ircadWorkspace(t, 1)
	p := quickParams()
	p.Epochs, p.MaxStepsPerEpoch = 2, 20
	p.Debug = map[string]any{"sleep_per_step": 0.2}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stages []string
	steps := 0
	res, err := FineTune(ctx, FineTuneRequest{Workspace: ws, Train: []string{id}, Params: p, Python: py, ORT: ort}, func(ev Event) {
		switch ev.Event {
		case "stage":
			stages = append(stages, ev.Kind)
		case "step":
			steps++
			if ev.Epochs != 2 || ev.Steps == 0 || ev.Elapsed <= 0 {
				t.Errorf("step event without totals or elapsed time: %s", ev.Raw)
			}
			if _, ok := ev.ETA(); !ok {
				t.Errorf("no ETA after %s", ev.Raw)
			}
			if steps == 2 {
				cancel()
			}
		}
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) {
		t.Fatalf("got %v; want context.Canceled and ErrCancelled", err)
	}
	if res != nil {
		t.Errorf("a cancelled job returned %+v", res)
	}
	if steps > 4 {
		t.Errorf("%d steps ran after the cancel", steps-2)
	}
	if ms, _ := ws.Models(context.Background()); len(ms) != 0 {
		t.Errorf("%d models registered after a cancel", len(ms))
	}
	jobs, _ := os.ReadDir(filepath.Join(ws.Dir, "jobs"))
	if len(jobs) != 1 {
		t.Fatalf("%d job folders", len(jobs))
	}
	if j, err := ws.Job(context.Background(), jobs[0].Name()); err != nil || j.Status != "cancelled" {
		t.Errorf("job record %+v %v; want cancelled", j, err)
	}
	if _, err := os.Stat(filepath.Join(ws.JobDir(jobs[0].Name()), "checkpoint.pt")); err != nil {
		t.Errorf("no checkpoint after the cancel: %v", err)
	}
	if want := []string{StageExport, StageInit, StageTrain}; len(stages) < 3 || stages[0] != want[0] || !contains(stages, StageInit) || !contains(stages, StageTrain) {
		t.Errorf("stages %v; want %v first", stages, want)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestInitCheckCatchesWrongWeights: a job whose initial network does not give the parent's
// logits stops before training with a clear error (here the reference logits are shifted).
func TestInitCheckCatchesWrongWeights(t *testing.T) {
	py := torchPython(t)
	ort := ortOptions(t)
	ws, id, _ := ircadWorkspace(t, 1)
	ctx := context.Background()
	parent, err := ResolveParent(ctx, ws, "")
	if err != nil {
		t.Fatal(err)
	}
	if parent.Version != BuiltIn || parent.Weights != "" || parent.Base != 16 || parent.Depth != 4 {
		t.Fatalf("parent %+v; want the built-in model, base 16, depth 4, weights from ONNX", parent)
	}
	req := FineTuneRequest{Workspace: ws, Train: []string{id}}
	train, _, err := req.check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Train: *quickParams(), Cases: []CaseSource{train[0].source("train")}, Quantize: true}
	parent.Configure(cfg)
	dir := t.TempDir()
	j, _, err := Prepare(ctx, cfg, dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.InitJob(ctx, dir, j, ort); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(j.Init, ".npz") || j.Parent != BuiltIn || j.InitCheck == nil {
		t.Fatalf("job %+v", j)
	}
	if err := WriteJob(dir, j); err != nil {
		t.Fatal(err)
	}
	logits, err := readNPY(filepath.Join(dir, "init_ref_logits.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range logits.F32 {
		logits.F32[i] += 0.5
	}
	if err := writeArray(filepath.Join(dir, "init_ref_logits.npy"), logits.F32, logits.Shape[0], logits.Shape[1:]...); err != nil {
		t.Fatal(err)
	}
	_, err = RunWorker(ctx, dir, RunOptions{Python: py})
	var we *WorkerError
	if !errors.As(err, &we) || we.Kind != "init" || !strings.Contains(err.Error(), "do not reproduce the parent model") {
		t.Fatalf("got %v; want the init check to fail", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.pt")); err == nil {
		t.Error("the worker trained after a failed init check")
	}
}

// TestReadInitializersBuiltIn: the built-in model's folded weights get the state-dict names of
// the worker's U-Net.
func TestReadInitializersBuiltIn(t *testing.T) {
	p, err := ResolveParent(context.Background(), nil, BuiltIn)
	if err != nil {
		t.Skipf("no built-in model: %v", err)
	}
	inits, err := inference.ReadInitializers(t.Context(), p.Path)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string][]int{}
	for _, in := range inits {
		names[in.Name] = in.Dims
		if strings.HasPrefix(in.Name, "onnx::") {
			t.Errorf("%s was not renamed", in.Name)
		}
	}
	for name, dims := range map[string][]int{
		"down.0.0.weight": {16, 3, 3, 3}, "down.0.0.bias": {16}, "down.0.3.weight": {16, 16, 3, 3},
		"bottom.0.weight": {256, 128, 3, 3}, "dec.3.3.weight": {16, 16, 3, 3}, "up.0.weight": {256, 128, 2, 2}, "head.weight": {1, 16, 1, 1},
	} {
		if got := names[name]; len(got) != len(dims) || !equalInts(got, dims) {
			t.Errorf("%s: %v; want %v", name, got, dims)
		}
	}
	if len(inits) != 2*19+2*4 {
		t.Errorf("%d initializers; want 46 (19 convolutions, 4 transposed, weight and bias each)", len(inits))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEventETA: progress and the time left from a step event's counts and elapsed time.
func TestEventETA(t *testing.T) {
	ev := Event{Event: "step", Epoch: 2, Epochs: 4, Step: 5, Steps: 10, Elapsed: 30}
	if p := ev.Progress(); p != 0.375 {
		t.Fatalf("progress %v; want 0.375", p)
	}
	left, ok := ev.ETA()
	if !ok || left.Seconds() != 50 {
		t.Fatalf("ETA %v %v; want 50s", left, ok)
	}
	if _, ok := (Event{Event: "start", Epochs: 4}).ETA(); ok {
		t.Error("an ETA from a start event")
	}
	if p := (Event{Event: "epoch", Epoch: 4, Epochs: 4, Elapsed: 9}).Progress(); p != 1 {
		t.Errorf("last epoch progress %v", p)
	}
}

// TestFineTuneHeldOut: a whole (one-step) job with a held-out case: the new model is registered
// but not activated, with the built-in model as its parent in its metadata; both models are
// scored on the held-out and the training case; the held-out case is the worker's validation.
func TestFineTuneHeldOut(t *testing.T) {
	if testing.Short() {
		t.Skip("segments two IRCAD cases with two models")
	}
	py := torchPython(t)
	ort := ortOptions(t)
	ws, trainID, _ := ircadWorkspace(t, 1)
	ctx := context.Background()
	// IRCAD 17 as a second case of the same workspace
	v17, truth17 := loadIRCAD(t, 17)
	c17, err := ws.EnsureCase(ctx, workspace.SeriesCase(&v17.Series))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.SaveLabel(ctx, c17.ID, v17, truth17, workspace.OriginImported, 0, "", "test"); err != nil {
		t.Fatal(err)
	}
	var epochs []Event
	res, err := FineTune(ctx, FineTuneRequest{Workspace: ws, Train: []string{trainID}, HeldOut: []string{c17.ID}, Params: quickParams(),
		Python: py, ORT: ort, Author: "tester", Version: "ft-1"}, func(ev Event) {
		if ev.Event == "epoch" {
			epochs = append(epochs, ev)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "ft-1" || res.Parent != BuiltIn || res.Model == nil || res.Model.Active || res.Model.Version != "ft-1" {
		t.Fatalf("result %+v", res)
	}
	if len(epochs) != 1 || !(epochs[0].ValLoss > 0) || epochs[0].Epochs != 1 {
		t.Errorf("epoch events %+v: want one with a validation loss (the held-out case)", epochs)
	}
	if len(res.Scores) != 1 || res.Scores[0].CaseID != c17.ID || len(res.TrainScores) != 1 || res.TrainScores[0].CaseID != trainID {
		t.Fatalf("scores %+v / %+v", res.Scores, res.TrainScores)
	}
	for _, s := range append(res.Scores, res.TrainScores...) {
		// one step at a low rate barely moves a converged model
		if s.OldDice < 0.9 || s.NewDice < 0.9 || math.Abs(s.Gain()) > 0.02 || s.Label != 1 {
			t.Errorf("%+v", s)
		}
		// and their surface distances, a good model's: most of both surfaces within 2 mm
		for _, sf := range []scan.SurfaceFigures{s.OldSurface, s.NewSurface} {
			if sf.HD95 == nil || sf.ASSD == nil || sf.NSD2mm == nil || *sf.NSD2mm < 0.5 || *sf.ASSD > 5 {
				t.Errorf("%s: surface figures %+v", s.CaseID, sf)
			}
		}
	}
	meta, err := inference.ReadMetadata(t.Context(), res.Model.Path)
	if err != nil {
		t.Fatal(err)
	}
	if meta[inference.KeyParent] != BuiltIn || meta[inference.KeyVersion] != "ft-1" {
		t.Errorf("metadata parent %q version %q", meta[inference.KeyParent], meta[inference.KeyVersion])
	}
	if a, err := ws.Active(ctx); err == nil {
		t.Errorf("FineTune activated %s", a.Version)
	}
	j, err := ReadJob(context.Background(), res.JobDir)
	if err != nil || j.Author != "tester" || j.Parent != BuiltIn || !j.FreezeBN {
		t.Errorf("job.json %+v %v", j, err)
	}
	if rec, err := ws.Job(ctx, filepath.Base(res.JobDir)); err != nil || rec.Status != "done" || rec.Model != "ft-1" {
		t.Errorf("job record %+v %v", rec, err)
	}
	t.Logf("held-out %s: Dice %.4f -> %.4f; training %s: %.4f -> %.4f; %v", c17.ID, res.Scores[0].OldDice, res.Scores[0].NewDice,
		trainID, res.TrainScores[0].OldDice, res.TrainScores[0].NewDice, res.Elapsed.Round(time.Second))
}
