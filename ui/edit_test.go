package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"liverseg/scan"
	"liverseg/ui/internal/synthvol"
	"liverseg/ui/sliceview"
	"liverseg/workspace"
)

// screenAt is the position in sv (widget coordinates) of display pixel (x, y)'s centre.
func screenAt(sv *sliceview.View, x, y float64) fyne.Position {
	pos, size := sv.ImageRect()
	w, h := sv.Renderer().Size()
	return fyne.NewPos(pos.X+float32((x+0.5)/float64(w))*size.Width,
		pos.Y+float32((y+0.5)/float64(h))*size.Height)
}

// drag presses the left button at from, drags through to, and releases.
func drag(sv *sliceview.View, from, to fyne.Position) {
	sv.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: from}, Button: desktop.MouseButtonPrimary})
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: to}, Dragged: fyne.NewDelta(to.X-from.X, to.Y-from.Y)})
	sv.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: to}, Button: desktop.MouseButtonPrimary})
}

// autosaved flushes the editor's autosave and reads it back as a recovery after a kill would.
func autosaved(t *testing.T, s *session, le *labelEditor) (*workspace.Workspace, *workspace.Recovery) {
	t.Helper()
	if err := le.saver.flush(); err != nil {
		t.Fatal(err)
	}
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ws.Recover(le.caseID)
	if err != nil {
		t.Fatalf("no autosave to recover: %v", err)
	}
	return ws, rec
}

func count(m *scan.Mask) int {
	n := 0
	for _, v := range m.Dense() {
		if v != 0 {
			n++
		}
	}
	return n
}

// TestEditPaintUndoRedoSave paints with the brush through the slice view, undoes, redoes, saves
// the label as a version and checks the workspace's version, audit log and autosave.
func TestEditPaintUndoRedoSave(t *testing.T) {
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	typeRune(r.main, 'e')
	drain(t, q, 10*time.Second, "the editor", func() bool { return r.editor != nil })
	le := r.editor
	if r.truth != le.ed.Mask() {
		t.Fatal("the truth overlay does not show the label being edited")
	}
	typeRune(r.main, 'b')
	le.radiusMM = 2
	sv := r.main
	sv.SetSlice(5)
	drag(sv, screenAt(sv, 10, 10), screenAt(sv, 20, 10))
	painted := count(le.ed.Mask())
	if painted == 0 {
		t.Fatal("the brush drag painted nothing")
	}
	// A 2 mm brush on 0.8 x 1.6 mm pixels: along the 10-pixel stroke, rows 9..11 at least.
	v := r.vol
	for _, px := range [][2]int{{10, 10}, {15, 10}, {20, 10}, {15, 9}, {15, 11}} {
		if le.ed.Mask().At(v.Index(px[0], px[1], 5)) == 0 {
			t.Errorf("pixel %v of slice 6 not painted", px)
		}
	}
	if u, _ := le.ed.History().Len(); u != 1 {
		t.Errorf("one drag made %d steps, want 1", u)
	}
	// Eraser over part of it.
	typeRune(sv, 'x')
	drag(sv, screenAt(sv, 14, 10), screenAt(sv, 16, 10))
	erased := count(le.ed.Mask())
	if erased >= painted {
		t.Errorf("the eraser left %d of %d voxels", erased, painted)
	}
	le.undo()
	if got := count(le.ed.Mask()); got != painted {
		t.Errorf("after undo %d voxels, want %d", got, painted)
	}
	le.redo()
	if got := count(le.ed.Mask()); got != erased {
		t.Errorf("after redo %d voxels, want %d", got, erased)
	}
	// A click that changes nothing (the eraser on background) adds no step.
	drag(sv, screenAt(sv, 35, 25), screenAt(sv, 35, 25))
	if u, _ := le.ed.History().Len(); u != 2 {
		t.Errorf("%d steps after a no-op click, want 2", u)
	}
	// The steps are in the autosave journal before any save.
	ws, rec := autosaved(t, s, le)
	restored, err := rec.Restore(scan.NewMask(v.Dims))
	if err != nil {
		t.Fatal(err)
	}
	if count(restored) != erased {
		t.Errorf("the autosave restores %d voxels, the editor holds %d", count(restored), erased)
	}
	// Save: version 1, manual, with its voxels; the autosave starts afresh.
	var saved *workspace.LabelVersion
	s.hooks.onSaved = func(lv *workspace.LabelVersion) { saved = lv }
	le.save()
	drain(t, q, 20*time.Second, "the save", func() bool { return saved != nil })
	if saved.Version != 1 || saved.Origin != workspace.OriginManual {
		t.Errorf("saved %+v", saved)
	}
	back, err := ws.LoadLabel(context.Background(), le.caseID, 1, v)
	if err != nil {
		t.Fatal(err)
	}
	if count(back) != erased {
		t.Errorf("version 1 holds %d voxels, the editor %d", count(back), erased)
	}
	audit, err := ws.Audit(context.Background(), le.caseID)
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]int{}
	for _, a := range audit {
		tools[a.Tool]++
	}
	if tools["brush"] != 1 || tools["eraser"] != 1 || tools["undo eraser"] != 1 || tools["redo eraser"] != 1 || tools["save"] != 1 {
		t.Errorf("audit tools %v", tools)
	}
	if rec, err := ws.Recover(le.caseID); err == nil && (len(rec.Records) > 0 || rec.Snapshot != nil || rec.BaseVersion != 1) {
		t.Errorf("after saving, the autosave holds %d steps on version %d", len(rec.Records), rec.BaseVersion)
	}
	// Running the model never touches the label being edited.
	before := le.ed.Mask().Dense()
	_, pred := synthvol.Masks(v)
	r.pred = pred
	r.apply()
	if string(before) != string(le.ed.Mask().Dense()) {
		t.Error("a new prediction changed the label")
	}
	// Accept the prediction on one slice.
	typeRune(sv, 'v')
	if got := le.ed.Mask().At(v.Index(20, 12, 5)); got == 0 {
		t.Error("v did not accept the prediction on the slice")
	}
	typeRune(r.main, 'e')
	if r.editor != nil || r.truth == le.ed.Mask() {
		t.Error("e did not close the editor")
	}
}

// TestEditRecoversUnsavedStrokes: the editor's steps survive the end of the review without a
// save (as after a crash), and come back when the case is edited again.
func TestEditRecoversUnsavedStrokes(t *testing.T) {
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	r.openEditor()
	drain(t, q, 10*time.Second, "the editor", func() bool { return r.editor != nil })
	le := r.editor
	le.radiusMM = 3
	r.main.SetSlice(4)
	drag(r.main, screenAt(r.main, 5, 5), screenAt(r.main, 30, 20))
	want := count(le.ed.Mask())
	if want == 0 {
		t.Fatal("nothing painted")
	}
	dir := s.opts.Workspace
	// The review ends without a save (the journal is written, not discarded).
	s.leaveReview()
	s.closeResources()

	s2, r2, q2 := openReviewIn(t, dir)
	drain(t, q2, 10*time.Second, "the case", func() bool { return r2.caseID != "" })
	r2.openEditor()
	drain(t, q2, 10*time.Second, "the editor", func() bool { return r2.editor != nil })
	if got := count(r2.editor.ed.Mask()); got != want {
		t.Errorf("recovered %d voxels, painted %d", got, want)
	}
	if !r2.editor.dirty {
		t.Error("a recovered label is not marked unsaved")
	}
	_ = s2
}

// TestRetrainFailureLeavesTheGUI: a fine-tuning job that fails (here the case's series folder is
// gone, so the export cannot read it) ends in an error dialog naming the reason; the dialog's
// Start button comes back and the review goes on.
func TestRetrainFailureLeavesTheGUI(t *testing.T) {
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	truth, _ := synthvol.Masks(r.vol)
	if _, err := ws.SaveLabel(context.Background(), r.caseID, r.vol, truth, workspace.OriginManual, 0, "", "test"); err != nil {
		t.Fatal(err)
	}
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	r.showRetrain()
	p := r.retrain
	if len(p.cases) != 1 || p.start.Disabled() {
		t.Fatalf("retrain lists %d cases, start disabled %v", len(p.cases), p.start.Disabled())
	}
	p.train[p.cases[0].ID].SetChecked(true)
	p.run()
	if !p.start.Disabled() || r.work == nil {
		t.Fatal("no job started")
	}
	drain(t, q, 60*time.Second, "the failure", func() bool { return len(errs) > 0 && r.work == nil })
	if msg := errorText(errs[0]); !strings.Contains(msg, "/synthetic") {
		t.Errorf("error %q does not name the series folder", msg)
	}
	if p.start.Disabled() || s.review != r {
		t.Error("after the failure the Start button is disabled or the review is gone")
	}
}

// TestEditLassoDrawnWhileDragging: the lasso shows as a closed path while it is dragged, fills
// on release, and leaves no path behind.
func TestEditLassoDrawnWhileDragging(t *testing.T) {
	_, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	typeRune(r.main, 'e')
	drain(t, q, 10*time.Second, "the editor", func() bool { return r.editor != nil })
	sv := r.main
	typeRune(sv, 'a')
	sv.SetSlice(5)
	before := count(r.editor.ed.Mask())
	pathLines := func() int {
		n := 0
		for _, o := range test.WidgetRenderer(sv).Objects() {
			if l, ok := o.(*canvas.Line); ok && l.Visible() && l.StrokeWidth == 1.5 {
				n++
			}
		}
		return n
	}
	corners := []fyne.Position{screenAt(sv, 5, 5), screenAt(sv, 25, 5), screenAt(sv, 25, 20), screenAt(sv, 5, 20)}
	sv.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: corners[0]}, Button: desktop.MouseButtonPrimary})
	for i, c := range corners[1:] {
		prev := corners[i]
		sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: c}, Dragged: fyne.NewDelta(c.X-prev.X, c.Y-prev.Y)})
		if got, want := pathLines(), i+2; got != want {
			t.Fatalf("after %d drags: %d path segments shown, want %d (closed)", i+1, got, want)
		}
	}
	sv.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: corners[3]}, Button: desktop.MouseButtonPrimary})
	if n := pathLines(); n != 0 {
		t.Errorf("%d path segments left after the release", n)
	}
	// about 20 x 15 pixels filled
	if filled := count(r.editor.ed.Mask()) - before; filled < 250 || filled > 350 {
		t.Errorf("the lasso filled %d voxels, want about 300", filled)
	}
}

// TestEditCaseLockedElsewhere: a case another editor holds (another liverseg on the workspace)
// does not open for editing; the dialog says who holds it, and the review goes on.
func TestEditCaseLockedElsewhere(t *testing.T) {
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	other, err := ws.OpenAutosave(r.caseID, 0, r.vol.Dims)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	r.openEditor()
	drain(t, q, 10*time.Second, "the error", func() bool { return len(errs) > 0 })
	if msg := errorText(errs[0]); !strings.Contains(msg, "being edited elsewhere") || !strings.Contains(msg, ".lock") {
		t.Errorf("error %q does not say the case is held and by which lock", msg)
	}
	if r.editor != nil || s.review != r {
		t.Error("a held case opened for editing, or dropped the review")
	}
}
