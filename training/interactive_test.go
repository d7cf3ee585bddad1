package training

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/inference"
	"liverseg/workspace"
)

// TestClickerPython runs the unit tests of the worker's simulated clicks (testdata/clicker_test.py:
// the largest error region and its interior-most point, positive or negative, the disk and the
// Gaussian in mm, the model's output fed back as the label).
func TestClickerPython(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	worker, err := WriteWorker(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "testdata/clicker_test.py", worker).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "OK") {
		t.Fatalf("no OK from the tests:\n%s", out)
	}
}

func TestInteractiveConfig(t *testing.T) {
	cfg := tinyConfig(t, 64)
	cfg.Contract.Kind = inference.KindInteractive
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	k := cfg.Contract.Contract()
	if !k.Interactive() || k.ClickEncoding != DefaultClickEncoding || k.ClickRadiusMM != DefaultClickRadiusMM || k.InputChannels() != 6 {
		t.Errorf("contract %+v", k)
	}
	c := cfg.Train.clickTraining(k)
	if c == nil || c.Encoding != "disk" || c.RadiusMM != 5 || c.MaxClicks != 5 || c.NoClickShare != 0.25 || len(c.ClickCounts) != 7 {
		t.Errorf("click training %+v", c)
	}
	if cfg.Train.clickTraining(inference.DefaultContract()) != nil {
		t.Error("an automatic model got click settings")
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"encoding", func(c *Config) { c.Contract.ClickEncoding = "square" }, "click_encoding"},
		{"radius", func(c *Config) { c.Contract.ClickRadiusMM = 500 }, "click_radius_mm"},
		{"kind", func(c *Config) { c.Contract.Kind = "clever" }, "contract kind"},
		{"encoding on automatic", func(c *Config) { c.Contract.Kind = ""; c.Contract.ClickEncoding = "disk" }, "belong to an interactive model"},
		{"clicks on automatic", func(c *Config) { c.Contract.Kind = ""; c.Train.Interactive = &ClickTraining{} }, "set the contract's kind"},
		{"share", func(c *Config) { c.Train.Interactive = &ClickTraining{NoClickShare: 1.5} }, "no_click_share"},
		{"shares", func(c *Config) { c.Train.Interactive = &ClickTraining{EmptyShare: 0.6, CorruptShare: 0.6} }, "together at most 1"},
		{"max clicks", func(c *Config) { c.Train.Interactive = &ClickTraining{MaxClicks: 1000} }, "max_clicks"},
		{"counts", func(c *Config) { c.Train.Interactive = &ClickTraining{ClickCounts: []int{0, -1}} }, "click_counts"},
		{"network", func(c *Config) { c.Train.Interactive = &ClickTraining{Network: "unet3d"} }, "network \"unet3d\""},
	} {
		c := tinyConfig(t, 64)
		c.Contract.Kind = inference.KindInteractive
		tc.edit(c)
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}

// TestTinyInteractiveJob trains a tiny automatic model, then an interactive one from it at a
// learning rate too small to move a weight: the job runs end to end (the automatic masks, the
// simulated clicks, the export with guidance checked in ONNX Runtime, the click curve, the
// report, the registration as an interactive model beside the active automatic one), and the
// zero guidance weights it starts from show: whatever the guidance, ONNX Runtime gives the
// parent's logits, and without clicks it keeps the automatic mask.
func TestTinyInteractiveJob(t *testing.T) {
	py := torchPython(t)
	ortOpt := ortOptions(t)
	ctx := context.Background()
	ws, err := workspace.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	tr := &Trainer{WS: ws, Run: RunOptions{Python: py}, Finish: FinishOptions{Model: ortOpt}}
	p := tinyParams(t)
	p.FreezeBN = true
	auto, err := tr.RunJob(ctx, newJob(t, p), false, true)
	if err != nil {
		t.Fatal(err)
	}

	cfg := tinyConfig(t, 64)
	cfg.Contract.Kind = inference.KindInteractive
	cfg.Train.LR, cfg.Train.FreezeBN, cfg.Train.Epochs, cfg.Train.MaxStepsPerEpoch = 1e-12, true, 1, 2
	cfg.Train.Interactive = &ClickTraining{MaxClicks: 2, ValSlices: 4, ClickCounts: []int{0, 1, 2}}
	parent, err := ResolveParent(ctx, ws, "")
	if err != nil || parent.Version != auto.Model.Version {
		t.Fatalf("parent %+v, %v", parent, err)
	}
	parent.Configure(cfg)
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	j, _, err := Prepare(ctx, cfg, dir, sharedDataset(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j.Interactive == nil || j.Interactive.Encoding != "disk" || j.Interactive.RadiusMM != 5 {
		t.Fatalf("job's click settings %+v", j.Interactive)
	}
	if err := parent.InitJob(ctx, dir, j, ortOpt); err != nil {
		t.Fatal(err)
	}
	if err := WriteJob(dir, j); err != nil {
		t.Fatal(err)
	}
	res, err := tr.RunJob(ctx, dir, false, true)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if r.Kind != inference.KindInteractive || r.Clicks == nil || len(r.Clicks.Cases) == 0 || r.ORTMaxDiff > 1e-3 || r.ORTSlices != 2 {
		t.Fatalf("report: kind %q, clicks %+v, ONNX Runtime %g on %d slices", r.Kind, r.Clicks, r.ORTMaxDiff, r.ORTSlices)
	}
	val := r.Clicks.Splits["val"]
	if len(val.Dice) != 3 || val.NoClickAgreement < 0.999 || math.Abs(val.Dice[0]-val.AutoDice) > 0.002 {
		t.Errorf("the untrained interactive model does not keep the automatic mask: %+v", val)
	}
	// one click: the untrained model adds nothing, the click's disk is all it corrects
	clicks := 0
	for sign, f := range val.FirstClick {
		clicks += f.Clicks
		if f.Fixed < 0 || f.Fixed > f.Region || f.Outside < 0 || f.Region < f.Clicks {
			t.Errorf("first %s clicks %+v", sign, f)
		}
	}
	if clicks == 0 || !r.Clicks.HasFirstClicks() {
		t.Errorf("no first click on the validation slices: %+v", val.FirstClick)
	}
	if d, ok := r.Clicks.At("val", 2); !ok || d != val.Dice[2] {
		t.Errorf("At(val, 2) = %v %v", d, ok)
	}
	for _, f := range []string{"report/metrics.json", "report/index.html", "report/clicks.png", "MODEL_CARD.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if card, _ := os.ReadFile(filepath.Join(dir, "MODEL_CARD.md")); !strings.Contains(string(card), "interactive model") || !strings.Contains(string(card), "2 clicks") || !strings.Contains(string(card), "changed outside") {
		t.Errorf("model card:\n%s", card)
	}
	if html, _ := os.ReadFile(filepath.Join(dir, "report", "index.html")); !strings.Contains(string(html), "Dice against the number of clicks") || !strings.Contains(string(html), "<h2>One click</h2>") {
		t.Error("the report has no click curve or no first-click table")
	}

	// registered as interactive and active beside the automatic model
	if res.Model.Kind != workspace.KindInteractive {
		t.Errorf("registered kind %q", res.Model.Kind)
	}
	if a, err := ws.Active(ctx); err != nil || a.Version != auto.Model.Version {
		t.Errorf("the active automatic model is %v (%v), want %s", a, err, auto.Model.Version)
	}
	if a, err := ws.ActiveOfKind(ctx, workspace.KindInteractive); err != nil || a.Version != res.Model.Version {
		t.Errorf("the active interactive model is %v (%v), want %s", a, err, res.Model.Version)
	}

	// ONNX Runtime: the interactive model with any guidance gives the parent's logits
	im, err := inference.OpenModel(ctx, res.Model.Path, ortOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	am, err := inference.OpenModel(ctx, auto.Model.Path, ortOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer am.Close()
	c := im.Contract()
	if !c.Interactive() || c.ClickEncoding != "disk" || c.ClickRadiusMM != 5 || c.Parent != auto.Model.Version {
		t.Fatalf("interactive contract %+v", c)
	}
	if _, _, _, err := inference.Segment(ctx, im, nil, nil); !errors.Is(err, inference.ErrKind) {
		t.Errorf("Segment with an interactive model: %v, want ErrKind", err)
	}
	hw := c.InputH * c.InputW
	rng := rand.New(rand.NewSource(1))
	img := make([]float32, 3*hw)
	in := make([]float32, 6*hw)
	for i := range img {
		img[i] = rng.Float32()
	}
	copy(in, img)
	for i := 3 * hw; i < 6*hw; i++ {
		in[i] = float32(rng.Intn(2))
	}
	want, err := am.Run(ctx, img, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := im.Run(ctx, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	var diff float64
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(got[i]-want[i])))
	}
	if diff > 1e-4 {
		t.Errorf("with random guidance the interactive model differs from its parent by %g", diff)
	}

	// an interactive model is not a parent
	parent2, err := ResolveParent(ctx, ws, res.Model.Version)
	if err != nil {
		t.Fatal(err)
	}
	j2 := *j
	if err := parent2.InitJob(ctx, t.TempDir(), &j2, ortOpt); !errors.Is(err, inference.ErrKind) {
		t.Errorf("InitJob from an interactive model: %v, want ErrKind", err)
	}
}

// TestFineTuneInteractive: the retrain panel's request for an interactive model trains one from
// the built-in automatic model on a workspace's corrected case, and registers it as interactive,
// not active, the automatic registry untouched; an unknown kind is refused before any work. It
// trains the copy network (TestTinyInteractiveJob the click head), so that both export and pass
// the ONNX Runtime check.
func TestFineTuneInteractive(t *testing.T) {
	py := torchPython(t)
	ort := ortOptions(t)
	ws, id, _ := ircadWorkspace(t, 1)
	ctx := context.Background()
	if _, err := FineTune(ctx, FineTuneRequest{Workspace: ws, Train: []string{id}, Kind: "clever"}, nil); err == nil || !strings.Contains(err.Error(), "clever") {
		t.Errorf("kind clever: %v", err)
	}
	p := InteractiveParams()
	p.Epochs, p.MaxStepsPerEpoch, p.Batch, p.ReferenceSlices = 1, 1, 2, 2
	p.Interactive.MaxClicks, p.Interactive.Network = 2, "copy"
	res, err := FineTune(ctx, FineTuneRequest{Workspace: ws, Train: []string{id}, Kind: inference.KindInteractive, Params: &p, Python: py, ORT: ort}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Kind != workspace.KindInteractive || res.Model.Active || res.Parent != BuiltIn || res.Report.Kind != inference.KindInteractive || len(res.Scores) != 0 {
		t.Errorf("result %+v, model %+v", res, res.Model)
	}
	if ct := res.Report.Params.Interactive; ct == nil || ct.Network != "copy" {
		t.Errorf("the job's click training %+v, want the copy network", ct)
	}
	if card, err := os.ReadFile(filepath.Join(res.JobDir, "MODEL_CARD.md")); err != nil || !strings.Contains(string(card), "trainable copy") {
		t.Errorf("the model card does not name the copy network (%v)", err)
	}
	m, err := inference.OpenModel(ctx, res.Model.Path, ort)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Contract(); !c.Interactive() || c.InputChannels() != c.Channels+3 || c.ClickEncoding != DefaultClickEncoding {
		t.Errorf("contract %+v", c)
	}
	if ms, err := ws.ModelsOfKind(ctx, workspace.KindAutomatic); err != nil || len(ms) != 0 {
		t.Errorf("automatic models %v %v", ms, err)
	}
}
