package training

// Fine-tuning on corrected cases of a workspace: what the GUI's retrain panel starts. It is the
// job `liverseg train --from` runs (Prepare, Parent.InitJob, Trainer.RunJob), with its cases and
// labels taken from the workspace and the old and the new model compared at the end.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"liverseg/inference"
	"liverseg/scan"
	"liverseg/workspace"
)

// FineTuneRequest asks for a short fine-tuning job on corrected cases of a workspace.
type FineTuneRequest struct {
	Workspace *workspace.Workspace
	Parent    string   // model version to fine-tune; "" = the workspace's active model, else the built-in model (assets); BuiltIn = the built-in model
	Train     []string // case IDs: each case's latest label version is the training label
	HeldOut   []string // case IDs to compare old and new models on (latest label as truth); may be empty
	Params    *Params  // nil = FineTuneParams (few epochs, low learning rate, batch sized for CPU); Base and Depth always come from the parent
	Python    string   // interpreter; "" = LIVERSEG_PYTHON or python3
	Author    string   // recorded in job.json

	// Kind is the kind of model to make: "" or inference.KindAutomatic fine-tunes the parent;
	// inference.KindInteractive trains an interactive model from it (the parent stays an
	// automatic model: the workspace's active one by default), with InteractiveParams unless
	// Params says otherwise, its clicks drawn as DefaultClickEncoding at DefaultClickRadiusMM.
	// Its result has no Scores (an interactive model does not segment a series alone): its
	// report's Clicks, the Dice against the number of simulated clicks on the held-out cases,
	// take their place.
	Kind string

	// Version is the new model's version; "" = the job's ID.
	Version string
	// ORT is the ONNX Runtime for the check of the exported model and the scoring; the zero
	// value is the CPU with the library liverseg doctor finds.
	ORT inference.Options
}

// CaseScore is one case's Dice and surface distances against its latest label, by the parent and
// by the fine-tuned model, each through the whole segmentation pipeline (inference.Segment) on
// the case's series.
type CaseScore struct {
	CaseID  string
	Label   int // the label version the figures are against (the case's latest at the request)
	OldDice float64
	NewDice float64
	// The surface distances (HD95, ASSD, NSD at 2 mm) of the parent and of the fine-tuned model;
	// where a mask is empty their figures are nil and Reason says why.
	OldSurface, NewSurface scan.SurfaceFigures
}

// Gain is NewDice - OldDice: positive when the fine-tuned model does better.
func (s CaseScore) Gain() float64 { return s.NewDice - s.OldDice }

// FineTuneResult is a finished fine-tuning job.
type FineTuneResult struct {
	Version     string      // the registered new model's version (not activated)
	Parent      string      // the version it was fine-tuned from (BuiltIn for the assets model)
	JobDir      string      // job.json, events.jsonl, worker.log, model.onnx, report/
	Scores      []CaseScore // the held-out cases, in the request's order
	TrainScores []CaseScore // the training cases, in the request's order (they improve first: overfitting shows here)
	Elapsed     time.Duration
	Model       *workspace.Model // the registry's record of Version
	Report      *Report          // the job's report (report/index.html), with the worker's loss history
}

// FineTuneParams are the short fine-tune's defaults, sized for a CPU: 4 epochs of Adam at 1e-4
// (a twentieth of the built-in model's training rate: the parent is converged, and larger steps
// undo more than the corrections teach), batches of 4, batch norm frozen (one patient's small
// batches would re-normalise a network trained on many), 80% of the draws where the parent
// disagrees with the labels (Focus: the corrections), no augmentation (it resamples the labels,
// which blurs the pixel-sized boundary corrections a fine-tune is for), no early stop (too few
// epochs to judge), at most 15 minutes. The network's shape (Base, Depth) comes from the parent.
// Chosen on IRCAD case 1 corrected toward its reference (cli/finetune_e2e_test.go): learning
// rates of 3e-4 and more lowered its Dice, 5e-5 to 1e-4 with Focus 0.5 to 0.8 raised it.
func FineTuneParams() Params {
	p := DefaultParams()
	p.Optimizer, p.LR, p.WeightDecay = "adam", 1e-4, 0
	p.Schedule, p.WarmupEpochs = "cosine", 0
	p.Batch, p.Epochs, p.Patience = 4, 4, 0
	p.Augment = Augment{Disabled: true}
	p.FreezeBN = true
	p.Focus = 0.8
	p.MaxSeconds = 900
	p.ReferenceSlices = 4
	return p
}

// InteractiveParams are the defaults of an interactive model trained from an automatic one on a
// CPU, as assets/interactive-model.json trains the built-in one: the automatic network frozen as
// the trunk, Adam at 1e-3 for the click head alone (which starts at zero), batches of 8, 40 steps
// an epoch, at most 30 epochs or 45 minutes, mild augmentation, and the click simulation's
// defaults (ClickTraining).
func InteractiveParams() Params {
	p := DefaultParams()
	p.Optimizer, p.LR, p.WeightDecay = "adam", 1e-3, 0
	p.Schedule, p.WarmupEpochs = "cosine", 0
	p.Batch, p.Epochs, p.Patience, p.MaxStepsPerEpoch = 8, 30, 0, 40
	p.Augment = Augment{RotateDeg: 8, Scale: 0.1, Intensity: 0.1}
	p.FreezeBN = true
	p.MaxSeconds = 2700
	p.ReferenceSlices = 8
	p.Interactive = &ClickTraining{NoClickShare: 0.3, NoClickWeight: 2, RegionWeight: 1, ValSlices: 24}
	return p
}

// Events FineTune sends besides the worker's (Event.Event "stage"): Kind says which part of the
// job runs and Message what it does; Step and Steps count its items where it has some.
const (
	StageExport   = "export"   // the cases through the inference pre-processing into the dataset
	StageInit     = "init"     // the parent's weights and the reference logits the worker must reproduce
	StageTrain    = "train"    // the worker starts (its own events follow: init, start, step, epoch, checkpoint, exported, done)
	StageCheck    = "check"    // the exported model in ONNX Runtime against PyTorch, the report, the registration
	StageScore    = "score"    // the old and the new model segment the held-out and training cases
	StageFinished = "finished" // the result is ready
)

// FineTune exports the cases through the inference pre-processing, runs the PyTorch worker in its
// own process (events to onEvent as they come, from the calling goroutine: FineTune's "stage"
// events and the worker's init/start/step/epoch/checkpoint/exported/done), verifies and registers
// the exported model (not activated), then scores old and new models on the held-out and
// training cases. ctx cancel → SIGINT to the worker, clean end, error wrapping context.Canceled
// (and ErrCancelled once the worker ran). Once the model is registered, an error (a cancel during
// the scoring, say) comes with the result so far: Version and Model set, the scores missing. A request that names an unknown case or a case without
// a label fails before any work, wrapping workspace.ErrNotFound; a worker that fails leaves its
// job folder (named in the error, with its worker.log) and registers nothing.
//
// The held-out cases are the job's validation split (their loss is the worker's validation loss,
// and the best epoch is chosen on it); a patient may not be on both sides.
func FineTune(ctx context.Context, req FineTuneRequest, onEvent func(Event)) (res *FineTuneResult, err error) {
	start := time.Now()
	emit := func(ev Event) {
		if onEvent != nil {
			onEvent(ev)
		}
	}
	stage := func(kind, msg string, step, steps int) {
		emit(Event{Event: "stage", Kind: kind, Message: msg, Step: step, Steps: steps, Time: float64(time.Now().UnixNano()) / 1e9})
	}
	ws := req.Workspace
	train, held, err := req.check(ctx)
	if err != nil {
		return nil, err
	}
	parent, err := ResolveParent(ctx, ws, req.Parent)
	if err != nil {
		return nil, fmt.Errorf("fine-tuning: parent model: %w", err)
	}
	cfg := &Config{Name: "fine-tune of " + parent.Version, Quantize: true}
	interactive := req.Kind == inference.KindInteractive
	switch {
	case req.Params != nil:
		cfg.Train = *req.Params
	case interactive:
		cfg.Train = InteractiveParams()
	default:
		cfg.Train = FineTuneParams()
	}
	if interactive {
		cfg.Name = "interactive model from " + parent.Version
		cfg.Contract.Kind = inference.KindInteractive
	} else if req.Kind != "" && req.Kind != inference.KindAutomatic {
		return nil, fmt.Errorf("fine-tuning: model kind %q: want %s or %s", req.Kind, inference.KindAutomatic, inference.KindInteractive)
	}
	parent.Configure(cfg)
	for _, c := range train {
		cfg.Cases = append(cfg.Cases, c.source("train"))
	}
	for _, c := range held {
		cfg.Cases = append(cfg.Cases, c.source("val"))
	}
	if err := cfg.Check(); err != nil {
		return nil, fmt.Errorf("fine-tuning: %w", err)
	}
	ort := req.ORT
	if ort.Device == "" {
		ort.Device = inference.DeviceCPU
	}

	id := NewID()
	dir := ws.JobDir(id)
	// Until the worker starts, a failed job has nothing worth keeping (no log, no checkpoint).
	workerRan := false
	defer func() {
		if err == nil {
			return
		}
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		if !workerRan {
			os.RemoveAll(dir)
			err = fmt.Errorf("fine-tuning: %w", err)
		} else {
			err = fmt.Errorf("fine-tuning job %s: %w", dir, err)
		}
	}()

	stage(StageExport, "exporting the cases", 0, len(cfg.Cases))
	j, man, err := Prepare(ctx, cfg, dir, "", func(s string, done, total int) { stage(StageExport, s, done, total) })
	if err != nil {
		return nil, err
	}
	stage(StageInit, "reading the weights of "+parent.Version, 0, 0)
	if err := parent.InitJob(ctx, dir, j, ort); err != nil {
		return nil, err
	}
	j.Author = req.Author
	if err := WriteJob(dir, j); err != nil {
		return nil, err
	}

	tr := &Trainer{WS: ws,
		Run: RunOptions{Python: req.Python, OnEvent: func(ev Event) {
			if ev.Event == "exported" {
				stage(StageCheck, "checking the model in ONNX Runtime", 0, 0)
			}
			emit(ev)
		}},
		// The volumes are scored below, old and new model together, each series read once.
		Finish: FinishOptions{Model: ort, Version: req.Version, Parent: parent.Version}}
	stage(StageTrain, "training", 0, 0)
	workerRan = true
	out, err := tr.RunJob(ctx, dir, false, false)
	if err != nil {
		return nil, err
	}
	res = &FineTuneResult{Version: out.Report.Version, Parent: parent.Version, JobDir: dir, Model: out.Model, Report: out.Report}
	if interactive {
		res.Elapsed = time.Since(start)
		stage(StageFinished, "done", 0, 0)
		return res, nil
	}

	// From here the model is registered: a failure or a cancel still returns what there is.
	old, err := inference.OpenModel(ctx, parent.Path, ort)
	if err != nil {
		return res, fmt.Errorf("model %s: %w", parent.Version, err)
	}
	defer old.Close()
	cur, err := inference.OpenModel(ctx, out.Model.Path, ort)
	if err != nil {
		return res, fmt.Errorf("model %s: %w", res.Version, err)
	}
	defer cur.Close()
	evals, err := evalVolumesWith(ctx, []*inference.Model{old, cur}, man, map[string]bool{"train": true, "val": true},
		func(s string, done, total int) { stage(StageScore, s, done, total) })
	if err != nil {
		return res, err
	}
	score := func(cs []workspaceCase) []CaseScore {
		out := make([]CaseScore, 0, len(cs))
		for _, c := range cs {
			s := CaseScore{CaseID: c.ID, Label: c.label.Version}
			for i, e := range evals[0] {
				if e.Name == c.ID {
					s.OldDice, s.NewDice = e.Dice, evals[1][i].Dice
					s.OldSurface, s.NewSurface = *e.SurfaceFigures, *evals[1][i].SurfaceFigures
				}
			}
			out = append(out, s)
		}
		return out
	}
	res.Scores, res.TrainScores = score(held), score(train)
	res.Elapsed = time.Since(start)
	stage(StageFinished, "done", 0, 0)
	return res, nil
}

// workspaceCase is a case of the request with the label version it trains on or is scored
// against.
type workspaceCase struct {
	*workspace.Case
	label *workspace.LabelVersion
}

func (c workspaceCase) source(split string) CaseSource {
	patient := c.Patient
	if patient == "" {
		patient = c.ID
	}
	return CaseSource{Name: c.ID, Patient: patient, Series: c.SeriesPath, UID: c.SeriesUID, Label: c.label.Path, Split: split}
}

// check validates the request before any work and resolves its cases and their latest labels.
func (req *FineTuneRequest) check(ctx context.Context) (train, held []workspaceCase, err error) {
	if req.Workspace == nil {
		return nil, nil, errors.New("fine-tuning: no workspace")
	}
	if len(req.Train) == 0 {
		return nil, nil, errors.New("fine-tuning: no training cases")
	}
	seen := map[string]string{}
	resolve := func(ids []string, role string) ([]workspaceCase, error) {
		var out []workspaceCase
		for _, id := range ids {
			if prev, dup := seen[id]; dup {
				if prev == role {
					return nil, fmt.Errorf("fine-tuning: case %s is listed twice as a %s case", id, role)
				}
				return nil, fmt.Errorf("fine-tuning: case %s is both a training and a held-out case: a held-out case must not be trained on", id)
			}
			seen[id] = role
			c, err := req.Workspace.Case(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("fine-tuning: %s case %s: %w", role, id, err)
			}
			l, err := req.Workspace.LatestLabel(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("fine-tuning: %s case %s has no label to %s: %w", role, id,
					map[string]string{"training": "train on", "held-out": "score against"}[role], err)
			}
			if _, err := os.Stat(l.Path); err != nil {
				return nil, fmt.Errorf("fine-tuning: %s case %s, label version %d: %w", role, id, l.Version, err)
			}
			out = append(out, workspaceCase{Case: c, label: l})
		}
		return out, nil
	}
	if train, err = resolve(req.Train, "training"); err != nil {
		return nil, nil, err
	}
	if held, err = resolve(req.HeldOut, "held-out"); err != nil {
		return nil, nil, err
	}
	return train, held, nil
}
