package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
	"liverseg/workspace"
)

// editTool is a tool of the label editor.
type editTool int

const (
	toolBrush editTool = iota
	toolEraser
	toolThreshold // the brush, only on voxels within the HU range
	toolFlood
	toolFloodErase
	toolLasso
	toolLassoCut
	toolAIClick // clicks redrawn by the interactive model (clicktool.go)
)

// editToolNames name the tools in the tool menu, in editTool order.
var editToolNames = []string{"Brush (B)", "Eraser (X)", "Brush within HU range (G)", "Flood fill (F)",
	"Flood erase (Shift+F)", "Lasso fill (A)", "Lasso cut (Shift+A)", "AI click (Q)"}

// labelEditor is the correction of the case's label: the viewer's Editor (tools, undo history),
// the tool settings, the workspace version it started from, and the autosave. While it is
// open, the truth overlay shows the label being edited. Model runs never touch it: they replace
// the prediction only. Used from the Fyne goroutine.
type labelEditor struct {
	r         *review
	ed        *viewer.Editor
	tool      editTool
	radiusMM  float64
	hu        viewer.HURange
	lasso     []viewer.Point
	slice     int             // of the stroke or lasso in progress
	view      *sliceview.View // the view the tool was last used in (its plane is the editor's)
	caseID    string
	base      int  // the workspace label version it started from; 0: none
	fromModel bool // started from or took the model's prediction: a SEG says SEMIAUTOMATIC
	dirty     bool // steps since the last saved version
	saver     *autosaver
	clicks    *clickTool

	prevTruth     *scan.Mask // the reference shown before editing, put back on close
	prevTruthName string

	toolSel *widget.Select
	radius  *widget.Slider
	huLo    *widget.Entry
	huHi    *widget.Entry
	info    *widget.Label
}

// defaultRadiusMM is the brush radius a new editor starts with.
const defaultRadiusMM = 5

// openEditor starts correcting the case's label: the latest version saved in the workspace,
// else the loaded truth, else the prediction, else an empty label; unsaved steps that an
// autosave kept (the application ended without saving) are put back on top of it.
func (r *review) openEditor() {
	if r.editor != nil {
		r.closeEditor()
		return
	}
	caseID := r.caseID
	vol, truth, pred := r.vol, r.truth, r.pred
	var (
		label     *scan.Mask
		base      int
		fromModel bool
		recovered int
		saver     *autosaver
	)
	r.start("opening the label", func(ctx context.Context, _ func(int, int)) error {
		ws, err := r.s.workspace()
		if err != nil || caseID == "" {
			return fmt.Errorf("label editing needs the workspace: %v", orNoCase(err))
		}
		if lv, err := ws.LatestLabel(ctx, caseID); err == nil {
			base = lv.Version
			fromModel = lv.Origin == workspace.OriginModel
			if label, err = ws.LoadLabel(ctx, caseID, base, vol); err != nil {
				return err
			}
		} else if !errors.Is(err, workspace.ErrNotFound) {
			return err
		}
		if label == nil {
			switch {
			case truth != nil:
				label = truth
			case pred != nil:
				label, fromModel = pred, true
			}
		}
		if rec, err := ws.Recover(caseID); err == nil && rec.BaseVersion == base && rec.Dims == vol.Dims {
			start := label
			if start == nil {
				start = scan.NewMask(vol.Dims)
			}
			if label, err = rec.Restore(start); err != nil {
				return err
			}
			recovered = len(rec.Records)
			if rec.Snapshot != nil {
				recovered++
			}
		} else if err != nil && !errors.Is(err, workspace.ErrNotFound) {
			return err
		} else if err == nil {
			// An autosave of another version: the saved label is newer; drop it.
			if err := ws.Discard(caseID); err != nil {
				return err
			}
		}
		saver, err = newAutosaver(r.s, ws, caseID, base, vol.Dims)
		return err
	}, func() {
		ed, err := viewer.NewEditor(vol, label)
		if err != nil {
			saver.close()
			r.s.showError(err)
			return
		}
		le := &labelEditor{r: r, ed: ed, radiusMM: defaultRadiusMM, hu: viewer.HURange{Lo: 40, Hi: 200},
			caseID: caseID, base: base, fromModel: fromModel, saver: saver, dirty: recovered > 0,
			prevTruth: r.truth, prevTruthName: r.truthName}
		le.clicks = newClickTool(le)
		r.editor = le
		saver.startTimer(ed.Mask)
		r.truth, r.truthName = ed.Mask(), "label (editing)"
		r.showTruth = true
		le.view = r.main
		le.attach(r.views()...)
		r.editBox.Objects = []fyne.CanvasObject{le.content()}
		r.editBox.Refresh()
		r.side.Select(r.editTab)
		r.apply()
		if recovered > 0 {
			r.modelNote = fmt.Sprintf("restored %d unsaved steps of case %s from the autosave", recovered, caseID)
			r.main.RefreshStatus()
		}
		le.update()
	})
}

func orNoCase(err error) error {
	if err != nil {
		return err
	}
	return errors.New("the case is not in the workspace yet")
}

// closeEditor stops editing (the label's unsaved steps stay in the autosave) and shows the
// reference truth again.
func (r *review) closeEditor() {
	le := r.editor
	if le == nil {
		return
	}
	le.ed.EndStroke()
	le.clicks.close()
	le.saver.close()
	r.editor = nil
	r.truth, r.truthName = le.prevTruth, le.prevTruthName
	for _, v := range r.views() {
		v.OnPointer, v.CursorRadius, v.Path, v.OnSecondaryClick = nil, nil, nil, nil
	}
	r.editBox.Objects = []fyne.CanvasObject{widget.NewLabel("Edit label (E) starts correcting the label here.")}
	r.editBox.Refresh()
	r.side.Select(r.reviewTab)
	r.apply()
	if r.work == nil {
		r.rescore()
	}
}

// views are the review's slice views that exist: the single view, the panels and the coronal
// and sagittal views.
func (r *review) views() []*sliceview.View {
	vs := []*sliceview.View{r.main}
	for _, p := range r.panels {
		if p != nil {
			vs = append(vs, p)
		}
	}
	for _, p := range r.planeViews {
		if p != nil {
			vs = append(vs, p)
		}
	}
	return vs
}

// attach gives views the editor's tools: a press in a view edits that view's plane.
func (le *labelEditor) attach(views ...*sliceview.View) {
	for _, v := range views {
		v.OnPointer = le.pointerIn(v)
		v.CursorRadius = le.cursorIn(v)
		v.Path = le.lassoPathIn(v)
		v.OnSecondaryClick = le.secondaryIn(v)
	}
}

// use makes v's plane the editor's: the tools then take v's slices and pixels.
func (le *labelEditor) use(v *sliceview.View) bool {
	if err := le.ed.SetPlane(v.Plane()); err != nil {
		le.r.s.showError(err)
		return false
	}
	le.view = v
	return true
}

// current is the view a key or a button acts on: the one under the pointer, else the one the
// tools were last used in.
func (le *labelEditor) current() *sliceview.View {
	for _, v := range le.r.views() {
		if v.PointerIn() {
			return v
		}
	}
	return le.view
}

// content is the editor's part of the side panel.
func (le *labelEditor) content() fyne.CanvasObject {
	le.toolSel = widget.NewSelect(editToolNames, func(string) { le.tool = editTool(le.toolSel.SelectedIndex()) })
	le.toolSel.SetSelectedIndex(int(le.tool))
	le.radius = widget.NewSlider(0.5, 30)
	le.radius.Step = 0.5
	le.radius.SetValue(le.radiusMM)
	le.radius.OnChanged = func(v float64) { le.radiusMM = v; le.update() }
	le.huLo = widget.NewEntry()
	le.huHi = widget.NewEntry()
	le.huLo.SetText(strconv.Itoa(int(le.hu.Lo)))
	le.huHi.SetText(strconv.Itoa(int(le.hu.Hi)))
	setHU := func(string) {
		lo, err1 := strconv.Atoi(le.huLo.Text)
		hi, err2 := strconv.Atoi(le.huHi.Text)
		if err1 == nil && err2 == nil && lo <= hi && lo >= math.MinInt16 && hi <= math.MaxInt16 {
			le.hu = viewer.HURange{Lo: int16(lo), Hi: int16(hi)}
		}
	}
	le.huLo.OnChanged, le.huHi.OnChanged = setHU, setHU
	le.info = widget.NewLabel("")
	le.info.Wrapping = fyne.TextWrapWord
	r := le.r
	buttons := container.NewGridWithColumns(2,
		widget.NewButton("Undo", le.undo), widget.NewButton("Redo", le.redo),
		widget.NewButton("Save version", le.save),
		widget.NewButton("Keep largest", func() { le.record(le.ed.KeepLargest()) }),
		widget.NewButton("Interpolate", le.interpolate),
		widget.NewButton("Accept slice", func() { le.acceptSlice() }),
		widget.NewButton("Accept all", func() { le.accept(-1) }),
		widget.NewButton("Export…", le.export),
		widget.NewButton("Retrain…", r.showRetrain))
	return container.NewVBox(
		widget.NewLabelWithStyle("Label editing (E to stop)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		le.toolSel,
		container.NewBorder(nil, nil, widget.NewLabel("Radius mm"), nil, le.radius),
		container.NewGridWithColumns(2,
			container.NewBorder(nil, nil, widget.NewLabel("HU ≥"), nil, le.huLo),
			container.NewBorder(nil, nil, widget.NewLabel("≤"), nil, le.huHi)),
		buttons, le.info)
}

// update says what the editor holds: steps, unsaved state, the brush.
func (le *labelEditor) update() {
	if le.info == nil {
		return
	}
	u, rd := le.ed.History().Len()
	state := "saved"
	if le.dirty {
		state = "unsaved (autosaved)"
	}
	base := "new label"
	if le.base > 0 {
		base = fmt.Sprintf("from version %d", le.base)
	}
	le.info.SetText(fmt.Sprintf("case %s, %s, %s; %d steps to undo, %d to redo; brush %.1f mm",
		le.caseID, base, state, u, rd, le.radiusMM))
}

// brush is the brush the current tool paints with.
func (le *labelEditor) brush() viewer.Brush {
	b := viewer.Brush{RadiusMM: le.radiusMM, Erase: le.tool == toolEraser}
	if le.tool == toolThreshold {
		hu := le.hu
		b.Limit = &hu
	}
	return b
}

// cursorIn is the brush circle for view v, for the painting tools: its radii in v's pixels.
func (le *labelEditor) cursorIn(v *sliceview.View) func() (rx, ry float64, ok bool) {
	return func() (rx, ry float64, ok bool) {
		switch le.tool {
		case toolBrush, toolEraser, toolThreshold:
			// The radius in mm over the plane's spacings, 1 mm where unknown (as the tools take it).
			dx, dy := v.Renderer().PixelSpacing()
			if !(dx > 0) || math.IsInf(dx, 0) {
				dx = 1
			}
			if !(dy > 0) || math.IsInf(dy, 0) {
				dy = 1
			}
			return le.radiusMM / dx, le.radiusMM / dy, true
		}
		return 0, 0, false
	}
}

// pointerIn applies the tool, in view v's plane, to a press, drag or release of the left button.
func (le *labelEditor) pointerIn(v *sliceview.View) func(phase sliceview.PointerPhase, x, y float64) bool {
	return func(phase sliceview.PointerPhase, x, y float64) bool {
		if phase == sliceview.PointerDown && !le.use(v) {
			return false
		}
		return le.pointer(v, phase, x, y)
	}
}

// pointer applies the tool to a press, drag or release of the left button on v's slice.
func (le *labelEditor) pointer(v *sliceview.View, phase sliceview.PointerPhase, x, y float64) bool {
	r := le.r
	p := viewer.Point{X: x, Y: y}
	switch le.tool {
	case toolBrush, toolEraser, toolThreshold:
		switch phase {
		case sliceview.PointerDown:
			le.slice = v.Slice()
			if err := le.ed.BeginStroke(le.slice, le.brush()); err != nil {
				r.s.showError(err)
				return false
			}
			le.strokeTo(p)
		case sliceview.PointerDrag:
			le.strokeTo(p)
		case sliceview.PointerUp:
			le.record(le.ed.EndStroke(), nil)
		}
	case toolAIClick:
		if phase == sliceview.PointerDown {
			le.clicks.click(v, x, y, !sliceview.ModifierHeld(fyne.KeyModifierShift))
		}
	case toolFlood, toolFloodErase:
		if phase == sliceview.PointerDown {
			opt := viewer.FloodOptions{Erase: le.tool == toolFloodErase}
			le.record(le.ed.FloodFill(v.Slice(), int(x), int(y), opt))
		}
	case toolLasso, toolLassoCut:
		switch phase {
		case sliceview.PointerDown:
			le.slice = v.Slice()
			le.lasso = append(le.lasso[:0], p)
		case sliceview.PointerDrag:
			// A point a pixel a step is all a lasso needs: the polygon and its drawing stay small.
			if n := len(le.lasso); n == 0 || math.Hypot(p.X-le.lasso[n-1].X, p.Y-le.lasso[n-1].Y) >= 1 {
				le.lasso = append(le.lasso, p)
			}
		case sliceview.PointerUp:
			le.lasso = append(le.lasso, p)
			if len(le.lasso) >= 3 {
				if le.tool == toolLasso {
					le.record(le.ed.LassoFill(le.slice, le.lasso))
				} else {
					le.record(le.ed.LassoCut(le.slice, le.lasso))
				}
			}
			le.lasso = le.lasso[:0]
			for _, v := range r.views() {
				v.Refresh() // takes the path away
			}
		}
	}
	return true
}

// lassoPathIn is the lasso being drawn, for view v to show when it is drawn on v's slice.
func (le *labelEditor) lassoPathIn(v *sliceview.View) func() []viewer.Point {
	return func() []viewer.Point {
		if len(le.lasso) == 0 || le.view != v || v.Slice() != le.slice {
			return nil
		}
		return le.lasso
	}
}

// strokeTo extends the brush stroke to p and redraws only what it may have changed (the
// stroke's end redraws everything, the figures and the linked panels included).
func (le *labelEditor) strokeTo(p viewer.Point) {
	dirty, err := le.ed.StrokeTo(p)
	if err != nil {
		le.r.s.showError(err)
		return
	}
	if le.r.sideBySide {
		le.r.main.Redraw()
		return
	}
	// One pixel more: a changed pixel turns its neighbours' outlines on or off. The other
	// planes follow at the stroke's end.
	le.view.RedrawRect(dirty.Inset(-1))
}

// redrawAll shows a changed label in every view and, in the background, in 3D.
func (le *labelEditor) redrawAll() {
	r := le.r
	r.main.Redraw()
	for _, v := range r.planeViews {
		if v != nil {
			v.Redraw()
		}
	}
	r.view3D.labelChanged()
}

// record keeps a step: to the autosave journal and the audit log, and redraws. A tool that
// changed nothing (nil) adds nothing.
func (le *labelEditor) record(ed *viewer.Edit, err error) {
	r := le.r
	if err != nil {
		r.s.showError(err)
		return
	}
	if ed == nil {
		le.redrawAll()
		return
	}
	le.dirty = true
	le.saver.step(ed.Runs(), workspace.AuditEntry{Author: author(), CaseID: le.caseID, Tool: ed.Tool, Plane: ed.PlaneName(), Slice: ed.Slice, Voxels: ed.Voxels})
	if ed.Tool == viewer.ToolAcceptPrediction {
		le.fromModel = true
	}
	le.redrawAll()
	le.update()
}

func (le *labelEditor) undo() {
	ed, err := le.ed.Undo()
	le.afterHistory("undo", ed, err, true)
}

func (le *labelEditor) redo() {
	ed, err := le.ed.Redo()
	le.afterHistory("redo", ed, err, false)
}

// afterHistory journals an undo (the values from before the step) or a redo (after it).
func (le *labelEditor) afterHistory(what string, ed *viewer.Edit, err error, undo bool) {
	if err != nil {
		le.r.s.showError(err)
		return
	}
	if ed == nil {
		return
	}
	le.clicks.afterHistory(ed, undo)
	runs := ed.Runs()
	if undo {
		runs = ed.UndoRuns()
	}
	le.dirty = true
	le.saver.step(runs, workspace.AuditEntry{Author: author(), CaseID: le.caseID, Tool: what + " " + ed.Tool, Plane: ed.PlaneName(), Slice: ed.Slice, Voxels: ed.Voxels})
	le.redrawAll()
	le.update()
}

// interpolate fills the slices between the slices edited since the last interpolation, in the
// plane of the view under the pointer (else the plane last edited in).
func (le *labelEditor) interpolate() {
	if !le.use(le.current()) {
		return
	}
	keys := le.ed.EditedSlices()
	if len(keys) < 2 {
		le.r.s.showError(fmt.Errorf("interpolation needs at least two edited %s slices: draw the label on slices either side first", le.ed.Plane()))
		return
	}
	ed, err := le.ed.Interpolate(keys)
	le.record(ed, err)
	if err == nil {
		le.ed.ClearEdited()
	}
}

// acceptSlice copies the prediction into the label on the slice of the view under the pointer
// (else the view last edited in).
func (le *labelEditor) acceptSlice() {
	v := le.current()
	if le.use(v) {
		le.accept(v.Slice())
	}
}

// accept copies the prediction into the label: one slice (k) of the editor's plane or the
// whole volume (k -1).
func (le *labelEditor) accept(k int) {
	if le.r.pred == nil {
		le.r.s.showError(errors.New("no prediction to accept: run the model (M) first"))
		return
	}
	le.record(le.ed.AcceptPrediction(le.r.pred, k))
}

// toolKey handles the editing keys (see shortcuts); without an open editor they do nothing.
func (r *review) toolKey(ru rune) {
	le := r.editor
	if le == nil {
		return
	}
	tools := map[rune]editTool{'b': toolBrush, 'x': toolEraser, 'X': toolEraser, 'g': toolThreshold, 'G': toolThreshold,
		'f': toolFlood, 'F': toolFloodErase, 'a': toolLasso, 'A': toolLassoCut, 'q': toolAIClick, 'Q': toolAIClick}
	if t, ok := tools[ru]; ok {
		le.tool = t
		if le.toolSel != nil {
			le.toolSel.SetSelectedIndex(int(t))
		}
		return
	}
	switch ru {
	case ',', '.':
		f := 1.25
		if ru == ',' {
			f = 1 / f
		}
		le.radiusMM = math.Max(0.5, math.Min(30, math.Round(le.radiusMM*f*2)/2))
		if le.radius != nil {
			le.radius.SetValue(le.radiusMM)
		}
		le.update()
	case 'k', 'K':
		le.record(le.ed.KeepLargest())
	case 'i', 'I':
		le.interpolate()
	case 'v':
		le.acceptSlice()
	case 'V':
		le.accept(-1)
	}
}

// addEditShortcuts binds Ctrl+Z, Ctrl+Shift+Z (and Ctrl+Y) and Ctrl+S to the label editor.
func (s *session) addEditShortcuts() {
	withEditor := func(f func(*labelEditor)) func(fyne.Shortcut) {
		return func(fyne.Shortcut) {
			if s.review != nil && s.review.editor != nil {
				f(s.review.editor)
			}
		}
	}
	c := s.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierShortcutDefault}, withEditor((*labelEditor).undo))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}, withEditor((*labelEditor).redo))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyY, Modifier: fyne.KeyModifierShortcutDefault}, withEditor((*labelEditor).redo))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}, withEditor((*labelEditor).save))
}
