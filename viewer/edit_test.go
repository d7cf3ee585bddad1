package viewer

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"liverseg/scan"
)

// editVol is a volume of cols x rows x slices voxels of hu with the given spacing and the
// standard axial direction (canonical = volume order).
func editVol(cols, rows, slices int, spacing [3]float64) *scan.Volume {
	v := newVol(cols, rows, slices, 0)
	v.Spacing = spacing
	return v
}

func mustEditor(t testing.TB, v *scan.Volume, label *scan.Mask) *Editor {
	t.Helper()
	e, err := NewEditor(v, label)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// slicePattern draws canonical slice k of the editor's mask, one string a row: '.' for 0, '#' for
// 1, '2'..'9' for other values.
func slicePattern(e *Editor, k int) []string {
	w, h := e.Size()
	rows := make([]string, h)
	for j := 0; j < h; j++ {
		var b strings.Builder
		for i := 0; i < w; i++ {
			switch v := e.Mask().At(e.Canonical().Offset(i, j, k)); v {
			case 0:
				b.WriteByte('.')
			case 1:
				b.WriteByte('#')
			default:
				b.WriteByte('0' + v)
			}
		}
		rows[j] = b.String()
	}
	return rows
}

// setPattern writes a pattern (as slicePattern draws it) into canonical slice k of the editor's
// mask directly, bypassing the history (test set-up).
func setPattern(t testing.TB, e *Editor, k int, rows ...string) {
	t.Helper()
	w, h := e.Size()
	if len(rows) != h {
		t.Fatalf("pattern has %d rows, slice %d", len(rows), h)
	}
	for j, r := range rows {
		if len(r) != w {
			t.Fatalf("pattern row %d is %d wide, slice %d", j, len(r), w)
		}
		for i := 0; i < w; i++ {
			e.Mask().Set(e.Canonical().Offset(i, j, k), patternValue(r[i]))
		}
	}
}

// patternValue is the label value a pattern character stands for.
func patternValue(c byte) uint8 {
	switch c {
	case '.':
		return 0
	case '#':
		return 1
	}
	return c - '0'
}

func checkSlice(t testing.TB, e *Editor, k int, want ...string) {
	t.Helper()
	got := slicePattern(e, k)
	if !slices.Equal(got, want) {
		t.Fatalf("slice %d:\n%s\nwant:\n%s", k, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func emptyRows(w, h int) []string {
	r := make([]string, h)
	for j := range r {
		r[j] = strings.Repeat(".", w)
	}
	return r
}

func countNonzero(m *scan.Mask) int {
	n := 0
	for _, v := range m.Dense() {
		if v != 0 {
			n++
		}
	}
	return n
}

// centre is the image position of the centre of pixel (i, j).
func centre(i, j int) Point { return Point{float64(i) + 0.5, float64(j) + 0.5} }

func TestNewEditorCopiesLabel(t *testing.T) {
	v := editVol(4, 3, 2, [3]float64{1, 1, 1})
	src := scan.NewMask(v.Dims)
	src.Set(5, 1)
	e := mustEditor(t, v, src)
	if e.Mask() == src {
		t.Fatal("editor shares the caller's mask")
	}
	if e.Mask().At(5) != 1 {
		t.Fatal("label not copied")
	}
	src.Set(6, 1) // the caller (say, inference) writes its mask again
	if e.Mask().At(6) != 0 {
		t.Fatal("caller's later write reached the editor")
	}
	if _, err := e.Stamp(0, Brush{RadiusMM: 10, Erase: true}, centre(0, 0)); err != nil {
		t.Fatal(err)
	}
	if src.At(5) != 1 {
		t.Fatal("editing changed the caller's mask")
	}
	if e.Label() != scan.Liver {
		t.Fatalf("label value %d", e.Label())
	}
	if e2 := mustEditor(t, v, nil); countNonzero(e2.Mask()) != 0 || !e2.Mask().Valid() || e2.Mask().Dims != v.Dims {
		t.Fatal("nil label should start empty")
	}
}

func TestEditorErrors(t *testing.T) {
	v := editVol(4, 3, 2, [3]float64{1, 1, 1})
	if _, err := NewEditor(nil, nil); err == nil {
		t.Error("nil volume accepted")
	}
	if _, err := NewEditor(v, scan.NewMask([3]int{4, 3, 3})); !errors.Is(err, scan.ErrGeometry) {
		t.Errorf("mismatched label: %v", err)
	}
	bad := editVol(4, 3, 2, [3]float64{1, 1, 1})
	bad.Voxels = bad.Voxels[:5]
	if _, err := NewEditor(bad, nil); err == nil {
		t.Error("short volume accepted")
	}
	e := mustEditor(t, v, nil)
	if err := e.SetLabel(0); err == nil {
		t.Error("label 0 accepted")
	}
	pre := e.Mask().Clone()
	for name, f := range map[string]func() error{
		"stamp slice -1":  func() error { _, err := e.Stamp(-1, Brush{RadiusMM: 1}, centre(0, 0)); return err },
		"stamp slice 2":   func() error { _, err := e.Stamp(2, Brush{RadiusMM: 1}, centre(0, 0)); return err },
		"negative radius": func() error { return e.BeginStroke(0, Brush{RadiusMM: -1}) },
		"NaN radius":      func() error { return e.BeginStroke(0, Brush{RadiusMM: nan()}) },
		"empty HU range":  func() error { return e.BeginStroke(0, Brush{RadiusMM: 1, Limit: &HURange{10, 5}}) },
		"NaN position":    func() error { _, err := e.Stamp(0, Brush{RadiusMM: 1}, Point{nan(), 0}); return err },
		"far position":    func() error { _, err := e.Stamp(0, Brush{RadiusMM: 1}, Point{0, -1e300}); return err },
		"lasso far":       func() error { _, err := e.LassoFill(0, []Point{{0, 0}, {1, 1}, {2e7, 0}}); return err },
		"lasso 2 points":  func() error { _, err := e.LassoFill(0, []Point{{0, 0}, {1, 1}}); return err },
		"lasso NaN":       func() error { _, err := e.LassoFill(0, []Point{{0, 0}, {1, 1}, {nan(), 0}}); return err },
		"lasso slice":     func() error { _, err := e.LassoCut(5, []Point{{0, 0}, {1, 1}, {0, 1}}); return err },
		"flood slice":     func() error { _, err := e.FloodFill(2, 0, 0, FloodOptions{}); return err },
		"flood seed":      func() error { _, err := e.FloodFill(0, 4, 0, FloodOptions{}); return err },
		"flood range":     func() error { _, err := e.FloodFill(0, 0, 0, FloodOptions{Limit: &HURange{1, 0}}); return err },
		"interp one key":  func() error { _, err := e.Interpolate([]int{1, 1}); return err },
		"interp range":    func() error { _, err := e.Interpolate([]int{0, 2}); return err },
		"islands size":    func() error { _, err := e.RemoveIslands(-1); return err },
		"accept nil":      func() error { _, err := e.AcceptPrediction(nil, 0); return err },
		"accept dims":     func() error { _, err := e.AcceptPrediction(scan.NewMask([3]int{3, 4, 2}), 0); return err },
		"accept slice":    func() error { _, err := e.AcceptPrediction(scan.NewMask(v.Dims), 2); return err },
		"accept slice -2": func() error { _, err := e.AcceptPrediction(scan.NewMask(v.Dims), -2); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := e.StrokeTo(centre(0, 0)); !errors.Is(err, ErrNoStroke) {
		t.Errorf("StrokeTo without a stroke: %v", err)
	}
	if _, err := e.Stamp(9, Brush{}, centre(0, 0)); !errors.Is(err, ErrSlice) {
		t.Errorf("slice error does not wrap ErrSlice: %v", err)
	}
	if !pre.Equal(e.Mask()) || e.History().CanUndo() {
		t.Error("a failed call changed the mask or the history")
	}
}

func nan() float64 { var z float64; return z / z }

// TestHistoryUndoRedo runs a sequence of edits, undoes and redoes them, and checks the mask
// after each, exactly.
func TestHistoryUndoRedo(t *testing.T) {
	v := editVol(6, 4, 2, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	s0 := slicePattern(e, 0)
	a, err := e.LassoFill(0, []Point{{1, 1}, {4, 1}, {4, 3}, {1, 3}})
	if err != nil || a == nil {
		t.Fatal(a, err)
	}
	s1 := []string{
		"......",
		".###..",
		".###..",
		"......",
	}
	checkSlice(t, e, 0, s1...)
	b, err := e.LassoCut(0, []Point{{2, 0}, {3, 0}, {3, 4}, {2, 4}})
	if err != nil || b == nil {
		t.Fatal(b, err)
	}
	s2 := []string{
		"......",
		".#.#..",
		".#.#..",
		"......",
	}
	checkSlice(t, e, 0, s2...)
	if a.Tool != ToolLassoFill || a.Slice != 0 || a.Voxels != 6 || b.Tool != ToolLassoCut || b.Voxels != 2 {
		t.Fatalf("edits %+v %+v", a, b)
	}
	if u, r := e.History().Len(); u != 2 || r != 0 {
		t.Fatalf("history %d/%d", u, r)
	}
	if got, _ := e.Undo(); got != b {
		t.Fatal("undo returned the wrong step")
	}
	checkSlice(t, e, 0, s1...)
	if got, _ := e.Undo(); got != a {
		t.Fatal("undo returned the wrong step")
	}
	checkSlice(t, e, 0, s0...)
	if got, err := e.Undo(); got != nil || err != nil {
		t.Fatal("undo past the start", got, err)
	}
	if !e.History().CanRedo() || e.History().CanUndo() {
		t.Fatal("CanRedo/CanUndo")
	}
	if got, _ := e.Redo(); got != a {
		t.Fatal("redo returned the wrong step")
	}
	checkSlice(t, e, 0, s1...)
	if got, _ := e.Redo(); got != b {
		t.Fatal("redo returned the wrong step")
	}
	checkSlice(t, e, 0, s2...)
	if got, err := e.Redo(); got != nil || err != nil {
		t.Fatal("redo past the end", got, err)
	}
	// A new edit after undo clears redo.
	e.Undo()
	if _, err := e.Stamp(1, Brush{}, centre(5, 3)); err != nil {
		t.Fatal(err)
	}
	if u, r := e.History().Len(); u != 2 || r != 0 || e.History().CanRedo() {
		t.Fatalf("after a new edit: history %d/%d", u, r)
	}
	if got, _ := e.Redo(); got != nil {
		t.Fatal("redo after a new edit")
	}
	checkSlice(t, e, 0, s1...)
	want1 := emptyRows(6, 4)
	want1[3] = ".....#"
	checkSlice(t, e, 1, want1...)
	// Bytes follow the steps.
	var sum int64
	for _, ed := range []*Edit{a, e.History().undo[1]} {
		sum += ed.Size()
	}
	if e.History().Bytes() != sum {
		t.Fatalf("Bytes %d, sum of sizes %d", e.History().Bytes(), sum)
	}
	e.History().Clear()
	if e.History().Bytes() != 0 || e.History().CanUndo() {
		t.Fatal("Clear")
	}
}

func TestHistoryNoLimitAndBudget(t *testing.T) {
	v := editVol(64, 64, 1, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	// 500 alternating clicks: far more steps than any small fixed limit.
	const n = 500
	for s := 0; s < n; s++ {
		if ed, err := e.Stamp(0, Brush{RadiusMM: 3, Erase: s%2 == 1}, centre(32, 32)); err != nil || ed == nil {
			t.Fatal(s, ed, err)
		}
	}
	if u, _ := e.History().Len(); u != n {
		t.Fatalf("%d steps kept, want %d", u, n)
	}
	for s := 0; s < n; s++ {
		if ed, _ := e.Undo(); ed == nil {
			t.Fatalf("undo %d", s)
		}
	}
	if countNonzero(e.Mask()) != 0 {
		t.Fatal("mask not back to empty")
	}
	for s := 0; s < n; s++ {
		e.Redo()
	}
	if countNonzero(e.Mask()) != 0 { // the last click erased
		t.Fatal("mask after redo")
	}
	// A budget keeps the newest steps that fit.
	size := e.History().undo[0].Size()
	e.History().SetBudget(10 * size)
	if u, _ := e.History().Len(); u != 10 || e.History().Bytes() != 10*size || e.History().Budget() != 10*size {
		t.Fatalf("budget: %d steps, %d bytes", u, e.History().Bytes())
	}
	for s := 0; s < 10; s++ {
		e.Undo()
	}
	if countNonzero(e.Mask()) != 0 { // back to after step n-11, an erase
		t.Fatal("mask after undoing the kept steps")
	}
	if ed, _ := e.Undo(); ed != nil {
		t.Fatal("undo beyond the budget")
	}
	// Redo steps count toward Bytes; a push that overflows drops from the oldest undo step.
	e.History().SetBudget(1)
	if u, r := e.History().Len(); u != 0 || r != 10 {
		t.Fatalf("redo steps are not dropped by the budget: %d/%d", u, r)
	}
	e.Stamp(0, Brush{RadiusMM: 3}, centre(10, 10))
	if u, r := e.History().Len(); u != 1 || r != 0 {
		t.Fatalf("the latest step is always kept: %d/%d", u, r)
	}
}

func TestEditMemoryIsTheChange(t *testing.T) {
	v := editVol(128, 128, 16, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	ed, err := e.Stamp(7, Brush{RadiusMM: 2}, centre(60, 60))
	if err != nil {
		t.Fatal(err)
	}
	// 13 voxels in 5 rows: 5 spans of 8 bytes, 13 bytes before and 13 after.
	if ed.Voxels != 13 || len(ed.spans) != 5 || ed.Size() != editHeader+5*8+2*13 {
		t.Fatalf("edit of %d voxels, %d spans, %d bytes", ed.Voxels, len(ed.spans), ed.Size())
	}
	if cap(ed.before) != 13 || cap(ed.after) != 13 || cap(ed.spans) != 5 {
		t.Fatal("edit arrays hold slack capacity")
	}
}

func TestRunsAndRecovery(t *testing.T) {
	v := editVol(8, 6, 3, [3]float64{1, 1, 1})
	start := scan.NewMask(v.Dims)
	start.Set(v.Index(1, 1, 1), 1)
	start.Set(v.Index(6, 4, 2), 2)
	e := mustEditor(t, v, start)
	var journal [][]scan.MaskRun
	do := func(ed *Edit, err error) {
		t.Helper()
		if err != nil || ed == nil {
			t.Fatal(ed, err)
		}
		journal = append(journal, ed.Runs())
	}
	do(e.Stamp(1, Brush{RadiusMM: 1.5}, centre(3, 3)))
	do(e.LassoFill(2, []Point{{0, 0}, {8, 0}, {8, 2}, {0, 2}}))
	do(e.Stamp(1, Brush{RadiusMM: 1, Erase: true}, centre(3, 2)))
	ed, _ := e.Undo()
	journal = append(journal, ed.UndoRuns())
	// The first stamp's runs, exactly: rows 2..4 of slice 1 around column 3.
	want := []scan.MaskRun{
		{Offset: v.Index(2, 2, 1), Values: []uint8{1, 1, 1}},
		{Offset: v.Index(2, 3, 1), Values: []uint8{1, 1, 1}},
		{Offset: v.Index(2, 4, 1), Values: []uint8{1, 1, 1}},
	}
	if !runsEqual(journal[0], want) {
		t.Fatalf("runs %v, want %v", journal[0], want)
	}
	// Replaying the journal on the last saved label gives the editor's mask.
	rec := start.Clone()
	for _, rs := range journal {
		if err := scan.ApplyRuns(rec, rs); err != nil {
			t.Fatal(err)
		}
	}
	if !rec.Equal(e.Mask()) {
		t.Fatal("replayed journal differs from the edited mask")
	}
	// Runs are copies.
	journal[0][0].Values[0] = 9
	if r := ed.Runs(); len(r) == 0 || r[0].Values[0] == 9 {
		t.Fatal("Runs shares the edit's storage")
	}
}

func runsEqual(a, b []scan.MaskRun) bool {
	return slices.EqualFunc(a, b, func(x, y scan.MaskRun) bool { return x.Offset == y.Offset && slices.Equal(x.Values, y.Values) })
}

func TestHistoryWrongMask(t *testing.T) {
	v := editVol(4, 4, 2, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	e.Stamp(0, Brush{RadiusMM: 1}, centre(1, 1))
	var h History
	h.Push(e.History().undo[0])
	h.Push(nil) // a tool that changed nothing
	if u, _ := h.Len(); u != 1 {
		t.Fatal("nil edit pushed")
	}
	if _, err := h.Undo(scan.NewMask([3]int{4, 4, 3})); err == nil {
		t.Fatal("undo into a mask of other dimensions")
	}
	if u, _ := h.Len(); u != 1 {
		t.Fatal("failed undo moved the step")
	}
	if _, err := h.Undo(nil); err == nil {
		t.Fatal("undo into nil")
	}
}

func TestEditedSlices(t *testing.T) {
	v := editVol(5, 5, 6, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	e.Stamp(4, Brush{RadiusMM: 1}, centre(2, 2))
	e.Stamp(1, Brush{RadiusMM: 1}, centre(2, 2))
	e.Stamp(3, Brush{RadiusMM: 1, Erase: true}, centre(2, 2)) // changes nothing: not a key
	if got := e.EditedSlices(); !slices.Equal(got, []int{1, 4}) {
		t.Fatalf("edited %v", got)
	}
	if _, err := e.Interpolate(e.EditedSlices()); err != nil {
		t.Fatal(err)
	}
	if got := e.EditedSlices(); !slices.Equal(got, []int{1, 4}) {
		t.Fatalf("interpolation marked slices: %v", got)
	}
	e.ClearEdited()
	if got := e.EditedSlices(); len(got) != 0 {
		t.Fatalf("after ClearEdited %v", got)
	}
}
