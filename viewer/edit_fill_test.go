package viewer

import (
	"testing"
)

func TestFloodFill(t *testing.T) {
	ring := []string{
		".........",
		".#####...",
		".#...#...",
		".#...#...",
		".####....", // the corner at (5,4) is open only diagonally
		".........",
		"......2..",
	}
	blobs := []string{
		"##.......",
		"##.......",
		"..#......", // touches the 2x2 blob only at a corner
		".........",
		"......###",
		"......###",
		".........",
	}
	for _, tc := range []struct {
		name  string
		start []string
		i, j  int
		opt   FloodOptions
		tool  string
		want  []string // nil: no change, no step
	}{
		{"fill a hole closed by 4-connectivity", ring, 3, 2, FloodOptions{}, ToolFloodFill, []string{
			".........",
			".#####...",
			".#####...",
			".#####...",
			".####....",
			".........",
			"......2..",
		}},
		{"fill the outside: everything 0 connected to the seed", ring, 8, 0, FloodOptions{}, ToolFloodFill, []string{
			"#########",
			"#########",
			"##...####",
			"##...####",
			"#########",
			"#########",
			"######2##",
		}},
		{"erase one blob, not its diagonal neighbour", blobs, 1, 0, FloodOptions{Erase: true}, ToolFloodErase, []string{
			".........",
			".........",
			"..#......",
			".........",
			"......###",
			"......###",
			".........",
		}},
		{"a region of another label value takes the label", ring, 6, 6, FloodOptions{}, ToolFloodFill, []string{
			".........",
			".#####...",
			".#...#...",
			".#...#...",
			".####....",
			".........",
			"......#..",
		}},
		{"clicking the label already there changes nothing", ring, 1, 1, FloodOptions{}, "", nil},
		{"erasing background changes nothing", ring, 0, 0, FloodOptions{Erase: true}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := editVol(9, 7, 3, [3]float64{1, 1, 1})
			e := mustEditor(t, v, nil)
			setPattern(t, e, 1, tc.start...)
			ed, err := e.FloodFill(1, tc.i, tc.j, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, e, 0, emptyRows(9, 7)...)
			checkSlice(t, e, 2, emptyRows(9, 7)...)
			if tc.want == nil {
				checkSlice(t, e, 1, tc.start...)
				if ed != nil || e.History().CanUndo() {
					t.Fatal("a step for no change")
				}
				return
			}
			checkSlice(t, e, 1, tc.want...)
			if ed == nil || ed.Tool != tc.tool || ed.Slice != 1 || ed.Voxels != diffCount(tc.start, tc.want) {
				t.Fatalf("edit %+v", ed)
			}
			e.Undo()
			checkSlice(t, e, 1, tc.start...)
		})
	}
}

func diffCount(a, b []string) int {
	n := 0
	for j := range a {
		for i := range a[j] {
			if a[j][i] != b[j][i] {
				n++
			}
		}
	}
	return n
}

func TestFloodFillHU(t *testing.T) {
	v := editVol(7, 4, 1, [3]float64{1, 1, 1})
	// Soft tissue (50 HU) split by a bright wall (300 HU) at column 3, open at the bottom row.
	for j := 0; j < 4; j++ {
		for i := 0; i < 7; i++ {
			hu := int16(50)
			if i == 3 && j < 3 {
				hu = 300
			}
			if i == 6 && j == 0 {
				hu = -100
			}
			v.Voxels[v.Index(i, j, 0)] = hu
		}
	}
	e := mustEditor(t, v, nil)
	setPattern(t, e, 0,
		".#.....",
		"2......",
		".......",
		".......",
	)
	ed, err := e.FloodFill(0, 0, 0, FloodOptions{Limit: &HURange{Lo: 0, Hi: 100}})
	if err != nil {
		t.Fatal(err)
	}
	// Every in-range pixel connected to the seed (round the wall's open end), whatever its label.
	checkSlice(t, e, 0,
		"###.##.",
		"###.###",
		"###.###",
		"#######",
	)
	if ed.Tool != ToolFloodFill || ed.Voxels != 23 { // 24 pixels in range, one already liver
		t.Fatalf("edit %+v", ed)
	}
	// A seed outside the range fills nothing.
	if ed, err := e.FloodFill(0, 3, 0, FloodOptions{Limit: &HURange{Lo: 0, Hi: 100}}); ed != nil || err != nil {
		t.Fatal(ed, err)
	}
	// The HU-bounded eraser clears the bright wall only.
	setPattern(t, e, 0, "#######", "#######", "#######", "#######")
	er, err := e.FloodFill(0, 3, 1, FloodOptions{Erase: true, Limit: &HURange{Lo: 200, Hi: 400}})
	if err != nil || er.Tool != ToolFloodErase || er.Voxels != 3 {
		t.Fatal(er, err)
	}
	checkSlice(t, e, 0, "###.###", "###.###", "###.###", "#######")
}

func TestFloodFillPermuted(t *testing.T) {
	v := permutedVol(t)
	e := mustEditor(t, v, nil)
	setPattern(t, e, 2,
		"..###..",
		"..#.#..",
		"..###..",
		".......",
		".......",
		".......",
	)
	ed, err := e.FloodFill(2, 3, 1, FloodOptions{})
	if err != nil || ed == nil || ed.Voxels != 1 {
		t.Fatal(ed, err)
	}
	if e.Mask().At(canonToVol(v, 3, 1, 2)) != 1 {
		t.Fatal("the hole's volume voxel was not filled")
	}
	if countNonzero(e.Mask()) != 9 {
		t.Fatalf("%d voxels set", countNonzero(e.Mask()))
	}
}

// TestFloodFillLarge fills a whole 512x512 slice: the iterative fill must not recurse.
func TestFloodFillLarge(t *testing.T) {
	v := editVol(512, 512, 1, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	ed, err := e.FloodFill(0, 100, 200, FloodOptions{})
	if err != nil || ed == nil || ed.Voxels != 512*512 || len(ed.spans) != 1 {
		t.Fatal(ed, err)
	}
}
