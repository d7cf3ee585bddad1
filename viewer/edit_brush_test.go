package viewer

import (
	"image"
	"math"
	"testing"

	"liverseg/scan"
)

func TestBrushDisc(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spacing [3]float64
		radius  float64
		at      Point
		rx, ry  float64
		want    []string
	}{
		{"2 mm, square pixels", [3]float64{1, 1, 3}, 2, centre(4, 3), 2, 2, []string{
			".........",
			"....#....",
			"...###...",
			"..#####..",
			"...###...",
			"....#....",
			".........",
		}},
		{"1 mm, pixels twice as tall as wide", [3]float64{0.5, 1, 3}, 1, centre(4, 3), 2, 1, []string{
			".........",
			".........",
			"....#....",
			"..#####..",
			"....#....",
			".........",
			".........",
		}},
		{"clipped at the corner", [3]float64{1, 1, 1}, 2, centre(0, 0), 2, 2, []string{
			"###......",
			"##.......",
			"#........",
			".........",
			".........",
			".........",
			".........",
		}},
		{"radius 0 paints the pixel under the cursor", [3]float64{1, 1, 1}, 0, Point{6.9, 2.1}, 0, 0, []string{
			".........",
			".........",
			"......#..",
			".........",
			".........",
			".........",
			".........",
		}},
		{"off-centre: the disc is around the point, not the pixel", [3]float64{1, 1, 1}, 1, Point{4, 3}, 1, 1, []string{
			".........",
			".........",
			"...##....",
			"...##....",
			".........",
			".........",
			".........",
		}},
		{"unknown spacing counts as 1 mm", [3]float64{0, math.NaN(), 1}, 1, centre(4, 3), 1, 1, []string{
			".........",
			".........",
			"....#....",
			"...###...",
			"....#....",
			".........",
			".........",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := editVol(9, 7, 3, tc.spacing)
			e := mustEditor(t, v, nil)
			if rx, ry := e.CursorRadius(tc.radius); rx != tc.rx || ry != tc.ry {
				t.Fatalf("CursorRadius %v, %v; want %v, %v", rx, ry, tc.rx, tc.ry)
			}
			ed, err := e.Stamp(1, Brush{RadiusMM: tc.radius}, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, e, 1, tc.want...)
			checkSlice(t, e, 0, emptyRows(9, 7)...)
			checkSlice(t, e, 2, emptyRows(9, 7)...)
			if ed.Tool != ToolBrush || ed.Slice != 1 || ed.Voxels != countNonzero(e.Mask()) {
				t.Fatalf("edit %+v", ed)
			}
			// The same click again changes nothing and adds no step.
			if again, err := e.Stamp(1, Brush{RadiusMM: tc.radius}, tc.at); again != nil || err != nil {
				t.Fatalf("repeat click: %v %v", again, err)
			}
			if u, _ := e.History().Len(); u != 1 {
				t.Fatalf("%d steps", u)
			}
			// The eraser takes it back.
			er, err := e.Stamp(1, Brush{RadiusMM: tc.radius, Erase: true}, tc.at)
			if err != nil || er.Tool != ToolEraser || er.Voxels != ed.Voxels || countNonzero(e.Mask()) != 0 {
				t.Fatalf("eraser: %+v %v", er, err)
			}
		})
	}
}

// permutedVol is stored sagittally-ish: volume columns run toward the head, rows toward the
// patient's right, slices toward posterior, with different spacing on each axis. Canonical
// columns are then volume rows reversed (0.5 mm), canonical rows are volume slices (1 mm) and
// canonical slices are volume columns (2 mm).
func permutedVol(t testing.TB) *scan.Volume {
	v := &scan.Volume{
		Voxels:    make([]int16, 5*7*6),
		Dims:      [3]int{5, 7, 6},
		Spacing:   [3]float64{2, 0.5, 1},
		Direction: [3][3]float64{{0, 0, 1}, {-1, 0, 0}, {0, 1, 0}},
		Origin:    [3]float64{10, -20, 30},
	}
	c := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	if c.Dims != [3]int{7, 6, 5} || c.Spacing != [3]float64{0.5, 1, 2} {
		t.Fatalf("canonical dims %v spacing %v", c.Dims, c.Spacing)
	}
	return v
}

// canonToVol is permutedVol's turn, written out by hand: canonical (ci, cj, ck) is volume
// (ck, 6-ci, cj).
func canonToVol(v *scan.Volume, ci, cj, ck int) int { return v.Index(ck, 6-ci, cj) }

func TestBrushPermutedFlipped(t *testing.T) {
	v := permutedVol(t)
	e := mustEditor(t, v, nil)
	if rx, ry := e.CursorRadius(1); rx != 2 || ry != 1 {
		t.Fatalf("CursorRadius(1) = %v, %v", rx, ry)
	}
	ed, err := e.Stamp(1, Brush{RadiusMM: 1}, centre(3, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkSlice(t, e, 1,
		".......",
		"...#...",
		".#####.",
		"...#...",
		".......",
		".......",
	)
	// The same voxels in volume terms, from the hand-written turn.
	want := scan.NewMask(v.Dims)
	for ci := 1; ci <= 5; ci++ {
		want.Set(canonToVol(v, ci, 2, 1), 1)
	}
	want.Set(canonToVol(v, 3, 1, 1), 1)
	want.Set(canonToVol(v, 3, 3, 1), 1)
	for o := range want.Len() {
		if want.At(o) != e.Mask().At(o) {
			t.Fatalf("volume voxel %d is %d, want %d", o, e.Mask().At(o), want.At(o))
		}
	}
	if ed.Voxels != 7 {
		t.Fatalf("%d voxels changed", ed.Voxels)
	}
	// The renderer's probe of each painted pixel lands on a painted voxel.
	r := mustRenderer(t, v)
	for cj := 0; cj < 6; cj++ {
		for ci := 0; ci < 7; ci++ {
			i, j, k, _, ok := r.Probe(1, ci, cj)
			if !ok {
				t.Fatal("probe")
			}
			if got, want := e.Mask().At(v.Index(i, j, k)), slicePattern(e, 1)[cj][ci] == '#'; (got != 0) != want {
				t.Fatalf("pixel (%d,%d): probe voxel %d,%d,%d holds %d", ci, cj, i, j, k, got)
			}
		}
	}
}

// TestBrushPhysicalDistance checks the mm radius in the patient, independently of the canonical
// turn: after a stamp, a voxel is painted exactly when it lies on the axial plane of the centre
// and within the radius of it, by the volume's own geometry (Position).
func TestBrushPhysicalDistance(t *testing.T) {
	v := permutedVol(t)
	for _, radius := range []float64{0.4, 1, 1.6, 2.3} {
		e := mustEditor(t, v, nil)
		const ci, cj, ck = 3, 2, 1
		if _, err := e.Stamp(ck, Brush{RadiusMM: radius}, centre(ci, cj)); err != nil {
			t.Fatal(err)
		}
		o := canonToVol(v, ci, cj, ck)
		d := v.Dims
		c := v.Position(float64(o%d[0]), float64(o/d[0]%d[1]), float64(o/(d[0]*d[1])))
		for k := 0; k < d[2]; k++ {
			for j := 0; j < d[1]; j++ {
				for i := 0; i < d[0]; i++ {
					p := v.Position(float64(i), float64(j), float64(k))
					dist := math.Sqrt((p[0]-c[0])*(p[0]-c[0]) + (p[1]-c[1])*(p[1]-c[1]) + (p[2]-c[2])*(p[2]-c[2]))
					want := p[2] == c[2] && dist <= radius+1e-9
					if got := e.Mask().At(v.Index(i, j, k)) != 0; got != want {
						t.Fatalf("radius %v: voxel %d,%d,%d at %.2f mm painted %v", radius, i, j, k, dist, got)
					}
				}
			}
		}
	}
}

func TestThresholdBrush(t *testing.T) {
	v := editVol(9, 7, 2, [3]float64{1, 1, 1})
	for k := 0; k < 2; k++ {
		for j := 0; j < 7; j++ {
			for i := 0; i < 9; i++ {
				v.Voxels[v.Index(i, j, k)] = int16(10 * i) // HU grows to the right
			}
		}
	}
	e := mustEditor(t, v, nil)
	lim := &HURange{Lo: 20, Hi: 50}
	ed, err := e.Stamp(0, Brush{RadiusMM: 2, Limit: lim}, centre(4, 3))
	if err != nil || ed.Tool != ToolThresholdBrush {
		t.Fatal(ed, err)
	}
	checkSlice(t, e, 0,
		".........",
		"....#....",
		"...###...",
		"..####...",
		"...###...",
		"....#....",
		".........",
	)
	// Changing the caller's range mid-stroke does not change the stroke.
	if err := e.BeginStroke(1, Brush{RadiusMM: 0, Limit: lim}); err != nil {
		t.Fatal(err)
	}
	lim.Lo, lim.Hi = 0, 100
	e.StrokeTo(centre(0, 0))
	e.StrokeTo(centre(8, 0))
	ed = e.EndStroke()
	want := emptyRows(9, 7)
	want[0] = "..####..."
	checkSlice(t, e, 1, want...)
	if ed.Voxels != 4 {
		t.Fatalf("%d voxels", ed.Voxels)
	}
	// The threshold eraser removes only what is in its range.
	setPattern(t, e, 1, "#########", "#########", ".........", ".........", ".........", ".........", ".........")
	er, err := e.Stamp(1, Brush{RadiusMM: 1.5, Erase: true, Limit: &HURange{Lo: 30, Hi: 40}}, centre(4, 0))
	if err != nil || er.Tool != ToolThresholdEraser {
		t.Fatal(er, err)
	}
	checkSlice(t, e, 1, "###..####", "###..####", ".........", ".........", ".........", ".........", ".........")
}

func TestBrushDrag(t *testing.T) {
	v := editVol(9, 9, 2, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	if err := e.BeginStroke(1, Brush{RadiusMM: 1}); err != nil {
		t.Fatal(err)
	}
	if !e.Stroking() {
		t.Fatal("not stroking")
	}
	// A fast drag: two events far apart still paint the path between them.
	for _, p := range []Point{centre(2, 4), centre(6, 4), centre(6, 4), centre(4, 4)} {
		if _, err := e.StrokeTo(p); err != nil {
			t.Fatal(err)
		}
	}
	if u, _ := e.History().Len(); u != 0 {
		t.Fatal("a step before the stroke ended")
	}
	ed := e.EndStroke()
	want := []string{
		".........",
		".........",
		".........",
		"..#####..",
		".#######.",
		"..#####..",
		".........",
		".........",
		".........",
	}
	checkSlice(t, e, 1, want...)
	if ed == nil || ed.Voxels != 17 || ed.Tool != ToolBrush || ed.Slice != 1 || e.Stroking() {
		t.Fatalf("drag edit %+v", ed)
	}
	if u, _ := e.History().Len(); u != 1 {
		t.Fatalf("a drag made %d steps", u)
	}
	if e.EndStroke() != nil {
		t.Fatal("EndStroke twice")
	}
	// Ctrl+Z during a drag ends it and undoes all of it.
	e.BeginStroke(1, Brush{RadiusMM: 1, Erase: true})
	e.StrokeTo(centre(2, 4))
	e.StrokeTo(centre(6, 4))
	if got, err := e.Undo(); err != nil || got == nil || got.Tool != ToolEraser {
		t.Fatal(got, err)
	}
	checkSlice(t, e, 1, want...)
	if u, r := e.History().Len(); u != 1 || r != 1 || e.Stroking() {
		t.Fatalf("history %d/%d", u, r)
	}
	// A drag that changes nothing adds no step (and clears no redo).
	e.BeginStroke(1, Brush{RadiusMM: 1})
	e.StrokeTo(centre(4, 4))
	if ed := e.EndStroke(); ed != nil {
		t.Fatalf("no-op drag gave %+v", ed)
	}
	if u, r := e.History().Len(); u != 1 || r != 1 {
		t.Fatalf("no-op drag: history %d/%d", u, r)
	}
	// Another tool ends an open stroke first (two steps, in order).
	e.BeginStroke(0, Brush{RadiusMM: 0})
	e.StrokeTo(centre(0, 0))
	if _, err := e.LassoFill(0, []Point{{8, 8}, {9, 8}, {9, 9}}); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.History().Len(); u != 3 || e.History().undo[1].Tool != ToolBrush || e.History().undo[2].Tool != ToolLassoFill {
		t.Fatal("open stroke not committed before the lasso")
	}
}

func TestBrushThinLines(t *testing.T) {
	v := editVol(9, 6, 1, [3]float64{1, 1, 1})
	for _, tc := range []struct {
		name string
		path []Point
		want []string
	}{
		{"diagonal", []Point{centre(0, 0), centre(4, 4)}, []string{
			"#........",
			".#.......",
			"..#......",
			"...#.....",
			"....#....",
			".........",
		}},
		{"from far outside to far outside", []Point{{-1e6, 2.5}, {1e6, 2.5}}, []string{
			".........",
			".........",
			"#########",
			".........",
			".........",
			".........",
		}},
		{"entirely outside", []Point{{-5, -5}, {20, -1}, {1e7, -1e7}}, emptyRows(9, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEditor(t, v, nil)
			if err := e.BeginStroke(0, Brush{}); err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.path {
				dirty, err := e.StrokeTo(p)
				if err != nil {
					t.Fatal(err)
				}
				if !dirty.In(image.Rect(0, 0, 9, 6)) {
					t.Fatalf("dirty box %v outside the slice", dirty)
				}
				if tc.name == "entirely outside" && !dirty.Empty() {
					t.Fatalf("dirty box %v for a path outside the slice", dirty)
				}
			}
			e.EndStroke()
			checkSlice(t, e, 0, tc.want...)
		})
	}
}

// TestRecorderKeepsOriginal: a voxel changed twice in one step is stored once with its original
// value; one changed and changed back is not stored.
func TestRecorderKeepsOriginal(t *testing.T) {
	v := editVol(4, 1, 1, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	e.rec.reset()
	e.set(2, 1)
	e.set(0, 1)
	e.set(2, 3)
	e.set(1, 1)
	e.set(1, 0)
	ed := e.finish("test", e.view, 0)
	if ed == nil || ed.Voxels != 2 || len(ed.spans) != 2 || ed.spans[0] != (span{0, 1}) || ed.spans[1] != (span{2, 1}) {
		t.Fatalf("edit %+v", ed)
	}
	if rs := ed.Runs(); !runsEqual(rs, []scan.MaskRun{{Offset: 0, Values: []uint8{1}}, {Offset: 2, Values: []uint8{3}}}) {
		t.Fatalf("runs %v", rs)
	}
	if rs := ed.UndoRuns(); !runsEqual(rs, []scan.MaskRun{{Offset: 0, Values: []uint8{0}}, {Offset: 2, Values: []uint8{0}}}) {
		t.Fatalf("undo runs %v", rs)
	}
}
