package ui

// The AI click tool of the label editor: a left click says "liver here", a right click or a
// Shift+click "not liver here"; the interactive model redraws the clicked axial slice from its
// current label and every click on it, shown at once, then carries the change to the
// neighbouring slices in the background (inference.PropagationRule). Each click, with the slices
// its change reached, is one undo step (viewer.Editor.ApplySlice, ExtendStep), journalled and in
// the audit log. Clicks are handled one at a time in the order they came: those that arrive
// while one is redrawn wait in a queue (never dropped), and a new click stops the propagation of
// the one before.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
	"liverseg/workspace"
)

// EnvInteractiveModel names an interactive model file for the AI click tool.
const EnvInteractiveModel = "LIVERSEG_INTERACTIVE_MODEL"

// bodyHU: a click on a voxel below this many HU is on air (outside the body, or in the lungs),
// where no liver is: it is ignored with a word.
const bodyHU = -500

// placedClick is a click kept for its slice while the tool is on: every later click on the slice
// is redrawn with it. step is the undo step it made (nil when it changed nothing); an undo of
// that step takes the click away, a redo puts it back.
type placedClick struct {
	p        [2]float64
	positive bool
	step     *viewer.Edit
	undone   bool
}

// clickRequest is a click waiting its turn.
type clickRequest struct {
	k        int
	p        [2]float64
	positive bool
	at       time.Time
}

// clickTool is the AI click tool of one label editor; used from the Fyne goroutine, except the
// session, which the click's job and the propagation's take turns at (mu).
type clickTool struct {
	le      *labelEditor
	mu      sync.Mutex // the session: one Redraw or Propagate at a time
	model   *inference.Model
	sess    *inference.Interactive
	version string
	opening bool

	clicks  map[int][]*placedClick // per canonical axial slice
	queue   []clickRequest
	running bool

	rule     inference.PropagationRule
	gen      int                // the propagation's generation: a stale one's slices are dropped
	stopProp context.CancelFunc // the running propagation, nil when none
	propStep *viewer.Edit       // the step it extends

	latencies []time.Duration // click to slice on screen, for the status line and the tests
}

func newClickTool(le *labelEditor) *clickTool {
	return &clickTool{le: le, clicks: map[int][]*placedClick{}, rule: inference.DefaultPropagation()}
}

// interactiveModelPath is the interactive model the tool runs: the file $LIVERSEG_INTERACTIVE_MODEL
// names, else the workspace's active interactive model, else the one built into liverseg. It
// reads the workspace: call it off the Fyne goroutine.
func (s *session) interactiveModelPath(ctx context.Context) (string, error) {
	if p := os.Getenv(EnvInteractiveModel); p != "" {
		return p, nil
	}
	if ws, err := s.workspace(); err == nil {
		if m, err := ws.ActiveOfKind(ctx, workspace.KindInteractive); err == nil && m != nil {
			return m.Path, nil
		}
	}
	dir, err := inference.CacheDir()
	if err != nil {
		return "", fmt.Errorf("built-in interactive model: no cache folder: %w", err)
	}
	p, err := assets.InteractiveModelFile(dir)
	if errors.Is(err, assets.ErrNoInteractiveModel) {
		return "", fmt.Errorf("AI click needs an interactive model, and the workspace has none active: %w; or set %s to an interactive .onnx file", err, EnvInteractiveModel)
	}
	return p, err
}

// note says something in the status line.
func (ct *clickTool) note(msg string) {
	r := ct.le.r
	r.modelNote = msg
	r.main.RefreshStatus()
}

// click queues a click at display pixel position (x, y) of view v's slice. Clicks in a coronal
// or sagittal view and on air are refused with a word in the status line.
func (ct *clickTool) click(v *sliceview.View, x, y float64, positive bool) {
	if v.Plane() != scan.Axial {
		ct.note(fmt.Sprintf("AI click works on axial slices (the model learnt on them): click in the axial view, not the %s one", v.Plane()))
		return
	}
	k := v.Slice()
	can := v.Renderer().Canonical()
	i, j := int(x), int(y)
	if i < 0 || j < 0 || i >= can.Dims[0] || j >= can.Dims[1] || k < 0 || k >= can.Dims[2] {
		ct.note("AI click outside the slice: ignored")
		return
	}
	if hu := ct.le.r.vol.Voxels[can.Offset(i, j, k)]; hu < bodyHU {
		ct.note(fmt.Sprintf("AI click on air (%d HU, outside the body): ignored", hu))
		return
	}
	ct.queue = append(ct.queue, clickRequest{k: k, p: [2]float64{x, y}, positive: positive, at: time.Now()})
	ct.pump()
}

// pump starts the next queued click when none runs: opening the model first when needed.
func (ct *clickTool) pump() {
	if ct.running || ct.opening || len(ct.queue) == 0 {
		return
	}
	if ct.sess == nil {
		ct.open()
		return
	}
	req := ct.queue[0]
	ct.queue = ct.queue[1:]
	ct.stopPropagation()
	ct.running = true
	le := ct.le
	label := ct.sess.LabelSlice(le.ed.Mask(), req.k)
	var clicks inference.Clicks
	for _, c := range ct.clicks[req.k] {
		if !c.undone {
			clicks.Add(c.p, c.positive)
		}
	}
	clicks.Add(req.p, req.positive)
	s := le.r.s
	s.jobs.Go(func(ctx context.Context) {
		ct.mu.Lock()
		red, err := ct.sess.Redraw(ctx, req.k, label, clicks)
		ct.mu.Unlock()
		s.do(func() { ct.redrawn(req, label, red, err) })
	})
}

// open opens the interactive model in the background, then goes on with the queue.
func (ct *clickTool) open() {
	ct.opening = true
	ct.note("AI click: opening the interactive model")
	le := ct.le
	s, vol := le.r.s, le.r.vol
	s.jobs.Go(func(ctx context.Context) {
		path, err := s.interactiveModelPath(ctx)
		var m *inference.Model
		if err == nil {
			m, err = inference.OpenModel(ctx, path, inference.Options{Device: s.opts.Device, BatchSize: 1})
		}
		var sess *inference.Interactive
		if err == nil {
			if sess, err = inference.NewInteractive(m, vol); err != nil {
				m.Close()
			}
		}
		s.do(func() {
			ct.opening = false
			if err != nil {
				ct.queue = nil
				s.showError(err)
				return
			}
			if le.r.editor != le {
				m.Close() // the editor closed meanwhile
				return
			}
			ct.model, ct.sess, ct.version = m, sess, modelVersion(m, path)
			ct.pump()
		})
	})
}

// redrawn applies a click's redrawn slice (on the Fyne goroutine): one undo step, journalled and
// audited, shown at once; then the propagation and the next click.
func (ct *clickTool) redrawn(req clickRequest, before []uint8, red inference.Redrawn, err error) {
	ct.running = false
	le := ct.le
	if le.r.editor != le {
		return
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			le.r.s.showError(err)
		}
		ct.pump()
		return
	}
	if le.ed.Stroking() {
		// A brush stroke is open (the tool was switched during the run): apply after it.
		ct.running = true
		time.AfterFunc(20*time.Millisecond, func() {
			le.r.s.do(func() { ct.redrawn(req, before, red, nil) })
		})
		return
	}
	if err := le.ed.SetPlane(scan.Axial); err != nil {
		le.r.s.showError(err)
		return
	}
	tool := viewer.ToolAIClickNegative
	if req.positive {
		tool = viewer.ToolAIClickPositive
	}
	ed, err := le.ed.ApplySlice(req.k, red.Mask, tool)
	if err != nil {
		le.r.s.showError(err)
		ct.pump()
		return
	}
	ct.clicks[req.k] = append(ct.clicks[req.k], &placedClick{p: req.p, positive: req.positive, step: ed})
	if ed != nil {
		ct.journal(ed.Runs(), ed.Tool, ed.Slice, ed.Voxels)
	}
	le.redrawAll()
	le.update()
	lat := time.Since(req.at)
	ct.latencies = append(ct.latencies, lat)
	changed := 0
	if ed != nil {
		changed = ed.Voxels
	}
	ct.note(fmt.Sprintf("AI click on slice %d: %d voxels changed, on screen in %d ms", req.k+1, changed, lat.Milliseconds()))
	if ok, _ := ct.rule.Significant(before, red.Mask); ok && ed != nil && len(ct.queue) == 0 {
		ct.propagate(req.k, before, red.Mask, ed)
	}
	ct.pump()
}

// journal queues a step's runs for the autosave with its audit entry: the tool, the model's
// version, the slice and the voxels changed.
func (ct *clickTool) journal(runs []scan.MaskRun, tool string, slice, voxels int) {
	le := ct.le
	le.dirty = true
	le.fromModel = true // a label the model redrew in part: a SEG says SEMIAUTOMATIC
	le.saver.step(runs, workspace.AuditEntry{Author: author(), CaseID: le.caseID, Tool: tool + " model=" + ct.version,
		Plane: scan.Axial.String(), Slice: slice, Voxels: voxels})
}

// propagate carries the click's change of slice k (from before to mask) to the slices either
// side in the background, each slice replaced joining the click's step.
func (ct *clickTool) propagate(k int, before, mask []uint8, step *viewer.Edit) {
	le := ct.le
	s := le.r.s
	current := map[int][]uint8{}
	for d := 1; d <= ct.rule.MaxSlices; d++ {
		for _, j := range []int{k - d, k + d} {
			if j >= 0 && j < ct.sess.Slices() {
				current[j] = ct.sess.LabelSlice(le.ed.Mask(), j)
			}
		}
	}
	ct.gen++
	gen := ct.gen
	ctx, cancel := context.WithCancel(s.ctx)
	ct.stopProp, ct.propStep = cancel, step
	rule := ct.rule
	s.jobs.Go(func(jctx context.Context) {
		defer cancel()
		stop := context.AfterFunc(jctx, cancel)
		defer stop()
		start := time.Now()
		apply := func(j int, m []uint8) error {
			done := make(chan error, 1)
			s.do(func() { done <- ct.extend(gen, j, m) })
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		ct.mu.Lock()
		n, err := ct.sess.Propagate(ctx, k, before, mask, 1, rule, func(j int) []uint8 { return current[j] }, apply)
		if err == nil {
			var down int
			down, err = ct.sess.Propagate(ctx, k, before, mask, -1, rule, func(j int) []uint8 { return current[j] }, apply)
			n += down
		}
		ct.mu.Unlock()
		took := time.Since(start)
		s.do(func() {
			if gen != ct.gen {
				return
			}
			ct.stopProp, ct.propStep = nil, nil
			switch {
			case err == nil && n > 0:
				ct.note(fmt.Sprintf("AI click on slice %d: carried to %d slices in %d ms", k+1, n, took.Milliseconds()))
			case err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, viewer.ErrNotLatest):
				s.showError(err)
			}
		})
	})
}

// extend makes slice j's redrawn label part of the propagating click's step (Fyne goroutine).
// A propagation that a later click, an undo or a stroke overtook stops here (ErrNotLatest).
func (ct *clickTool) extend(gen, j int, mask []uint8) error {
	le := ct.le
	if gen != ct.gen || le.r.editor != le {
		return viewer.ErrNotLatest
	}
	if le.ed.Stroking() {
		return viewer.ErrNotLatest
	}
	if err := le.ed.SetPlane(scan.Axial); err != nil {
		return err
	}
	old := ct.propStep
	merged, change, err := le.ed.ExtendStep(old, j, mask)
	if err != nil {
		return err
	}
	ct.propStep = merged
	for _, cs := range ct.clicks {
		for _, c := range cs {
			if c.step == old {
				c.step = merged
			}
		}
	}
	if change != nil {
		ct.journal(change.Runs(), "ai-click-propagate", j, change.Voxels)
		le.redrawAll()
		le.update()
	}
	if merged == nil {
		return viewer.ErrNotLatest // the step is gone: nothing left to extend
	}
	return nil
}

// stopPropagation cancels the running propagation; its slices applied so far stay in the step.
func (ct *clickTool) stopPropagation() {
	if ct.stopProp != nil {
		ct.stopProp()
		ct.stopProp, ct.propStep = nil, nil
	}
	ct.gen++
}

// afterHistory takes a click away when its step is undone and puts it back when it is redone.
func (ct *clickTool) afterHistory(ed *viewer.Edit, undo bool) {
	ct.stopPropagation()
	for _, cs := range ct.clicks {
		for _, c := range cs {
			if c.step == ed {
				c.undone = undo
			}
		}
	}
}

// close ends the tool with its editor: the propagation stops, waiting clicks are dropped with
// the editor, and the model is closed (a run in progress ends first).
func (ct *clickTool) close() {
	ct.stopPropagation()
	ct.queue = nil
	if ct.model != nil {
		m := ct.model
		ct.model, ct.sess = nil, nil
		ct.le.r.s.jobs.Go(func(context.Context) {
			ct.mu.Lock()
			defer ct.mu.Unlock()
			m.Close()
		})
	}
}

// pending is the number of clicks not yet on screen: queued or running.
func (ct *clickTool) pending() int {
	n := len(ct.queue)
	if ct.running {
		n++
	}
	return n
}

// secondaryIn is view v's right click: a negative click while the AI click tool is on.
func (le *labelEditor) secondaryIn(v *sliceview.View) func(x, y float64) bool {
	return func(x, y float64) bool {
		if le.tool != toolAIClick || !le.use(v) {
			return false
		}
		le.clicks.click(v, x, y, false)
		return true
	}
}
