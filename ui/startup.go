package ui

import (
	"encoding/json"

	"liverseg/internal/atomicfile"
	"liverseg/scan"
)

// startup runs the first actions that Options ask for, one after the other (each waits for the
// background job of the one before): load the truth, run the model, choose the layout and the
// slice, then write the ready file. A failed step shows its dialog and the next runs anyway.
func (r *review) startup(o Options) {
	var steps []func() bool // a step returns whether it started a background job
	if o.Truth != "" {
		steps = append(steps, func() bool { r.loadTruth(o.Truth, o.TruthOpts); return r.work != nil })
	}
	if o.Infer {
		steps = append(steps, func() bool { r.runModel(); return r.work != nil })
	}
	// The ready file says the window shows everything: in four-up, the 3D surfaces too, built
	// once the loads and the model run are done.
	r.view3D.hold = len(steps) > 0
	steps = append(steps, func() bool {
		r.view3D.hold = false
		r.view3D.update()
		return r.view3D.afterBuild(r.nextStep)
	})
	steps = append(steps, func() bool {
		if o.Layout == LayoutSideBySide && !r.sideBySide {
			r.toggleSideBySide()
		}
		switch {
		case o.Slice > 0:
			r.goToSlice(o.Slice - 1)
		case len(r.disagree) > 0:
			r.jumpDisagreement(0)
		}
		if o.ReadyFile != "" {
			if err := r.writeReady(o.ReadyFile); err != nil {
				r.s.showError(err)
			}
		}
		if r.s.hooks.onReady != nil {
			r.s.hooks.onReady()
		}
		return false
	})
	r.steps = steps
	r.nextStep()
}

// nextStep runs the remaining startup steps until one starts a background job; the job's end
// calls nextStep again.
func (r *review) nextStep() {
	for len(r.steps) > 0 {
		step := r.steps[0]
		r.steps = r.steps[1:]
		if step() {
			return
		}
	}
}

// ready is what the ready file holds: what the window shows, for scripts.
type ready struct {
	Series     string        `json:"series"`
	Slice      int           `json:"slice"` // 1-based, as the status line says
	Layout     string        `json:"layout"`
	Truth      string        `json:"truth,omitempty"`
	Prediction string        `json:"prediction,omitempty"`
	Model      string        `json:"model,omitempty"`
	Metrics    *scan.Metrics `json:"metrics,omitempty"`
	Errors     []string      `json:"errors,omitempty"`
}

func (r *review) writeReady(path string) error {
	rd := ready{Series: r.vol.Series.Path, Slice: r.main.Slice() + 1, Layout: r.layout(),
		Truth: r.truthName, Prediction: r.predName, Model: r.modelNote, Errors: r.errors}
	if r.metrics != nil {
		m := *r.metrics
		m.Slices = nil
		rd.Metrics = &m
	}
	b, err := json.MarshalIndent(rd, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o644, append(b, '\n'))
}
