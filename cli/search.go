package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"liverseg/training"
	"liverseg/workspace"
)

// runSearch runs n random trials of the study's grid on one exported dataset, ranks them by
// validation Dice, writes summary.html and summary.json, and registers the best trial's model.
func runSearch(ctx context.Context, tr *training.Trainer, ws *workspace.Workspace, cfg *training.Config, n int, out string, parent *training.Parent,
	activate bool, bar *trainBar, stdout, stderr io.Writer, asJSON bool) int {
	id := training.NewID()
	dir := out
	if dir == "" {
		dir = ws.JobDir("search-" + id)
	}
	bar.stage("exporting the dataset")
	man, err := training.Export(ctx, cfg, filepath.Join(dir, "dataset"), func(stage string, done, total int) { bar.stage(stage) })
	bar.clear()
	if err != nil {
		return fail(stderr, err)
	}
	_ = man
	trials := make([]training.Trial, 0, n)
	for i, p := range training.StudyGrid().Sample(n, int64(cfg.Train.Seed), cfg.Train) {
		trials = append(trials, training.Trial{N: i + 1, Dir: filepath.Join(dir, fmt.Sprintf("trial-%02d", i+1)), Params: p, Status: "pending"})
	}
	outcomes := map[int]*training.Outcome{}
	// trials are checked and reported, not registered: only the best is
	trialTrainer := *tr
	trialTrainer.WS = nil
	for i := range trials {
		t := &trials[i]
		if ctx.Err() != nil {
			t.Status = "cancelled"
			continue
		}
		j := &training.JobFile{Params: t.Params, Dataset: "../dataset", ID: id + "-t" + fmt.Sprint(t.N), Name: cfg.Name, Created: id}
		if parent != nil {
			if err := mkdirAll(t.Dir); err != nil {
				return fail(stderr, err)
			}
			if err := parent.InitJob(ctx, t.Dir, j, tr.Finish.Model); err != nil {
				return fail(stderr, err)
			}
		}
		if err := mkJob(t.Dir, j); err != nil {
			return fail(stderr, err)
		}
		bar.trial = fmt.Sprintf("trial %d/%d: ", t.N, len(trials))
		trialTrainer.Finish.Version = j.ID
		res, err := trialTrainer.RunJob(ctx, t.Dir, false, false)
		bar.clear()
		switch {
		case errors.Is(err, training.ErrCancelled):
			t.Status, t.Error = "cancelled", "resume with liverseg train --resume "+t.Dir
		case err != nil:
			t.Status, t.Error = "failed", err.Error()
			fmt.Fprintf(stderr, "liverseg: trial %d: %v\n", t.N, err)
		default:
			t.Fill(res.Report)
			outcomes[t.N] = res.Outcome
		}
	}
	bar.trial = ""
	training.Rank(trials)
	if err := training.WriteSearchSummary(dir, trials); err != nil {
		return fail(stderr, err)
	}
	var best *workspace.Model
	if len(trials) > 0 && trials[0].Status == "done" && ws != nil {
		res, err := tr.Register(context.WithoutCancel(ctx), outcomes[trials[0].N], activate)
		if err != nil {
			return fail(stderr, err)
		}
		best = res.Model
	}
	if asJSON {
		if err := writeJSON(stdout, map[string]any{"dir": dir, "summary": filepath.Join(dir, "summary.html"), "trials": trials, "best": best}); err != nil {
			return fail(stderr, err)
		}
	} else {
		fmt.Fprintf(stdout, "%4s %5s %-5s %7s %5s %7s %6s %8s\n", "rank", "trial", "opt", "lr", "batch", "dropout", "epochs", "val dice")
		for _, t := range trials {
			if t.Status != "done" {
				fmt.Fprintf(stdout, "%4s %5d %-5s %7g %5d %7g %6d %s\n", "-", t.N, t.Params.Optimizer, t.Params.LR, t.Params.Batch, t.Params.Dropout, t.Params.Epochs, t.Status)
				continue
			}
			fmt.Fprintf(stdout, "%4d %5d %-5s %7g %5d %7g %6d %8.4f\n", t.Rank, t.N, t.Params.Optimizer, t.Params.LR, t.Params.Batch, t.Params.Dropout, t.Params.Epochs, t.Val.Dice)
		}
		fmt.Fprintf(stdout, "summary     %s\n", filepath.Join(dir, "summary.html"))
		if best != nil {
			fmt.Fprintf(stdout, "registered  %s (the best trial)\n", best.Version)
		}
	}
	if ctx.Err() != nil {
		return fail(stderr, ctx.Err())
	}
	return ExitOK
}

func mkJob(dir string, j *training.JobFile) error {
	if err := mkdirAll(dir); err != nil {
		return err
	}
	if err := training.WriteJob(dir, j); err != nil {
		return err
	}
	_, err := training.WriteWorker(dir)
	return err
}
