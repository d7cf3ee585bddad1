package viewer

import (
	"errors"
	"testing"

	"liverseg/scan"
)

// pattern turns rows as slicePattern draws them into slice bytes (0 for '.', else 1).
func pattern(rows ...string) []uint8 {
	var out []uint8
	for _, r := range rows {
		for i := 0; i < len(r); i++ {
			out = append(out, min(patternValue(r[i]), 1))
		}
	}
	return out
}

// TestApplySlice: the slice's label becomes exactly the slice given, other structures' voxels
// kept, on a flipped volume (the canonical slice is not the stored one); one step, undone and
// redone exactly; a slice that agrees adds no step.
func TestApplySlice(t *testing.T) {
	v := flippedVol(t)
	e := mustEditor(t, v, nil)
	setPattern(t, e, 2,
		"##....",
		"##..3.",
		"......",
		"......",
		"......")
	before := e.Mask().Clone()
	ed, err := e.ApplySlice(2, pattern(
		"......",
		".####.",
		".####.",
		"......",
		"....#."), ToolAIClickPositive)
	if err != nil || ed == nil {
		t.Fatal(ed, err)
	}
	checkSlice(t, e, 2,
		"......",
		".###3.", // the 3 stays
		".####.",
		"......",
		"....#.")
	if ed.Tool != ToolAIClickPositive || ed.Slice != 2 || ed.Plane != scan.Axial || ed.Voxels != 2+3+4+1 {
		t.Errorf("edit %s slice %d plane %v voxels %d", ed.Tool, ed.Slice, ed.Plane, ed.Voxels)
	}
	for k := 0; k < 4; k++ {
		if k != 2 {
			checkSlice(t, e, k, emptyRows(6, 5)...)
		}
	}
	after := e.Mask().Clone()
	if u, _ := e.History().Len(); u != 1 {
		t.Errorf("%d steps", u)
	}
	if _, err := e.Undo(); err != nil {
		t.Fatal(err)
	}
	if !sameVoxels(e.Mask(), before) {
		t.Error("undo does not restore the label exactly")
	}
	if _, err := e.Redo(); err != nil {
		t.Fatal(err)
	}
	if !sameVoxels(e.Mask(), after) {
		t.Error("redo does not restore the click exactly")
	}
	if ed, err := e.ApplySlice(2, pattern(slicePattern(e, 2)...), ToolAIClickNegative); ed != nil || err != nil {
		t.Errorf("a slice that agrees: %v, %v", ed, err)
	}
	if _, err := e.ApplySlice(2, make([]uint8, 29), ToolAIClickNegative); err == nil {
		t.Error("a short slice: no error")
	}
	if _, err := e.ApplySlice(4, make([]uint8, 30), ToolAIClickNegative); !errors.Is(err, ErrSlice) {
		t.Errorf("slice 4 of 4: %v", err)
	}
}

// TestExtendStep: slices a click propagates to join its step: one undo takes back all, the
// changes returned are each call's own voxels (a journal replaying the click's runs and then
// the changes' gets the label), and a step that is no longer the latest is refused untouched.
func TestExtendStep(t *testing.T) {
	v := editVol(5, 4, 6, [3]float64{1, 1, 2})
	e := mustEditor(t, v, nil)
	setPattern(t, e, 3, "##...", "##...", ".....", ".....")
	start := e.Mask().Clone()
	step, err := e.ApplySlice(2, pattern("###..", "###..", ".....", "....."), ToolAIClickPositive)
	if err != nil {
		t.Fatal(err)
	}
	journal := start.Clone()
	if err := scan.ApplyRuns(journal, step.Runs()); err != nil {
		t.Fatal(err)
	}
	merged, change, err := e.ExtendStep(step, 3, pattern("###..", "###..", ".....", "....."))
	if err != nil || merged == nil || change == nil {
		t.Fatal(merged, change, err)
	}
	if change.Voxels != 2 || change.Slice != 3 || merged.Voxels != 6+2 || merged.Slice != -1 || merged.FirstSlice != 2 || merged.LastSlice != 3 {
		t.Errorf("change %d voxels on %d; merged %d voxels, slice %d, %d..%d", change.Voxels, change.Slice, merged.Voxels, merged.Slice, merged.FirstSlice, merged.LastSlice)
	}
	if err := scan.ApplyRuns(journal, change.Runs()); err != nil {
		t.Fatal(err)
	}
	// Slice 2 again, taking back one voxel of the click: the merged step forgets it.
	merged, change, err = e.ExtendStep(merged, 2, pattern("##...", "###..", ".....", "....."))
	if err != nil || change.Voxels != 1 || merged.Voxels != 7 {
		t.Fatalf("re-extend: change %v merged %v %v", change, merged, err)
	}
	if err := scan.ApplyRuns(journal, change.Runs()); err != nil {
		t.Fatal(err)
	}
	if !sameVoxels(journal, e.Mask()) {
		t.Error("the click's runs and the changes' do not rebuild the label")
	}
	if u, _ := e.History().Len(); u != 1 {
		t.Errorf("%d steps, want the click's one", u)
	}
	after := e.Mask().Clone()
	if _, err := e.Undo(); err != nil {
		t.Fatal(err)
	}
	if !sameVoxels(e.Mask(), start) {
		t.Error("one undo does not take back the click and its propagation")
	}
	if _, _, err := e.ExtendStep(merged, 4, make([]uint8, 20)); !errors.Is(err, ErrNotLatest) {
		t.Errorf("extending an undone step: %v, want ErrNotLatest", err)
	}
	if _, err := e.Redo(); err != nil {
		t.Fatal(err)
	}
	if !sameVoxels(e.Mask(), after) {
		t.Error("redo does not restore the click and its propagation")
	}
	// A brush stroke after the click: the click's step is no longer the latest.
	if _, err := e.Stamp(5, Brush{RadiusMM: 1}, centre(0, 0)); err != nil {
		t.Fatal(err)
	}
	now := e.Mask().Clone()
	if m, c, err := e.ExtendStep(merged, 4, pattern("#####", ".....", ".....", ".....")); !errors.Is(err, ErrNotLatest) || c != nil || m != merged {
		t.Errorf("extending under a later step: %v %v %v", m, c, err)
	}
	if !sameVoxels(e.Mask(), now) {
		t.Error("a refused extension changed the label")
	}
	// A step whose extension takes back all it did leaves the history.
	e2 := mustEditor(t, v, nil)
	s2, _ := e2.ApplySlice(1, pattern("#....", ".....", ".....", "....."), ToolAIClickPositive)
	m2, c2, err := e2.ExtendStep(s2, 1, make([]uint8, 20))
	if err != nil || m2 != nil || c2 == nil {
		t.Errorf("cancelling extension: %v %v %v", m2, c2, err)
	}
	if u, _ := e2.History().Len(); u != 0 || countNonzero(e2.Mask()) != 0 {
		t.Errorf("%d steps, %d voxels left", u, countNonzero(e2.Mask()))
	}
}

func sameVoxels(a, b *scan.Mask) bool { return a.Equal(b) }
