package ui

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"liverseg/inference"
	"liverseg/inference/onnxtest"
	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/workspace"
)

// clickModel writes a model built by onnxtest for the synthetic volume's slices (40 x 30: no
// resizing, so that its answer is exact) and points the AI click tool at it.
func clickModel(t *testing.T, build func(inference.Contract) ([]byte, inference.Contract)) {
	t.Helper()
	testenv.ORTLibrary(t)
	c := inference.DefaultContract()
	c.InputW, c.InputH = 40, 30
	c.ClickEncoding, c.ClickRadiusMM = inference.ClickDisk, 3
	c.Version = "rules-1"
	data, _ := build(c)
	path := filepath.Join(t.TempDir(), "click.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvInteractiveModel, path)
}

// clickEditor opens the editor on the synthetic truth (columns 10..29, rows 8..21, slices 3..8)
// with the AI click tool chosen by its key.
func clickEditor(t *testing.T) (*session, *review, chan func(), *labelEditor) {
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	setLabels(t, r)
	typeRune(r.main, 'e')
	drain(t, q, 10*time.Second, "the editor", func() bool { return r.editor != nil })
	le := r.editor
	typeRune(r.main, 'q')
	if le.tool != toolAIClick || le.toolSel.Selected != "AI click (Q)" {
		t.Fatalf("Q chose tool %d (%q)", le.tool, le.toolSel.Selected)
	}
	return s, r, q, le
}

// settle runs the Fyne queue until every click is on screen and no propagation runs.
func settle(t *testing.T, q chan func(), ct *clickTool) {
	t.Helper()
	drain(t, q, 20*time.Second, "the clicks and their propagation", func() bool { return ct.pending() == 0 && ct.stopProp == nil })
}

// leftClick and rightClick press and release a button at display pixel (x, y)'s centre.
func leftClick(sv *sliceview.View, x, y float64, mod fyne.KeyModifier) {
	at := screenAt(sv, x, y)
	sv.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at}, Button: desktop.MouseButtonPrimary, Modifier: mod})
	sv.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at}, Button: desktop.MouseButtonPrimary, Modifier: mod})
}

func rightClick(sv *sliceview.View, x, y float64) {
	at := screenAt(sv, x, y)
	sv.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at}, Button: desktop.MouseButtonSecondary})
	sv.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at}, Button: desktop.MouseButtonSecondary})
}

// inClickDisk: pixel (i, j)'s centre within 3 mm of pixel (ci, cj)'s centre on 0.8 x 1.6 mm pixels.
func inClickDisk(i, j, ci, cj int) bool {
	dx, dy := float64(i-ci)*0.8, float64(j-cj)*1.6
	return dx*dx+dy*dy <= 9
}

// TestAIClickRedrawsUndoJournal: a positive click beside the liver adds liver in its disk and
// nowhere else on the slice, the change propagates to the neighbours in the same step, a right
// click inside removes liver in its disk; one undo takes back a click and all it did, exactly,
// and takes the click away; the autosave journal and the audit log have every step.
func TestAIClickRedrawsUndoJournal(t *testing.T) {
	clickModel(t, onnxtest.Rules)
	s, r, q, le := clickEditor(t)
	ct := le.clicks
	v, sv := r.vol, r.main
	sv.SetSlice(5)
	start := le.ed.Mask().Clone()

	leftClick(sv, 34, 15, 0) // beside the block (columns 10..29): missed liver
	settle(t, q, ct)
	m := le.ed.Mask()
	added := 0
	for j := 0; j < 30; j++ {
		for i := 0; i < 40; i++ {
			want := start.At(v.Index(i, j, 5))
			if inClickDisk(i, j, 34, 15) {
				want = scan.Liver
			}
			if got := m.At(v.Index(i, j, 5)); got != want {
				t.Fatalf("slice 6 pixel (%d, %d) = %d, want %d", i, j, got, want)
			}
			if want != start.At(v.Index(i, j, 5)) {
				added++
			}
		}
	}
	if added != 21 {
		t.Errorf("the click added %d voxels, want the 21 of its disk", added)
	}
	// The change is carried as a click at its centre: the disk reached slices 5 and 7 in the same step.
	if m.At(v.Index(34, 15, 6)) != scan.Liver || m.At(v.Index(34, 15, 4)) != scan.Liver {
		t.Error("the change did not propagate to slices 5 and 7")
	}
	if u, _ := le.ed.History().Len(); u != 1 {
		t.Errorf("a click and its propagation made %d steps, want 1", u)
	}
	afterFirst := m.Clone()

	rightClick(sv, 15, 15) // inside: a leak to remove
	settle(t, q, ct)
	for j := 0; j < 30; j++ {
		for i := 0; i < 40; i++ {
			want := afterFirst.At(v.Index(i, j, 5))
			if inClickDisk(i, j, 15, 15) {
				want = 0
			}
			if got := m.At(v.Index(i, j, 5)); got != want {
				t.Fatalf("after the negative click, slice 6 pixel (%d, %d) = %d, want %d", i, j, got, want)
			}
		}
	}
	if cs := ct.clicks[5]; len(cs) != 2 || !cs[0].positive || cs[1].positive {
		t.Fatalf("clicks kept on slice 6: %+v", cs)
	}
	// The journal, replayed on the label the editor started from, is the label (a kill now
	// loses nothing).
	ws, rec := autosaved(t, s, le)
	restored, err := rec.Restore(start.Clone())
	if err != nil {
		t.Fatal(err)
	}
	if !sameVoxels(restored, m) {
		t.Error("the autosave journal does not restore the clicks' label")
	}
	audit, err := ws.Audit(t.Context(), le.caseID)
	if err != nil {
		t.Fatal(err)
	}
	var tools []string
	for _, a := range audit {
		tools = append(tools, a.Tool)
	}
	joined := strings.Join(tools, "|")
	if !strings.HasPrefix(joined, "ai-click-positive model=rules-1|ai-click-propagate model=rules-1|") ||
		!strings.Contains(joined, "ai-click-negative model=rules-1") || audit[0].Voxels != 21 || audit[0].Slice != 5 {
		t.Errorf("audit log %q (first: %d voxels on slice %d)", joined, audit[0].Voxels, audit[0].Slice)
	}

	// Undo the negative click: the label is exactly as after the first, and the click is gone
	// from the slice's clicks; undo the first: the label the editor started from.
	le.undo()
	if !sameVoxels(m, afterFirst) {
		t.Error("undo of the negative click does not restore the label exactly")
	}
	if !ct.clicks[5][1].undone || ct.clicks[5][0].undone {
		t.Error("undo did not take the negative click away (and only it)")
	}
	le.undo()
	if !sameVoxels(m, start) {
		t.Error("undo of the first click and its propagation does not restore the label exactly")
	}
	le.redo()
	if !sameVoxels(m, afterFirst) || ct.clicks[5][0].undone {
		t.Error("redo does not put the first click back")
	}
}

// TestAIClickQueue: clicks that come while one is redrawn are queued and applied in order, every
// one a step, none lost.
func TestAIClickQueue(t *testing.T) {
	clickModel(t, onnxtest.Rules)
	_, r, q, le := clickEditor(t)
	ct := le.clicks
	sv := r.main
	sv.SetSlice(5)
	xs := []float64{2, 33, 6, 37, 25}
	for n, x := range xs {
		mod := fyne.KeyModifier(0)
		leftClick(sv, x, 26, mod) // below the block: each adds its own disk
		if n == 0 && ct.pending() != 1 {
			t.Fatalf("the first click is not pending (%d)", ct.pending())
		}
	}
	if ct.pending() != len(xs) {
		t.Fatalf("%d clicks pending, want %d: clicks lost", ct.pending(), len(xs))
	}
	settle(t, q, ct)
	cs := ct.clicks[5]
	if len(cs) != len(xs) {
		t.Fatalf("%d clicks on the slice, want %d", len(cs), len(xs))
	}
	for n, c := range cs {
		if math.Abs(c.p[0]-(xs[n]+0.5)) > 1e-3 || c.step == nil {
			t.Errorf("click %d at %v (step %v), want x %v: out of order or lost", n, c.p, c.step != nil, xs[n]+0.5)
		}
		if le.ed.Mask().At(r.vol.Index(int(xs[n]), 26, 5)) != scan.Liver {
			t.Errorf("click %d did not add liver", n)
		}
	}
	if u, _ := le.ed.History().Len(); u != len(xs) {
		t.Errorf("%d steps for %d clicks", u, len(xs))
	}
	if len(ct.latencies) != len(xs) {
		t.Errorf("%d latencies measured", len(ct.latencies))
	}
}

// TestAIClickRefusals: a click on air, in a coronal view, or without an interactive model, or
// with an automatic one, changes nothing and says why.
func TestAIClickRefusals(t *testing.T) {
	clickModel(t, onnxtest.Rules)
	s, r, q, le := clickEditor(t)
	ct := le.clicks
	sv := r.main
	sv.SetSlice(5)
	r.vol.Voxels[r.vol.Index(3, 3, 5)] = -1000
	leftClick(sv, 3, 3, 0)
	if ct.pending() != 0 || !strings.Contains(r.modelNote, "air") {
		t.Errorf("a click on air: %d pending, note %q", ct.pending(), r.modelNote)
	}
	var shown error
	s.hooks.onError = func(err error) { shown = err }
	t.Setenv(EnvInteractiveModel, "")
	leftClick(sv, 15, 15, 0)
	// The model is looked for off the Fyne goroutine (the workspace's active one, the built-in).
	drain(t, q, 10*time.Second, "the error", func() bool { return shown != nil })
	if shown == nil || !strings.Contains(shown.Error(), EnvInteractiveModel) || ct.pending() != 0 {
		t.Errorf("no model: %v, %d pending", shown, ct.pending())
	}
	clickModel(t, onnxtest.Bright)
	shown = nil
	leftClick(sv, 15, 15, 0)
	drain(t, q, 10*time.Second, "the error", func() bool { return shown != nil })
	if !errors.Is(shown, inference.ErrKind) || ct.pending() != 0 {
		t.Errorf("an automatic model: %v, %d pending", shown, ct.pending())
	}
	if u, _ := le.ed.History().Len(); u != 0 {
		t.Errorf("%d steps after refused clicks", u)
	}
}

func sameVoxels(a, b *scan.Mask) bool { return a.Equal(b) }

// TestAIClickWorkspaceModel: without $LIVERSEG_INTERACTIVE_MODEL the tool runs the workspace's
// active interactive model, and its version goes into the audit log.
func TestAIClickWorkspaceModel(t *testing.T) {
	clickModel(t, onnxtest.Rules)
	src := os.Getenv(EnvInteractiveModel)
	s, r, q, le := clickEditor(t)
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.RegisterModel(context.Background(), workspace.NewModel{Version: "click-ws-1", Parent: workspace.BuiltInModel,
		SourceDir: dir, Kind: workspace.KindInteractive, Activate: true}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvInteractiveModel, "")
	ct := le.clicks
	r.main.SetSlice(5)
	leftClick(r.main, 5, 5, 0)
	settle(t, q, ct)
	if ct.model == nil || !strings.Contains(ct.model.Path(), "click-ws-1") {
		t.Errorf("the tool runs %v, not the workspace's click-ws-1", ct.model)
	}
	if u, _ := le.ed.History().Len(); u != 1 {
		t.Errorf("%d steps after a click with the workspace's model", u)
	}
}
