package training

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"liverseg/scan"
	"liverseg/workspace"
)

// Trainer runs jobs in a workspace: the worker, the check in ONNX Runtime, the report, and the
// registration of the model.
type Trainer struct {
	WS     *workspace.Workspace
	Run    RunOptions
	Finish FinishOptions
}

// Result is a job that ran to its end and was registered.
type Result struct {
	*Outcome
	Model *workspace.Model
}

// RunJob runs the job in dir (prepared by Prepare; resume takes up its checkpoint) and, when the
// worker is done, checks, reports and registers its model (activate makes it the active one).
// A cancelled or failed job registers nothing and leaves the active model as it was.
func (t *Trainer) RunJob(ctx context.Context, dir string, resume, activate bool) (*Result, error) {
	j, err := ReadJob(ctx, dir)
	if err != nil {
		return nil, err
	}
	if j.Resume != resume {
		j.Resume = resume
		if err := WriteJob(dir, j); err != nil {
			return nil, err
		}
	}
	if resume {
		if _, err := os.Stat(filepath.Join(dir, "checkpoint.pt")); err != nil {
			return nil, fmt.Errorf("%s: no checkpoint to resume from", dir)
		}
	}
	kind := "train"
	if t.WS != nil {
		if err := t.WS.StartJob(ctx, j.ID, kind, dir, j.Params); err != nil {
			return nil, err
		}
	}
	end := func(status, model, msg string) {
		if t.WS != nil {
			_ = t.WS.EndJob(ctx, j.ID, status, model, msg)
		}
	}
	if _, err := RunWorker(ctx, dir, t.Run); err != nil {
		if errors.Is(err, ErrCancelled) {
			end("cancelled", "", "cancelled; resume with liverseg train --resume "+j.ID)
		} else {
			end("failed", "", err.Error())
		}
		return nil, err
	}
	res, err := t.Complete(ctx, dir, activate)
	if err != nil {
		end("failed", "", err.Error())
		return nil, err
	}
	version := ""
	if res.Model != nil {
		version = res.Model.Version
	}
	end("done", version, "")
	return res, nil
}

// Complete checks and reports a job the worker has finished (here, or on another machine and
// brought back) and registers its model in the workspace, when there is one.
func (t *Trainer) Complete(ctx context.Context, dir string, activate bool) (*Result, error) {
	out, err := Finish(ctx, dir, t.Finish)
	if err != nil {
		return nil, err
	}
	if err := WriteModelCard(filepath.Join(dir, "MODEL_CARD.md"), out.Report); err != nil {
		return nil, err
	}
	if t.WS == nil {
		return &Result{Outcome: out}, nil
	}
	return t.Register(ctx, out, activate)
}

// Register records a checked model in the workspace (models/VERSION/).
func (t *Trainer) Register(ctx context.Context, out *Outcome, activate bool) (*Result, error) {
	r := out.Report
	m, err := t.WS.RegisterModel(ctx, workspace.NewModel{
		Version: r.Version, Parent: r.Parent, SourceDir: out.Dir, Data: r.Dataset, Params: r.Params,
		Metrics: summaryOf(r), ValDice: r.Val.Dice, Job: r.Job, Kind: r.Kind, Activate: activate,
	})
	if err != nil {
		return nil, err
	}
	return &Result{Outcome: out, Model: m}, nil
}

// Summary is the part of a report the registry keeps (the models row's metrics), under the
// report's own names: workspace.Rebuild makes the same from report/metrics.json.
type Summary struct {
	ValLevel   string             `json:"val_level"`
	Val        scan.Metrics       `json:"val"` // without the per-slice figures
	CaseDice   map[string]float64 `json:"case_dice"`
	ORTMaxDiff float64            `json:"ort_max_diff"`
	BestEpoch  int                `json:"best_epoch"`
	Epochs     int                `json:"epochs"`
}

func summaryOf(r *Report) Summary {
	val := r.Val
	val.Slices = nil
	s := Summary{ValLevel: r.ValLevel, Val: val, CaseDice: map[string]float64{},
		ORTMaxDiff: r.ORTMaxDiff, BestEpoch: r.BestEpoch, Epochs: r.Epochs}
	for _, c := range r.Cases {
		s.CaseDice[c.Name+" (slices)"] = c.Dice
	}
	for _, c := range r.Volumes {
		s.CaseDice[c.Name] = c.Dice
	}
	return s
}

// WriteModelCard writes the model card of a report.
func WriteModelCard(path string, r *Report) error {
	if r.Clicks != nil {
		return writeInteractiveCard(path, r)
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# liverseg model %s\n\n", r.Version)
	p("A 2.5D U-Net that segments the liver in axial CT slices (DESIGN.md, the model contract).")
	if r.Parent != "" {
		p(" Fine-tuned from %s.", r.Parent)
	}
	p("\n\n## Figures\n\n")
	level := "at the model's input size"
	if r.ValLevel == "volume" {
		level = "by the whole segmentation pipeline on the original series"
	}
	p("- Validation Dice **%.4f** (all validation voxels at once, %s); mIoU %.4f, mPA %.4f; the original study's per-slice mIoU %.4f and mPA %.4f.\n",
		r.Val.Dice, level, r.Val.MIoU, r.Val.MPA, r.Val.StudyMIoU, r.Val.StudyMPA)
	if sf := r.Val.SurfaceFigures; sf != nil {
		if s := cellsOf(sf); s.Reason != "" {
			p("- Surface distances: none (%s).\n", s.Reason)
		} else {
			p("- Surface distances, the mean over the validation series: HD95 %s mm, ASSD %s mm, NSD at 2 mm %s.\n", s.HD95, s.ASSD, s.NSD)
		}
	}
	if len(r.Volumes) > 0 {
		p("\n| case | split | Dice | IoU | HD95 mm | ASSD mm | NSD 2 mm | truth ml | predicted ml |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, c := range r.Volumes {
			s := cellsOf(c.SurfaceFigures)
			p("| %s | %s | %.4f | %.4f | %s | %s | %s | %.1f | %.1f |\n", c.Name, c.Split, c.Dice, c.IoU, s.HD95, s.ASSD, s.NSD, c.TruthML, c.PredML)
		}
		p("\nTraining cases are listed so that overfitting shows.\n")
	}
	p("\nAt the model's input size (threshold only):\n\n| case | split | slices | Dice |\n| --- | --- | --- | --- |\n")
	for _, c := range r.Cases {
		p("| %s | %s | %d | %.4f |\n", c.Name, c.Split, len(c.Slices), c.Dice)
	}
	p("\nONNX Runtime (%s) reproduces PyTorch's logits on %d validation slices within %.2g.\n", r.ORTProvider, r.ORTSlices, r.ORTMaxDiff)
	p("\n## Input (the contract in the model's metadata)\n\n")
	p("%d channels (slices k-1, k, k+1), window %g..%g HU scaled to 0..1, resized to %dx%d (bilinear), orientation %s, threshold 0.5 on the sigmoid.\n",
		r.Contract.Channels, r.Contract.Window[0], r.Contract.Window[1], r.Contract.InputSize[0], r.Contract.InputSize[1], r.Contract.Orientation)
	p("\n## Training\n\n")
	p("U-Net of the original study, base %d channels, depth %d, dropout %g; BCE + Dice loss; %s, lr %g, schedule %s, batch %d; %d epochs run, the weights of epoch %d (lowest validation loss) kept",
		r.Params.Base, r.Params.Depth, r.Params.Dropout, r.Params.Optimizer, r.Params.LR, r.Params.Schedule, r.Params.Batch, r.Epochs, r.BestEpoch)
	if r.EarlyStop != "" {
		p(" (stopped early: %s)", r.EarlyStop)
	}
	p("; torch %s on %s, %.0f s.\n\n", r.Torch, r.Device, r.TrainSeconds)
	p("| data | kind | split | slices | patients | intensity |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, d := range r.Dataset {
		inten := "HU"
		if d.Kind == "slices" {
			inten = fmt.Sprintf("pixel 0..255 = %g..%g HU", d.HU[0], d.HU[1])
			if d.HUAssumed {
				inten += " (assumed)"
			}
		}
		p("| %s | %s | %s | %d | %d | %s |\n", d.Name, d.Kind, d.Split, d.Slices, d.Patients, inten)
	}
	p("\nSplit by patient, never by slice.\n")
	p("\n## Limits\n\n")
	p("- Few patients: the figures above come from the validation cases listed, not from a population; expect lower Dice on other scanners, contrast phases and livers with large lesions.\n")
	p("- The 2D slice sets carry no spacing and were stored windowed; their intensity mapping is declared above.\n")
	p("- Data licences: 3D-IRCADb-01 is CC BY-NC-ND 4.0 (research only), the MSD liver slices CC BY-SA 4.0. For research and review assistance, not for diagnosis.\n")
	p("\nThe full report: report/index.html and report/metrics.json.\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
