package viewer

import (
	"testing"

	"liverseg/scan"
)

// islands is a 6x5x3 label with five 6-connected components of label 1 (sizes 5, 1, 2, 1, 1)
// and one voxel of label 2.
var islands = [3][]string{
	{
		"##....", // A (with (0,0) of slice 1)
		"##....",
		"....#.", // B: alone
		"......",
		".....#", // C: with (5,4) of slice 1
	},
	{
		"#.....",
		"......",
		"...#..", // D: alone
		"......",
		".....#",
	},
	{
		"......",
		"......",
		"......",
		"...#..", // E: touches D only along an edge, not a face
		".....2", // another label: not a component, left alone
	},
}

func islandEditor(t *testing.T) *Editor {
	v := editVol(6, 5, 3, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	for k, rows := range islands {
		setPattern(t, e, k, rows...)
	}
	return e
}

func TestKeepLargest(t *testing.T) {
	e := islandEditor(t)
	ed, err := e.KeepLargest()
	if err != nil || ed == nil || ed.Tool != ToolKeepLargest || ed.Slice != -1 || ed.Voxels != 5 {
		t.Fatal(ed, err)
	}
	checkSlice(t, e, 0, "##....", "##....", "......", "......", "......")
	checkSlice(t, e, 1, "#.....", "......", "......", "......", "......")
	checkSlice(t, e, 2, "......", "......", "......", "......", ".....2")
	if again, err := e.KeepLargest(); again != nil || err != nil {
		t.Fatal("one component left, yet", again, err)
	}
	e.Undo()
	for k, rows := range islands {
		checkSlice(t, e, k, rows...)
	}
}

func TestRemoveIslands(t *testing.T) {
	for _, tc := range []struct {
		min    int
		voxels int
		want   [3][]string
	}{
		{0, 0, islands},
		{1, 0, islands},
		{2, 3, [3][]string{
			{"##....", "##....", "......", "......", ".....#"},
			{"#.....", "......", "......", "......", ".....#"},
			{"......", "......", "......", "......", ".....2"},
		}},
		{3, 5, [3][]string{
			{"##....", "##....", "......", "......", "......"},
			{"#.....", "......", "......", "......", "......"},
			{"......", "......", "......", "......", ".....2"},
		}},
		{6, 10, [3][]string{
			{"......", "......", "......", "......", "......"},
			{"......", "......", "......", "......", "......"},
			{"......", "......", "......", "......", ".....2"},
		}},
	} {
		e := islandEditor(t)
		ed, err := e.RemoveIslands(tc.min)
		if err != nil {
			t.Fatal(err)
		}
		for k, rows := range tc.want {
			checkSlice(t, e, k, rows...)
		}
		switch {
		case tc.voxels == 0 && ed != nil:
			t.Fatalf("min %d: a step that changed nothing", tc.min)
		case tc.voxels != 0 && (ed == nil || ed.Voxels != tc.voxels || ed.Tool != ToolRemoveIslands):
			t.Fatalf("min %d: edit %+v", tc.min, ed)
		}
	}
}

func TestKeepLargestTieAndLabel(t *testing.T) {
	v := editVol(5, 1, 1, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	setPattern(t, e, 0, "#.2.#")
	if _, err := e.KeepLargest(); err != nil {
		t.Fatal(err)
	}
	checkSlice(t, e, 0, "#.2..") // equal sizes: the first in volume order stays
	// With the editor painting label 2, label 2 is what gets its components kept.
	setPattern(t, e, 0, "2#2.2")
	e.SetLabel(2)
	if _, err := e.RemoveIslands(2); err != nil {
		t.Fatal(err)
	}
	checkSlice(t, e, 0, ".#...")
}

// TestKeepLargestBig: one component of a million voxels, walked without recursion.
func TestKeepLargestBig(t *testing.T) {
	v := editVol(128, 128, 64, [3]float64{1, 1, 1})
	m := scan.NewMask(v.Dims)
	for o := range m.Len() {
		m.Set(o, 1)
	}
	for j := 0; j < 128; j++ { // a wall of background at column 100 cuts off a smaller block
		for k := 0; k < 64; k++ {
			m.Set(v.Index(100, j, k), 0)
		}
	}
	e := mustEditor(t, v, m)
	ed, err := e.KeepLargest()
	if err != nil || ed == nil || ed.Voxels != 27*128*64 {
		t.Fatal(ed, err)
	}
	if countNonzero(e.Mask()) != 100*128*64 {
		t.Fatal("kept the wrong component")
	}
}

func TestAcceptPrediction(t *testing.T) {
	v := editVol(5, 3, 2, [3]float64{1, 1, 1})
	pred := scan.NewMask(v.Dims)
	label := scan.NewMask(v.Dims)
	e := mustEditor(t, v, label)
	setPattern(t, e, 0, "##...", "2....", ".....")
	setPattern(t, e, 1, "#....", ".2...", ".....")
	for _, o := range []int{v.Index(1, 1, 0), v.Index(2, 1, 0), v.Index(1, 1, 1), v.Index(3, 2, 1)} {
		pred.Set(o, 1)
	}
	pred.Set(v.Index(0, 1, 0), 1) // over a label 2 voxel: left alone
	predCopy := pred.Clone()

	ed, err := e.AcceptPrediction(pred, 1)
	if err != nil || ed == nil || ed.Tool != ToolAcceptPrediction || ed.Slice != 1 || ed.Voxels != 2 {
		t.Fatal(ed, err)
	}
	checkSlice(t, e, 0, "##...", "2....", ".....") // other slices untouched
	checkSlice(t, e, 1, ".....", ".2...", "...#.")

	ed, err = e.AcceptPrediction(pred, -1)
	if err != nil || ed == nil || ed.Slice != -1 || ed.Voxels != 4 {
		t.Fatal(ed, err)
	}
	checkSlice(t, e, 0, ".....", "2##..", ".....")
	checkSlice(t, e, 1, ".....", ".2...", "...#.")
	if again, err := e.AcceptPrediction(pred, -1); again != nil || err != nil {
		t.Fatal("accepting again changed", again, err)
	}
	// The label is a copy: painting it leaves the prediction as it was, and a new prediction
	// written into the same buffer (a later inference run) leaves the label as it was.
	e.Stamp(0, Brush{RadiusMM: 5}, centre(2, 1))
	if !pred.Equal(predCopy) {
		t.Fatal("editing changed the prediction")
	}
	before := e.Mask().Clone()
	pred.Clear()
	if !before.Equal(e.Mask()) {
		t.Fatal("a new prediction changed the label")
	}
	e.Undo()
	e.Undo()
	e.Undo()
	checkSlice(t, e, 0, "##...", "2....", ".....")
	checkSlice(t, e, 1, "#....", ".2...", ".....")
}

func TestAcceptPredictionPermuted(t *testing.T) {
	v := permutedVol(t)
	pred := scan.NewMask(v.Dims)
	for o := range pred.Len() {
		pred.Set(o, 1)
	}
	e := mustEditor(t, v, nil)
	ed, err := e.AcceptPrediction(pred, 2)
	if err != nil || ed.Voxels != 7*6 {
		t.Fatal(ed, err)
	}
	// Canonical slice 2 is volume column 2.
	for o, val := range e.Mask().Dense() {
		if want := o%v.Dims[0] == 2; (val != 0) != want {
			t.Fatalf("voxel %d is %d", o, val)
		}
	}
}
