package training

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"liverseg/inference"
	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/workspace"
)

// The tests train real, tiny jobs: slices at 64x64 (or 32x32), a U-Net of base 4, one or two
// epochs, with the Python that has torch (skipped where there is none).

// dataDir is the test data's root, which must hold the slice sets.
func dataDir(t testing.TB) string {
	testenv.Data(t, "slices", "msd_liver_jpg")
	return testenv.DataRoot(t)
}

var pyOnce struct {
	sync.Once
	path string
	err  error
}

func torchPython(t testing.TB) string {
	pyOnce.Do(func() {
		info, err := FindPython(context.Background(), "", nil)
		pyOnce.path, pyOnce.err = info.Path, err
	})
	if pyOnce.err != nil {
		testenv.Missing(t, "no Python with torch: %v", pyOnce.err)
	}
	return pyOnce.path
}

func ortOptions(t testing.TB) inference.Options {
	lib, err := inference.FindLibrary(context.Background(), inference.LibrarySearch{SkipPython: true})
	if err != nil {
		testenv.Missing(t, "no ONNX Runtime: %v", err)
	}
	return inference.Options{LibraryPath: lib.Path, Device: inference.DeviceCPU, Threads: 2}
}

// tinyConfig: 8 MSD slices of 8 patients split by patient, the 2 unet_liver pairs for training.
func tinyConfig(t testing.TB, size int) *Config {
	d := dataDir(t)
	c := &Config{
		Name:     "tiny",
		Contract: ContractConfig{Channels: 3, Window: [2]float64{-200, 300}, InputSize: [2]int{size, size}},
		SliceSets: []SliceSet{
			{Name: "msd", Dir: filepath.Join(d, "slices", "msd_liver_jpg"), Layout: "images-masks", HU: [2]float64{0, 255},
				Patient: `^[a-z]+_(\d+)_`, Rotate: map[string]int{"flipped_": 1, "mirrored_": -1}, MaskThreshold: 128, Limit: 8},
			{Name: "unet_liver", Dir: filepath.Join(d, "slices", "unet_liver"), Layout: "pairs", HU: [2]float64{-160, 240}, HUAssumed: true, Split: "train"},
		},
		ValFraction: 0.25,
		Train:       DefaultParams(),
	}
	c.Train.Base, c.Train.Depth, c.Train.Epochs, c.Train.Batch, c.Train.ReferenceSlices = 4, 2, 1, 2, 2
	return c
}

var sharedDS struct {
	sync.Once
	dir string
	err error
}

// sharedDataset is one tiny dataset (64x64) for the tests that only need some data.
func sharedDataset(t *testing.T) string {
	cfg := tinyConfig(t, 64)
	sharedDS.Do(func() {
		dir, err := os.MkdirTemp("", "liverseg-ds-")
		if err != nil {
			sharedDS.err = err
			return
		}
		sharedDS.dir = filepath.Join(dir, "dataset")
		_, sharedDS.err = Export(context.Background(), cfg, sharedDS.dir, nil)
	})
	if sharedDS.err != nil {
		t.Fatal(sharedDS.err)
	}
	return sharedDS.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDS.dir != "" {
		os.RemoveAll(filepath.Dir(sharedDS.dir))
	}
	os.Exit(code)
}

// newJob makes a job folder on the shared dataset with the given parameters.
func newJob(t *testing.T, p Params) string {
	dir := t.TempDir()
	j := &JobFile{Params: p, Dataset: sharedDataset(t), ID: filepath.Base(dir), Created: time.Now().UTC().Format(time.RFC3339)}
	if err := WriteJob(dir, j); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tinyParams(t *testing.T) Params {
	return tinyConfig(t, 64).Train
}

func TestExportSplitsByPatientThroughPreprocessor(t *testing.T) {
	cfg := tinyConfig(t, 32)
	dir := t.TempDir()
	man, err := Export(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	side := map[string]string{}
	var msdTrain, msdVal int
	for _, c := range man.Cases {
		for _, p := range c.Patients {
			key := c.Kind + c.Name[:3] + ":" + p
			if s, ok := side[key]; ok && s != c.Split {
				t.Errorf("patient %s on both sides", p)
			}
			side[key] = c.Split
		}
		switch c.Name {
		case "msd-train":
			msdTrain = c.Slices
		case "msd-val":
			msdVal = c.Slices
		}
	}
	if msdTrain == 0 || msdVal == 0 || msdTrain+msdVal != 8 {
		t.Fatalf("msd split %d train, %d val: want both sides, 8 in all", msdTrain, msdVal)
	}
	// every row is what Preprocessor.Input and MaskSlice make of the slice
	var mc ManifestCase
	for _, c := range man.Cases {
		if c.Name == "unet_liver-train" {
			mc = c
		}
	}
	img, err := readNPY(filepath.Join(dir, mc.Images))
	if err != nil {
		t.Fatal(err)
	}
	msk, err := readNPY(filepath.Join(dir, mc.Masks))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Shape; len(got) != 4 || got[0] != 2 || got[1] != 3 || got[2] != 32 || got[3] != 32 {
		t.Fatalf("images shape %v, want [2 3 32 32]", got)
	}
	set := cfg.SliceSets[1]
	pairs, err := listPairs(set.Dir, set)
	if err != nil {
		t.Fatal(err)
	}
	v, m, err := sliceVolume(set, pairs[0])
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.Contract.Contract()
	p, err := inference.NewPreprocessor(k, v)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, p.InputLen())
	p.Input(0, want)
	wm := make([]uint8, 32*32)
	p.MaskSlice(m, 0, wm)
	for i := range want {
		if img.F32[i] != want[i] {
			t.Fatalf("image value %d is %g, the preprocessor gives %g", i, img.F32[i], want[i])
		}
	}
	for i := range wm {
		if msk.U8[i] != wm[i] {
			t.Fatalf("mask value %d is %d, MaskSlice gives %d", i, msk.U8[i], wm[i])
		}
	}
	if mc.Liver == 0 {
		t.Error("no liver in the unet_liver masks")
	}
}

func TestExportVolumeCase(t *testing.T) {
	series := testenv.IRCAD(t, 1, "PATIENT_DICOM")
	cfg := &Config{Contract: ContractConfig{InputSize: [2]int{32, 32}}, Quantize: true, Train: DefaultParams(),
		Cases: []CaseSource{{Name: "c1", Series: series, Label: testenv.IRCAD(t, 1, "MASKS_DICOM", "liver"), Split: "train"}}}
	cfg.Train.Depth = 2
	dir := t.TempDir()
	man, err := Export(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := man.Cases[0]
	if c.Slices != 129 || c.Liver < 90 || c.Liver > 100 || man.ImageDType != "uint8" {
		t.Fatalf("case 1: %d slices, %d with liver, %s; want 129, about 98, uint8", c.Slices, c.Liver, man.ImageDType)
	}
	img, err := readNPY(filepath.Join(dir, c.Images))
	if err != nil {
		t.Fatal(err)
	}
	if img.U8 == nil || len(img.U8) != 129*3*32*32 {
		t.Fatalf("quantised images: %v", img.Shape)
	}
}

func TestSplitConflict(t *testing.T) {
	s := newSplitter(0.2, 1)
	if err := s.fix("p1", "train"); err != nil {
		t.Fatal(err)
	}
	if err := s.fix("p1", "val"); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("a patient in train and val: %v", err)
	}
}

// TestTinyJob trains a tiny job end to end in a workspace: the worker's protocol, the check in
// ONNX Runtime, the report, the registry, and a model that inference opens and segments with.
func TestTinyJob(t *testing.T) {
	py := torchPython(t)
	ortOpt := ortOptions(t)
	ws, err := workspace.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	dir := newJob(t, tinyParams(t))
	var kinds []string
	tr := &Trainer{WS: ws, Run: RunOptions{Python: py, OnEvent: func(ev Event) {
		if len(kinds) == 0 || kinds[len(kinds)-1] != ev.Event {
			kinds = append(kinds, ev.Event)
		}
	}}, Finish: FinishOptions{Model: ortOpt, TrainCases: true}}
	res, err := tr.RunJob(context.Background(), dir, false, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kinds, " "); got != "start step epoch checkpoint exported done" {
		t.Errorf("events %q", got)
	}
	r := res.Report
	if r.ORTMaxDiff > 1e-3 || r.ORTSlices != 2 {
		t.Errorf("ONNX Runtime against PyTorch: %g on %d slices", r.ORTMaxDiff, r.ORTSlices)
	}
	if r.ValLevel != "slices" || len(r.Cases) < 2 || len(r.History) != 1 {
		t.Errorf("report: level %q, %d cases, %d epochs", r.ValLevel, len(r.Cases), len(r.History))
	}
	for _, f := range []string{"report/metrics.json", "report/index.html", "report/loss.png", "report/dice.png", "MODEL_CARD.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if len(r.Panels) == 0 {
		t.Error("no panels")
	}
	// metrics.json names its figures as scan.Metrics does, the validation ones under "val".
	var mj struct {
		Val struct {
			Dice *float64 `json:"dice"`
			MIoU *float64 `json:"miou"`
		} `json:"val"`
		Cases []struct {
			Dice   *float64 `json:"dice"`
			Slices []any    `json:"slices"`
		} `json:"cases"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report", "metrics.json"))
	if err := json.Unmarshal(b, &mj); err != nil || mj.Val.Dice == nil || *mj.Val.Dice != r.Val.Dice || mj.Val.MIoU == nil ||
		len(mj.Cases) != len(r.Cases) || mj.Cases[0].Dice == nil || len(mj.Cases[0].Slices) == 0 {
		t.Errorf("metrics.json: %v\n%.300s", err, b)
	}
	active, err := ws.Active(context.Background())
	if err != nil || active.Version != filepath.Base(dir) {
		t.Fatalf("active model %v, %v", active, err)
	}
	var row Summary // the registry keeps the report's figures under the same names
	if err := json.Unmarshal(active.Metrics, &row); err != nil || row.Val.Dice != r.Val.Dice || row.ValLevel != r.ValLevel || row.Epochs != r.Epochs {
		t.Errorf("registry metrics %s: %v", active.Metrics, err)
	}
	// the registered model follows the contract: inference opens it and segments a volume
	m, err := inference.OpenModel(context.Background(), active.Path, ortOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Contract()
	if c.InputH != 64 || c.Version != active.Version || c.TrainedOn == "" {
		t.Errorf("contract %+v", c)
	}
	v := &scan.Volume{Voxels: make([]int16, 40*30*3), Dims: [3]int{40, 30, 3}, Spacing: [3]float64{1, 1, 2},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	if _, _, _, err := inference.Segment(context.Background(), m, v, nil); err != nil {
		t.Fatal(err)
	}
}

// TestCancelAndResume: a cancelled job saves its checkpoint, writes no model, registers nothing
// and leaves the active model; resumed, it goes on from its checkpoint to the end.
func TestCancelAndResume(t *testing.T) {
	py := torchPython(t)
	ortOpt := ortOptions(t)
	ctx := context.Background()
	ws, err := workspace.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// a previous model, active
	prev := t.TempDir()
	if err := os.WriteFile(filepath.Join(prev, "model.onnx"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.RegisterModel(ctx, workspace.NewModel{Version: "previous", SourceDir: prev, Activate: true}); err != nil {
		t.Fatal(err)
	}
	p := tinyParams(t)
	p.Epochs = 2
	p.Batch = 1 // several steps an epoch
	p.Augment.Disabled = true
	p.Debug = map[string]any{"sleep_per_step": 0.3}
	dir := newJob(t, p)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	steps := 0
	tr := &Trainer{WS: ws, Run: RunOptions{Python: py, OnEvent: func(ev Event) {
		if ev.Event == "step" {
			steps++
			if steps == 2 {
				cancel()
			}
		}
	}}, Finish: FinishOptions{Model: ortOpt}}
	_, err = tr.RunJob(cctx, dir, false, true)
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("cancelled job: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.onnx")); !os.IsNotExist(err) {
		t.Errorf("a cancelled job left model.onnx (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.pt")); err != nil {
		t.Fatalf("no checkpoint: %v", err)
	}
	if a, err := ws.Active(ctx); err != nil || a.Version != "previous" {
		t.Fatalf("active after cancel: %v %v", a, err)
	}
	if j, err := ws.Job(ctx, filepath.Base(dir)); err != nil || j.Status != "cancelled" {
		t.Fatalf("job record: %+v %v", j, err)
	}
	if ms, _ := ws.Models(ctx); len(ms) != 1 {
		t.Fatalf("%d models registered", len(ms))
	}
	evs, _ := ReadEvents(context.Background(), filepath.Join(dir, "events.jsonl"))
	c := lastEvent(evs, "cancelled")
	if c == nil {
		t.Fatal("no cancelled event")
	}
	// resume
	var start *Event
	var first *Event
	tr.Run.OnEvent = func(ev Event) {
		if ev.Event == "start" {
			e := ev
			start = &e
		}
		if ev.Event == "step" && first == nil {
			e := ev
			first = &e
		}
	}
	res, err := tr.RunJob(ctx, dir, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if start == nil || start.Resumed == nil || start.Resumed.Epoch != c.Epoch || start.Resumed.Step != c.Step {
		t.Fatalf("resumed from %+v, the checkpoint was at epoch %d step %d", start.Resumed, c.Epoch, c.Step)
	}
	if first.Epoch != c.Epoch+1 || first.Step != c.Step+1 {
		t.Errorf("first step after resume: epoch %d step %d; want epoch %d step %d", first.Epoch, first.Step, c.Epoch+1, c.Step+1)
	}
	if res.Report.Epochs != 2 || len(res.Report.History) != 2 {
		t.Errorf("resumed job ran %d epochs, history %d", res.Report.Epochs, len(res.Report.History))
	}
	if a, _ := ws.Active(ctx); a.Version != "previous" {
		t.Errorf("active is %s without --activate", a.Version)
	}
}

// TestWorkerFailures: a crash, a NaN loss and a missing torch give clear errors, and the caller
// goes on.
func TestWorkerFailures(t *testing.T) {
	py := torchPython(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		debug map[string]any
		env   []string
		is    error
		want  string
	}{
		{"crash", map[string]any{"crash_at_step": 0, "crash_code": 9}, nil, ErrWorker, "exit status 9"},
		{"nan", map[string]any{"nan_at_step": 1}, nil, ErrNaN, "the loss is nan at epoch 1 step 2"},
		{"no torch", nil, []string{"PYTHONPATH=" + fakeNoTorch(t)}, ErrNoTorch, "cannot import torch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tinyParams(t)
			p.Batch = 1
			p.Debug = tc.debug
			dir := newJob(t, p)
			_, err := RunWorker(ctx, dir, RunOptions{Python: py, Env: tc.env})
			if err == nil || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want %v saying %q", err, tc.is, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err == nil {
				t.Error("a failed job left model.onnx")
			}
		})
	}
	// an interpreter that is not there
	dir := newJob(t, tinyParams(t))
	if _, err := RunWorker(ctx, dir, RunOptions{Python: filepath.Join(t.TempDir(), "python3")}); err == nil {
		t.Fatal("no interpreter: no error")
	}
}

// TestCancelGraceKills: a worker that does not stop on SIGINT (one stuck in a CUDA call, say) is
// killed after RunOptions.CancelGrace, and the error says it saved no checkpoint. The worker
// here ignores SIGINT, as a stuck one would; it needs no torch.
func TestCancelGraceKills(t *testing.T) {
	py := testenv.Python(t, "json, signal, time")
	dir := t.TempDir()
	script := filepath.Join(dir, "stuck_worker.py")
	src := "import json, signal, time\n" +
		"signal.signal(signal.SIGINT, signal.SIG_IGN)\n" +
		"print(json.dumps({'event': 'start'}), flush=True)\n" +
		"time.sleep(60)\n"
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 := time.Now()
	_, err := RunWorker(ctx, dir, RunOptions{Python: py, Worker: script, CancelGrace: 300 * time.Millisecond,
		OnEvent: func(ev Event) {
			if ev.Event == "start" {
				cancel()
			}
		}})
	if !errors.Is(err, ErrCancelled) || !strings.Contains(err.Error(), "did not save a checkpoint in 300ms and was killed") {
		t.Fatalf("got %v; want ErrCancelled saying the worker was killed after 300ms", err)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("the stuck worker was killed after %s", d)
	}
}

// fakeNoTorch is a folder whose torch package fails to import, to stand for a Python without it.
func fakeNoTorch(t *testing.T) string {
	d := t.TempDir()
	if err := os.MkdirAll(filepath.Join(d, "torch"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "torch", "__init__.py"), []byte("raise ImportError('No module named torch')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGridSample(t *testing.T) {
	g := StudyGrid()
	if g.Size() != 270 {
		t.Fatalf("grid size %d", g.Size())
	}
	ps := g.Sample(20, 3, DefaultParams())
	seen := map[string]bool{}
	for _, p := range ps {
		k, _ := json.Marshal([]any{p.Batch, p.LR, p.Dropout, p.Optimizer, p.Epochs})
		if seen[string(k)] {
			t.Fatalf("trial %s drawn twice", k)
		}
		seen[string(k)] = true
	}
	trials := []Trial{{N: 1, Status: "failed"}, {N: 2, Status: "done", Val: scan.Metrics{Dice: 0.5}}, {N: 3, Status: "done", Val: scan.Metrics{Dice: 0.9}}}
	Rank(trials)
	if trials[0].N != 3 || trials[0].Rank != 1 || trials[2].N != 1 || trials[2].Rank != 0 {
		t.Fatalf("ranked %+v", trials)
	}
	dir := t.TempDir()
	if err := WriteSearchSummary(dir, trials); err != nil {
		t.Fatal(err)
	}
}

// TestBenchRuns: the benchmark mode answers with both step times (the figures themselves come
// from bench/train_step.sh on a quiet machine).
func TestBenchRuns(t *testing.T) {
	py := torchPython(t)
	dir := newJob(t, tinyParams(t))
	ev, err := RunWorker(context.Background(), dir, RunOptions{Python: py, Bench: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Event != "bench" || ev.WorkerStep <= 0 || ev.BareStep <= 0 {
		t.Fatalf("bench event %+v", ev)
	}
	if _, err := os.Stat(filepath.Join(dir, "events.jsonl")); err == nil {
		t.Error("a benchmark wrote events.jsonl")
	}
}

// BenchmarkWorkerStep reports the worker's step against the bare loop on the tiny job (see
// bench/train_step.sh for the default model's shape).
func BenchmarkWorkerStep(b *testing.B) {
	py := torchPython(b)
	dir := b.TempDir()
	cfg := tinyConfig(b, 64)
	if _, _, err := Prepare(context.Background(), cfg, dir, "", nil); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		ev, err := RunWorker(context.Background(), dir, RunOptions{Python: py, Bench: 20})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ev.WorkerStep*1e3, "worker-ms/step")
		b.ReportMetric(ev.BareStep*1e3, "bare-ms/step")
		b.ReportMetric(ev.Overhead*100, "overhead-%")
	}
}
