package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"liverseg/inference"
	"liverseg/scan"
	"liverseg/scan/labels"
)

// work is the review's running background job: what it is, for the status line, and how to
// cancel it. One runs at a time.
type work struct {
	what   string
	cancel context.CancelFunc
}

// start runs job off the Fyne goroutine with the work bar showing what and its progress, then
// done on the Fyne goroutine (unless another series was opened meanwhile). A cancelled job ends
// quietly; an error or a panic goes to a dialog.
func (r *review) start(what string, job func(ctx context.Context, progress func(done, total int)) error, done func()) {
	if r.work != nil {
		r.s.showError(fmt.Errorf("%s is running: wait for it or cancel it first", r.work.what))
		return
	}
	ctx, cancel := context.WithCancel(r.s.ctx)
	w := &work{what: what, cancel: cancel}
	r.work = w
	r.workLabel.SetText(what)
	r.workBar.SetValue(0)
	r.workBox.Show()
	r.main.RefreshStatus()

	progress := r.s.percentProgress(func(d, total int) {
		if r.work == w {
			r.workBar.SetValue(float64(d) / float64(max(total, 1)))
		}
	})
	r.s.jobs.Go(func(context.Context) {
		err := guarded(func() error { return job(ctx, progress) })
		// A job leaves its scratch behind (file buffers, a model run's batches): give it back
		// to the system now, before the next job's peak lands on top of it.
		debug.FreeOSMemory()
		r.s.do(func() {
			cancel()
			if r.work == w {
				r.work = nil
				r.workBox.Hide()
				r.main.RefreshStatus()
				if f := r.afterWork; f != nil {
					r.afterWork = nil
					f()
				}
				defer r.view3D.build() // the surfaces waited for the job; after done() gave its masks
			}
			if r.s.review != r {
				return
			}
			switch {
			case errors.Is(err, context.Canceled):
				r.modelNote = what + ": cancelled"
				r.main.RefreshStatus()
			case err != nil:
				r.errors = append(r.errors, errorText(err))
				r.s.showError(err)
			default:
				done()
			}
			if r.s.hooks.onWorkDone != nil {
				r.s.hooks.onWorkDone(what, err)
			}
			r.nextStep()
		})
	})
}

// close cancels the running job: the review is left.
func (r *review) close() {
	if r.work != nil {
		r.work.cancel()
	}
	if r.editor != nil {
		r.editor.ed.EndStroke()
		r.editor.clicks.close()
		r.editor.saver.close()
		r.editor = nil
	}
}

// runModel infers the liver on the series with the workspace's active model, else the built-in
// one, on CUDA where ONNX Runtime has it. The label being reviewed is never touched: the result
// replaces only the prediction.
func (r *review) runModel() {
	vol, truth := r.vol, r.truth
	var (
		mask    *scan.Mask
		prob    *scan.Prob
		metrics *scan.Metrics
		name    string
		note    string
	)
	rd := r.main.Renderer()
	r.start("running the model", func(ctx context.Context, progress func(int, int)) error {
		t0 := time.Now()
		m, version, err := r.s.model(ctx)
		if err != nil {
			return err
		}
		mask, prob, _, err = inference.Segment(ctx, m, vol, progress)
		if err != nil {
			return namePath(m.Path(), err)
		}
		name = version
		note = fmt.Sprintf("model %s on %s, %.1f s", version, providerName(m.Provider()), time.Since(t0).Seconds())
		if truth != nil {
			metrics, err = scoreVolume(rd, truth, mask)
		}
		return err
	}, func() {
		r.pred, r.prob, r.predName, r.modelNote = mask, prob, name, note
		if r.truth == truth {
			r.setMetrics(metrics)
		}
		r.apply()
	})
}

// chooseTruth asks for a label in any format: a file (NIfTI, DICOM SEG) or a folder (per-slice
// mask DICOM files, a PNG stack); a mask folder found beside the series is offered first. Below,
// how to read it: a PNG stack whose first file is the last slice, a SEG's segment.
func (r *review) chooseTruth() {
	var d dialog.Dialog
	reverse := widget.NewCheck("PNG stack: the first file is the last slice", nil)
	reverse.SetChecked(r.labelOpts.Reverse)
	segment := widget.NewEntry()
	segment.SetPlaceHolder("the one labelled liver")
	if r.labelOpts.Segment > 0 {
		segment.SetText(strconv.Itoa(r.labelOpts.Segment))
	}
	// load reads path with the choices made; a bad segment number is said, not guessed.
	load := func(path string) {
		opts := labels.Options{Reverse: reverse.Checked}
		if t := strings.TrimSpace(segment.Text); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil || n < 1 {
				r.s.showError(fmt.Errorf("%s: segment %q: a segment number (1, 2, …), or empty for the liver", path, t))
				return
			}
			opts.Segment = n
		}
		r.labelOpts = opts
		r.loadTruth(path, opts)
	}
	pickFile := widget.NewButton("A file: NIfTI (.nii, .nii.gz) or DICOM SEG…", func() {
		d.Hide()
		fd := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil {
				r.s.showError(err)
				return
			}
			if rc != nil {
				p := rc.URI().Path()
				rc.Close()
				load(p)
			}
		}, r.s.win)
		r.s.startIn(fd)
		fd.Resize(r.s.dialogSize())
		fd.Show()
	})
	pickFolder := widget.NewButton("A folder: mask DICOM files or a PNG stack…", func() {
		d.Hide()
		fd := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err != nil {
				r.s.showError(err)
				return
			}
			if u != nil {
				load(u.Path())
			}
		}, r.s.win)
		r.s.startIn(fd)
		fd.Resize(r.s.dialogSize())
		fd.Show()
	})
	items := []fyne.CanvasObject{widget.NewLabel("The truth, or another reader's mask, aligned to this series:")}
	if p := nearbyTruth(r.vol.Series.Path); p != "" {
		items = append(items, widget.NewButton("The liver mask beside the series: "+filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func() {
			d.Hide()
			load(p)
		}))
	}
	items = append(items, pickFile, pickFolder, widget.NewSeparator(), reverse,
		container.NewBorder(nil, nil, widget.NewLabel("DICOM SEG segment:"), nil, segment))
	d = dialog.NewCustom("Load a label", "Cancel", container.NewVBox(items...), r.s.win)
	d.Show()
}

// nearbyTruth is the liver mask folder that IRCAD keeps beside a series
// (PATIENT_DICOM → MASKS_DICOM/liver), or "".
func nearbyTruth(seriesDir string) string {
	if seriesDir == "" {
		return ""
	}
	p := filepath.Join(filepath.Dir(seriesDir), "MASKS_DICOM", "liver")
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return p
	}
	return ""
}

// loadTruth reads a label in any format, aligned to the series, and scores the prediction
// against it.
func (r *review) loadTruth(path string, opts labels.Options) {
	vol, pred := r.vol, r.pred
	var (
		mask    *scan.Mask
		metrics *scan.Metrics
	)
	rd := r.main.Renderer()
	r.start("loading "+filepath.Base(path), func(ctx context.Context, _ func(int, int)) error {
		var err error
		mask, err = labels.Load(path, vol, opts)
		if err != nil {
			return namePath(path, err)
		}
		if pred != nil {
			metrics, err = scoreVolume(rd, mask, pred)
		}
		return err
	}, func() {
		r.truth, r.truthName = mask, filepath.Base(path)
		if r.pred == pred {
			r.setMetrics(metrics)
		}
		r.apply()
	})
}

// namePath makes sure err names path: errors from scan and inference mostly do already.
func namePath(path string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || strings.Contains(err.Error(), path) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// providerName is how the status line names an ONNX Runtime execution provider.
func providerName(p string) string {
	switch p {
	case inference.ProviderCUDA:
		return "CUDA"
	case inference.ProviderCPU:
		return "CPU"
	}
	return p
}

// rescore computes the figures again for the truth shown now (the label being edited, once
// saved, or the reference again) against the prediction, off the Fyne goroutine. The label is
// copied first: the editor may change it meanwhile.
func (r *review) rescore() {
	if r.truth == nil || r.pred == nil {
		r.setMetrics(nil)
		return
	}
	truth := r.truth
	if r.editor != nil && truth == r.editor.ed.Mask() {
		truth = truth.Clone()
	}
	pred, shown := r.pred, r.truth
	rd := r.main.Renderer()
	var m *scan.Metrics
	r.start("scoring", func(context.Context, func(int, int)) error {
		var err error
		m, err = scoreVolume(rd, truth, pred)
		return err
	}, func() {
		if r.truth == shown && r.pred == pred {
			r.setMetrics(m)
		}
	})
}
