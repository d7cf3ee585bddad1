package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/workspace"
)

// checkpointEvery is how often the autosave writes a whole snapshot of a label with unsaved
// steps (the journal keeps every step in between).
const checkpointEvery = time.Minute

// saveOp is one piece of work for the autosave goroutine, done in order.
type saveOp struct {
	runs     []scan.MaskRun
	audit    *workspace.AuditEntry
	snapshot *scan.Mask
	done     chan error // answered after the op, when set
}

// autosaver writes the editor's steps to the workspace's autosave journal and audit log on a
// job of its own (each record is fsynced: the Fyne goroutine never waits on the disk), and a
// snapshot on a timer. The order of ops is the order of steps, so that the journal and the
// snapshots always describe the label the editor holds. Its jobs end when it is closed (the
// review closes it before the window's close waits for the jobs), the timer also when the
// window closes; the writer drains every op queued, so that no step is lost to a cancel.
type autosaver struct {
	s       *session
	ws      *workspace.Workspace
	a       *workspace.Autosave
	ops     chan saveOp
	wg      sync.WaitGroup
	mask    func() *scan.Mask // the editor's label, read on the Fyne goroutine for snapshots
	ticker  *time.Ticker
	stop    chan struct{}
	pending int // steps since the last snapshot (Fyne goroutine)
	failed  bool
}

func newAutosaver(s *session, ws *workspace.Workspace, caseID string, base int, dims [3]int) (*autosaver, error) {
	a, err := ws.OpenAutosave(caseID, base, dims)
	if err != nil {
		return nil, err
	}
	as := &autosaver{s: s, ws: ws, a: a, ops: make(chan saveOp, 1024), stop: make(chan struct{})}
	as.wg.Add(1)
	if _, err := s.jobs.Go(as.run); err != nil {
		as.wg.Done()
		a.Close()
		return nil, err
	}
	return as, nil
}

// run writes the queued ops until close: the audit entries even when ctx was cancelled, as they
// belong to steps already in the journal.
func (as *autosaver) run(ctx context.Context) {
	defer as.wg.Done()
	for op := range as.ops {
		var err error
		if len(op.runs) > 0 {
			err = as.a.Append(op.runs)
		}
		if err == nil && op.audit != nil {
			err = as.ws.AddAudit(context.WithoutCancel(ctx), *op.audit)
		}
		if err == nil && op.snapshot != nil {
			err = as.a.Checkpoint(op.snapshot)
		}
		if op.done != nil {
			op.done <- err
		}
		if err != nil {
			as.s.do(func() {
				if !as.failed {
					as.failed = true
					as.s.showError(fmt.Errorf("autosave: %w (keep working and save a version)", err))
				}
			})
		}
	}
}

// startTimer snapshots the label every checkpointEvery while steps are pending.
func (as *autosaver) startTimer(mask func() *scan.Mask) {
	as.mask = mask
	as.ticker = time.NewTicker(checkpointEvery)
	as.s.jobs.Go(func(ctx context.Context) {
		for {
			select {
			case <-as.stop:
				return
			case <-ctx.Done():
				return
			case <-as.ticker.C:
				as.s.do(as.checkpoint)
			}
		}
	})
}

// checkpoint queues a snapshot of the label as it is now (a copy: the editor goes on).
func (as *autosaver) checkpoint() {
	if as.pending == 0 || as.mask == nil {
		return
	}
	m := as.mask()
	c := m.Clone()
	as.pending = 0
	as.ops <- saveOp{snapshot: c}
}

// step queues a step's changed voxels and its audit entry.
func (as *autosaver) step(runs []scan.MaskRun, audit workspace.AuditEntry) {
	if as == nil {
		return
	}
	audit.Time = time.Now()
	as.pending++
	as.ops <- saveOp{runs: runs, audit: &audit}
}

// flush waits until every queued op is on disk.
func (as *autosaver) flush() error {
	if as == nil {
		return nil
	}
	done := make(chan error, 1)
	as.ops <- saveOp{done: done}
	return <-done
}

// close writes what is queued and closes the journal (its records stay for recovery).
func (as *autosaver) close() {
	if as == nil {
		return
	}
	if as.ticker != nil {
		as.ticker.Stop()
		close(as.stop)
	}
	close(as.ops)
	as.wg.Wait()
	as.a.Close()
}

// save writes the label as a new version in the workspace (origin manual, parent the version it
// started from); the autosave then starts afresh from that version.
func (le *labelEditor) save() {
	r := le.r
	le.ed.EndStroke()
	label := le.ed.Mask().Clone()
	caseID, base, vol, old := le.caseID, le.base, r.vol, le.saver
	var lv *workspace.LabelVersion
	r.start("saving the label", func(ctx context.Context, _ func(int, int)) error {
		if err := old.flush(); err != nil {
			return err
		}
		ws, err := r.s.workspace()
		if err != nil {
			return err
		}
		model := ""
		if le.fromModel {
			model = r.predName
		}
		lv, err = ws.SaveLabel(context.WithoutCancel(ctx), caseID, vol, label, workspace.OriginManual, base, model, author())
		if err != nil {
			return err
		}
		return ws.AddAudit(ctx, workspace.AuditEntry{Author: author(), CaseID: caseID, Tool: "save", Slice: workspace.WholeVolume,
			Voxels: int(scan.VolumeML(label, 1))})
	}, func() {
		// The old version's journal: its steps are in the saved version now.
		old.close()
		le.saver = nil
		ws, err := r.s.workspace()
		if err == nil {
			if err = ws.Discard(caseID); err == nil {
				le.saver, err = newAutosaver(r.s, ws, caseID, lv.Version, vol.Dims)
			}
		}
		if err != nil {
			r.s.showError(fmt.Errorf("autosave after saving version %d: %w", lv.Version, err))
		} else {
			le.saver.startTimer(le.ed.Mask)
		}
		le.base, le.dirty = lv.Version, false
		le.update()
		r.modelNote = fmt.Sprintf("label of case %s saved as version %d", caseID, lv.Version)
		r.main.RefreshStatus()
		r.rescore() // the figures now score the prediction against the saved label
		if r.s.hooks.onSaved != nil {
			r.s.hooks.onSaved(lv)
		}
	})
}

// export writes the label to a file: NIfTI (.nii, .nii.gz), DICOM SEG (.dcm: MANUAL, or
// SEMIAUTOMATIC where it came from the model) or a PNG stack (a folder).
func (le *labelEditor) export() {
	le.r.s.askSavePath(le.caseID+".nii.gz", le.exportTo)
}

// askSavePath asks where to save a file (name suggested) and calls save with the path chosen;
// cancelling calls nothing.
func (s *session) askSavePath(name string, save func(path string)) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			s.showError(err)
			return
		}
		if wc == nil {
			return
		}
		path := wc.URI().Path()
		wc.Close()
		save(path)
	}, s.win)
	d.SetFileName(name)
	d.Resize(s.dialogSize())
	d.Show()
}

func (le *labelEditor) exportTo(path string) {
	r := le.r
	label := le.ed.Mask().Clone()
	// The label being edited is shown as the truth: a SEG of it recommends that colour.
	meta := scan.LabelMeta{AlgorithmType: scan.AlgorithmManual, Author: author(), Description: "liver (liverseg, corrected)", Color: r.truthColor}
	if le.fromModel {
		meta.AlgorithmType, meta.AlgorithmName, meta.ModelVersion = scan.AlgorithmSemiAutomatic, "liverseg U-Net", r.predName
	}
	vol := r.vol
	r.start("exporting the label", func(ctx context.Context, _ func(int, int)) error {
		format, err := labels.FormatForOutput(path, "")
		if err != nil {
			return namePath(path, err)
		}
		return namePath(path, labels.Write(path, format, vol, label, meta))
	}, func() {
		r.modelNote = "label exported to " + path
		r.main.RefreshStatus()
	})
}
