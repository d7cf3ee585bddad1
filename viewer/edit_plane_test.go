package viewer

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"liverseg/scan"
)

// The tools in coronal and sagittal, checked voxel by voxel against turns written out by hand
// (never through scan's plane code), on volumes stored permuted and flipped.

// flippedVol is stored axially but with rows toward anterior and slices head first (both
// flipped), with different spacing on each axis: canonical (ci, cj, ck) is volume
// (ci, 4-cj, 3-ck).
func flippedVol(t testing.TB) *scan.Volume {
	v := &scan.Volume{
		Voxels:    make([]int16, 6*5*4),
		Dims:      [3]int{6, 5, 4},
		Spacing:   [3]float64{0.8, 0.6, 2.5},
		Direction: [3][3]float64{{1, 0, 0}, {0, -1, 0}, {0, 0, -1}},
		Origin:    [3]float64{-5, 7, 40},
	}
	c := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	if c.Dims != [3]int{6, 5, 4} || c.Flip != [3]bool{false, true, true} {
		t.Fatalf("canonical dims %v flips %v", c.Dims, c.Flip)
	}
	return v
}

// planeCase is a volume seen in a plane, with the plane's turn written out by hand: turn gives
// the volume offset of pixel (x, y) of the plane's slice s.
type planeCase struct {
	name    string
	vol     func(testing.TB) *scan.Volume
	plane   scan.Plane
	w, h, n int        // columns, rows, slices of the plane
	spacing [2]float64 // mm between columns and rows
	turn    func(v *scan.Volume, x, y, s int) int
}

// planeCases: coronal columns are canonical columns, rows canonical slices reversed (superior
// at the top), slices canonical rows; sagittal columns are canonical rows, rows canonical slices
// reversed, slices canonical columns. With permutedVol's canonical (ci, cj, ck) = volume
// (ck, 6-ci, cj) and flippedVol's (ci, 4-cj, 3-ck):
var planeCases = []planeCase{
	{"permuted/coronal", permutedVol, scan.Coronal, 7, 5, 6, [2]float64{0.5, 2},
		func(v *scan.Volume, x, y, s int) int { return v.Index(4-y, 6-x, s) }},
	{"permuted/sagittal", permutedVol, scan.Sagittal, 6, 5, 7, [2]float64{1, 2},
		func(v *scan.Volume, x, y, s int) int { return v.Index(4-y, 6-s, x) }},
	{"flipped/coronal", flippedVol, scan.Coronal, 6, 4, 5, [2]float64{0.8, 2.5},
		func(v *scan.Volume, x, y, s int) int { return v.Index(x, 4-s, y) }},
	{"flipped/sagittal", flippedVol, scan.Sagittal, 5, 4, 6, [2]float64{0.6, 2.5},
		func(v *scan.Volume, x, y, s int) int { return v.Index(s, 4-x, y) }},
}

// planeEditor is an editor on tc's volume with tc's plane current.
func planeEditor(t testing.TB, tc planeCase, label *scan.Mask) (*Editor, *scan.Volume) {
	t.Helper()
	v := tc.vol(t)
	e := mustEditor(t, v, label)
	if err := e.SetPlane(tc.plane); err != nil {
		t.Fatal(err)
	}
	if e.Plane() != tc.plane {
		t.Fatalf("plane %v", e.Plane())
	}
	if w, h := e.Size(); w != tc.w || h != tc.h || e.Slices() != tc.n {
		t.Fatalf("%s: size %dx%d, %d slices", tc.name, w, h, e.Slices())
	}
	return e, v
}

// wantSlice is the mask that holds pattern rows (as slicePattern draws them) on slice s of the
// plane and what base holds elsewhere, written through the hand turn.
func wantSlice(v *scan.Volume, base *scan.Mask, tc planeCase, s int, rows ...string) *scan.Mask {
	m := base.Clone()
	for y, r := range rows {
		for x := 0; x < len(r); x++ {
			m.Set(tc.turn(v, x, y, s), patternValue(r[x]))
		}
	}
	return m
}

// sameMask fails unless got holds exactly want's voxels.
func sameMask(t testing.TB, what string, got, want *scan.Mask) {
	t.Helper()
	for o := range want.Len() {
		if got.At(o) != want.At(o) {
			t.Fatalf("%s: volume voxel %d is %d, want %d", what, o, got.At(o), want.At(o))
		}
	}
}

// TestPlaneTurnsByHand checks the hand-written turns themselves against the volumes' geometry: a
// plane's columns, rows and slices step by its spacing toward the patient directions scan.Plane
// names (coronal: left, inferior, posterior; sagittal: posterior, inferior, left).
func TestPlaneTurnsByHand(t *testing.T) {
	// dir[p][a]: the LPS axis plane p's axis a runs along, and its sign.
	dir := map[scan.Plane][3][2]int{
		scan.Coronal:  {{0, 1}, {2, -1}, {1, 1}},
		scan.Sagittal: {{1, 1}, {2, -1}, {0, 1}},
	}
	for _, tc := range planeCases {
		v := tc.vol(t)
		pos := func(x, y, s int) [3]float64 {
			o := tc.turn(v, x, y, s)
			d := v.Dims
			return v.Position(float64(o%d[0]), float64(o/d[0]%d[1]), float64(o/(d[0]*d[1])))
		}
		c := scan.NewCanonical(v.Dims, v.Spacing, v.Direction).Plane(tc.plane)
		p0 := pos(1, 1, 1)
		for a, p1 := range [3][3]float64{pos(2, 1, 1), pos(1, 2, 1), pos(1, 1, 2)} {
			want := [3]float64{}
			want[dir[tc.plane][a][0]] = float64(dir[tc.plane][a][1]) * c.Spacing[a]
			for l := 0; l < 3; l++ {
				if math.Abs(p1[l]-p0[l]-want[l]) > 1e-9 {
					t.Fatalf("%s: a step along axis %d moves %v, want %v", tc.name, a, [3]float64{p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]}, want)
				}
			}
		}
		if a := c.Spacing; a[0] != tc.spacing[0] || a[1] != tc.spacing[1] {
			t.Fatalf("%s: spacing %v", tc.name, a)
		}
	}
}

// TestBrushInPlanes: a stamp in coronal and sagittal paints exactly the pixels drawn, at the
// physical aspect (a disc in mm, flat in pixels where rows are 2 mm and columns 0.5 mm).
func TestBrushInPlanes(t *testing.T) {
	for _, tc := range []struct {
		planeCase
		r    float64
		at   image.Point
		s    int
		rows []string
	}{
		{planeCases[0], 1, image.Pt(3, 2), 1, []string{
			".......",
			".......",
			".#####.",
			".......",
			".......",
		}},
		{planeCases[1], 2.2, image.Pt(2, 2), 4, []string{
			"......",
			"..#...",
			"#####.",
			"..#...",
			"......",
		}},
		{planeCases[2], 2.6, image.Pt(5, 0), 3, []string{
			"..####",
			".....#",
			"......",
			"......",
		}},
		{planeCases[3], 1.3, image.Pt(0, 3), 0, []string{
			".....",
			".....",
			".....",
			"###..",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, v := planeEditor(t, tc.planeCase, nil)
			if rx, ry := e.CursorRadius(1); rx != 1/tc.spacing[0] || ry != 1/tc.spacing[1] {
				t.Fatalf("CursorRadius(1) = %v, %v", rx, ry)
			}
			empty := scan.NewMask(v.Dims)
			ed, err := e.Stamp(tc.s, Brush{RadiusMM: tc.r}, centre(tc.at.X, tc.at.Y))
			if err != nil || ed == nil {
				t.Fatal(ed, err)
			}
			want := wantSlice(v, empty, tc.planeCase, tc.s, tc.rows...)
			sameMask(t, "stamp", e.Mask(), want)
			checkSlice(t, e, tc.s, tc.rows...) // the editor's Canonical is the plane's
			if ed.Tool != ToolBrush || ed.Plane != tc.plane || ed.Slice != tc.s || ed.FirstSlice != tc.s || ed.LastSlice != tc.s ||
				ed.Voxels != countNonzero(want) || ed.PlaneName() != tc.plane.String() {
				t.Fatalf("edit %+v", ed)
			}
			if ed.Rect != patternBox(tc.rows) {
				t.Fatalf("rect %v, want %v", ed.Rect, patternBox(tc.rows))
			}
			// The eraser takes exactly those voxels back; one undo restores them, redo erases.
			er, err := e.Stamp(tc.s, Brush{RadiusMM: tc.r, Erase: true}, centre(tc.at.X, tc.at.Y))
			if err != nil || er == nil || er.Tool != ToolEraser || er.Voxels != ed.Voxels || countNonzero(e.Mask()) != 0 {
				t.Fatalf("eraser %+v %v", er, err)
			}
			e.Undo()
			sameMask(t, "undo", e.Mask(), want)
			e.Redo()
			sameMask(t, "redo", e.Mask(), empty)
		})
	}
}

// patternBox is the box of the non-'.' characters of a pattern.
func patternBox(rows []string) image.Rectangle {
	var r image.Rectangle
	for y, row := range rows {
		for x := 0; x < len(row); x++ {
			if row[x] != '.' {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// TestBrushPlanesPhysical: in every case, stamps and drags paint (and erase) exactly the voxels
// that lie in the plane of the slice and within the radius of the path, by the volume's own
// geometry (Position); one undo restores the mask exactly. This is the brush stroke in sagittal
// that changes exactly what it covers.
func TestBrushPlanesPhysical(t *testing.T) {
	normal := map[scan.Plane]int{scan.Coronal: 1, scan.Sagittal: 0} // LPS axis across the plane
	for _, tc := range planeCases {
		v := tc.vol(t)
		d := v.Dims
		posOf := func(o int) [3]float64 {
			return v.Position(float64(o%d[0]), float64(o/d[0]%d[1]), float64(o/(d[0]*d[1])))
		}
		for _, r := range []float64{1.3, 1.6, 2.7} {
			for _, drag := range [][2]image.Point{
				{image.Pt(1, 1), image.Pt(1, 1)},                // a click
				{image.Pt(0, 0), image.Pt(tc.w-1, tc.h-1)},      // corner to corner
				{image.Pt(tc.w-2, 1), image.Pt(1, tc.h-1)},      // the other diagonal
				{image.Pt(2, tc.h-1), image.Pt(2+tc.w, tc.h-1)}, // leaving the slice
			} {
				for _, erase := range []bool{false, true} {
					start := scan.NewMask(v.Dims)
					if erase {
						for o := range start.Len() {
							start.Set(o, 1)
						}
					}
					e, _ := planeEditor(t, tc, start)
					s := tc.n / 2
					if err := e.BeginStroke(s, Brush{RadiusMM: r, Erase: erase}); err != nil {
						t.Fatal(err)
					}
					// Another pane becoming current does not move the stroke.
					e.SetPlane(scan.Axial)
					for _, p := range drag {
						if _, err := e.StrokeTo(centre(p.X, p.Y)); err != nil {
							t.Fatal(err)
						}
					}
					ed := e.EndStroke()
					a, b := posOf(tc.turn(v, drag[0].X, drag[0].Y, s)), drag[1]
					var bp [3]float64
					if b.X < tc.w {
						bp = posOf(tc.turn(v, b.X, b.Y, s))
					} else { // beyond the slice: extend the row's step
						q0, q1 := posOf(tc.turn(v, 0, b.Y, s)), posOf(tc.turn(v, 1, b.Y, s))
						for l := range bp {
							bp[l] = q0[l] + float64(b.X)*(q1[l]-q0[l])
						}
					}
					changed := 0
					for o := range start.Len() {
						p := posOf(o)
						covered := math.Abs(p[normal[tc.plane]]-a[normal[tc.plane]]) < 1e-9 && segDist(p, a, bp) <= r+1e-9
						if got := e.Mask().At(o) != start.At(o); got != covered {
							t.Fatalf("%s r %v drag %v erase %v: voxel %d (at %.2f mm from the path) changed %v",
								tc.name, r, drag, erase, o, segDist(p, a, bp), got)
						}
						if covered {
							changed++
						}
					}
					if ed == nil || ed.Voxels != changed || ed.Plane != tc.plane || ed.Slice != s {
						t.Fatalf("%s: edit %+v, %d changed", tc.name, ed, changed)
					}
					if ed, _ := e.Undo(); ed == nil {
						t.Fatal("nothing to undo")
					}
					sameMask(t, "undo", e.Mask(), start)
				}
			}
		}
	}
}

// segDist is the distance from p to the segment a-b.
func segDist(p, a, b [3]float64) float64 {
	var ab, ap [3]float64
	l2, dot := 0.0, 0.0
	for i := range p {
		ab[i], ap[i] = b[i]-a[i], p[i]-a[i]
		l2 += ab[i] * ab[i]
		dot += ab[i] * ap[i]
	}
	t := 0.0
	if l2 > 0 {
		t = math.Min(1, math.Max(0, dot/l2))
	}
	s := 0.0
	for i := range p {
		e := ap[i] - t*ab[i]
		s += e * e
	}
	return math.Sqrt(s)
}

// TestSliceToolsInPlanes: threshold brush, flood fill and erase (by label and by HU), lasso
// fill and cut and accept prediction on a slice, each in coronal and sagittal, voxel by voxel.
func TestSliceToolsInPlanes(t *testing.T) {
	for _, tc := range planeCases {
		t.Run(tc.name, func(t *testing.T) {
			w, h, s := tc.w, tc.h, 2
			// A ring: the border of columns 1..w-2, rows 0..h-1; inside it columns 2..w-3,
			// rows 1..h-2. Another structure (2) at the bottom-left corner.
			ring, inside := make([]string, h), make([]string, h)
			for y := 0; y < h; y++ {
				var rb, ib strings.Builder
				for x := 0; x < w; x++ {
					in := x >= 2 && x <= w-3 && y >= 1 && y <= h-2
					switch {
					case x == 0 && y == h-1:
						rb.WriteByte('2')
						ib.WriteByte('2')
					case x >= 1 && x <= w-2 && !in:
						rb.WriteByte('#')
						ib.WriteByte('#')
					case in:
						rb.WriteByte('.')
						ib.WriteByte('#')
					default:
						rb.WriteByte('.')
						ib.WriteByte('.')
					}
				}
				ring[y], inside[y] = rb.String(), ib.String()
			}
			v := tc.vol(t)
			start := wantSlice(v, scan.NewMask(v.Dims), tc, s, ring...)
			start.Set(tc.turn(v, 0, 0, s+1), 1) // on the next slice: never touched
			// HU: 100 inside the ring and on column 0, 0 elsewhere.
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if x == 0 || (x >= 2 && x <= w-3 && y >= 1 && y <= h-2) {
						v.Voxels[tc.turn(v, x, y, s)] = 100
					}
				}
			}
			e := mustEditor(t, v, start)
			if err := e.SetPlane(tc.plane); err != nil {
				t.Fatal(err)
			}
			step := func(what string, ed *Edit, err error, tool string, want *scan.Mask) {
				t.Helper()
				if err != nil || ed == nil || ed.Tool != tool || ed.Plane != tc.plane || ed.Slice != s {
					t.Fatalf("%s: %+v %v", what, ed, err)
				}
				sameMask(t, what, e.Mask(), want)
			}
			filled := wantSlice(v, start, tc, s, inside...)
			ed, err := e.FloodFill(s, 2, 1, FloodOptions{})
			step("flood fill", ed, err, ToolFloodFill, filled)
			if ed.Voxels != (w-4)*(h-2) {
				t.Fatalf("flood filled %d", ed.Voxels)
			}
			e.Undo()
			sameMask(t, "undo flood", e.Mask(), start)

			erased := wantSlice(v, start, tc, s, emptyExcept(w, h, 0, h-1, '2')...)
			ed, err = e.FloodFill(s, 1, 0, FloodOptions{Erase: true})
			step("flood erase", ed, err, ToolFloodErase, erased)
			e.Undo()

			// By HU from inside the ring: the inside only (the ring's HU 0 walls it off from column 0).
			ed, err = e.FloodFill(s, w-3, h-2, FloodOptions{Limit: &HURange{50, 150}})
			step("flood HU", ed, err, ToolFloodFill, filled)
			e.Undo()

			// The threshold brush over the whole slice paints the HU-100 pixels: the inside and
			// column 0, over the other structure's voxel too (a brush paints what it covers).
			thr := filled.Clone()
			for y := 0; y < h; y++ {
				thr.Set(tc.turn(v, 0, y, s), 1)
			}
			ed, err = e.Stamp(s, Brush{RadiusMM: 100, Limit: &HURange{50, 150}}, centre(w/2, h/2))
			step("threshold brush", ed, err, ToolThresholdBrush, thr)
			e.Undo()

			// A lasso rectangle covers whole pixels: columns 1..w-2, rows 1..h-1.
			lasso := start.Clone()
			for y := 1; y < h; y++ {
				for x := 1; x <= w-2; x++ {
					lasso.Set(tc.turn(v, x, y, s), 1)
				}
			}
			ed, err = e.LassoFill(s, []Point{{1, 1}, {float64(w - 1), 1}, {float64(w - 1), float64(h)}, {1, float64(h)}})
			step("lasso fill", ed, err, ToolLassoFill, lasso)
			cut := lasso.Clone()
			for y := 0; y < h; y++ {
				cut.Set(tc.turn(v, 2, y, s), 0)
			}
			ed, err = e.LassoCut(s, []Point{{2, -5}, {3, -5}, {3, float64(h + 5)}, {2, float64(h + 5)}})
			step("lasso cut", ed, err, ToolLassoCut, cut)
			e.Undo()
			e.Undo()

			// Accept a prediction on slice s: label where it is set, background where not;
			// the other structure stays, other slices are untouched.
			pred := scan.NewMask(v.Dims)
			for o := range pred.Len() {
				pred.Set(o, 1)
			}
			pred.Set(tc.turn(v, 1, 0, s), 0)
			acc := start.Clone()
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if !(x == 0 && y == h-1) {
						acc.Set(tc.turn(v, x, y, s), 1)
					}
				}
			}
			acc.Set(tc.turn(v, 1, 0, s), 0)
			ed, err = e.AcceptPrediction(pred, s)
			step("accept", ed, err, ToolAcceptPrediction, acc)
			if ed.PlaneName() != tc.plane.String() {
				t.Fatalf("accept on a slice: plane name %q", ed.PlaneName())
			}
			// Each plane keeps its own edited slices: only s, and only in this plane.
			if got := e.EditedSlices(); !slices.Equal(got, []int{s}) {
				t.Fatalf("edited %v", got)
			}
			e.SetPlane(scan.Axial)
			if got := e.EditedSlices(); len(got) != 0 {
				t.Fatalf("axial edited %v after %v edits", got, tc.plane)
			}
		})
	}
}

// emptyExcept is an empty pattern with character c at (x, y).
func emptyExcept(w, h, x, y int, c byte) []string {
	rows := emptyRows(w, h)
	b := []byte(rows[y])
	b[x] = c
	rows[y] = string(b)
	return rows
}

// TestInterpolateCoronal fills between two coronal slices from their shapes with the coronal
// pixel spacing (0.5 mm columns, 2 mm rows), checked against a brute-force signed distance; the
// axial slices it crosses are no keys, and the coronal keys are the coronal plane's own.
func TestInterpolateCoronal(t *testing.T) {
	tc := planeCases[0] // permuted/coronal: 7 x 5 pixels, 6 slices
	e, v := planeEditor(t, tc, nil)
	// Another structure between the keys: left alone.
	e.Mask().Set(tc.turn(v, 6, 4, 2), 2)
	if _, err := e.LassoFill(0, []Point{{1, 1}, {4, 1}, {4, 4}, {1, 4}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.LassoFill(5, []Point{{2, 0}, {7, 0}, {7, 3}, {3, 2}}); err != nil {
		t.Fatal(err)
	}
	keys := e.EditedSlices()
	if !slices.Equal(keys, []int{0, 5}) {
		t.Fatalf("coronal keys %v", keys)
	}
	e.SetPlane(scan.Axial)
	if got := e.EditedSlices(); len(got) != 0 {
		t.Fatalf("axial keys %v", got)
	}
	e.SetPlane(scan.Coronal)
	before := e.Mask().Clone()
	ed, err := e.Interpolate(keys)
	if err != nil || ed == nil || ed.Tool != ToolInterpolate || ed.Plane != scan.Coronal || ed.Slice != -1 ||
		ed.FirstSlice < 1 || ed.LastSlice > 4 || ed.PlaneName() != "coronal" {
		t.Fatalf("interpolate: %+v %v", ed, err)
	}
	// Brute force: pixel centres (x*0.5, y*2) mm; d < 0 inside.
	sd := func(s int) []float64 {
		d := make([]float64, tc.w*tc.h)
		for p := range d {
			in := before.At(tc.turn(v, p%tc.w, p/tc.w, s)) == 1
			best := farMM
			for q := range d {
				if (before.At(tc.turn(v, q%tc.w, q/tc.w, s)) == 1) == in {
					continue
				}
				dx, dy := float64(p%tc.w-q%tc.w)*0.5, float64(p/tc.w-q/tc.w)*2
				best = math.Min(best, math.Sqrt(dx*dx+dy*dy))
			}
			if in {
				best = -best
			}
			d[p] = best
		}
		return d
	}
	da, db := sd(0), sd(5)
	want := before.Clone()
	for s := 1; s < 5; s++ {
		t0 := float64(s) / 5
		for p := range da {
			o := tc.turn(v, p%tc.w, p/tc.w, s)
			if want.At(o) == 2 {
				continue
			}
			want.Set(o, 0)
			if (1-t0)*da[p]+t0*db[p] <= 0 {
				want.Set(o, 1)
			}
		}
	}
	sameMask(t, "interpolated", e.Mask(), want)
	if n := countNonzero(e.Mask()) - countNonzero(before); n < 10 {
		t.Fatalf("interpolation filled only %d voxels", n)
	}
	e.Undo()
	sameMask(t, "undo", e.Mask(), before)
}

// TestTwoSliceVolumePlanes: a 2-slice series edited in coronal and sagittal, whose slices are
// 2 pixels high (5 mm rows against 0.7 mm columns).
func TestTwoSliceVolumePlanes(t *testing.T) {
	v := editVol(8, 6, 2, [3]float64{0.7, 0.7, 5})
	e := mustEditor(t, v, nil)
	// Standard axial storage: coronal (x, y, s) is volume (x, s, 1-y), sagittal (x, y, s) is
	// volume (s, x, 1-y).
	cor := planeCase{plane: scan.Coronal, w: 8, h: 2, n: 6, turn: func(v *scan.Volume, x, y, s int) int { return v.Index(x, s, 1-y) }}
	sag := planeCase{plane: scan.Sagittal, w: 6, h: 2, n: 8, turn: func(v *scan.Volume, x, y, s int) int { return v.Index(s, x, 1-y) }}
	e.SetPlane(scan.Coronal)
	if w, h := e.Size(); w != 8 || h != 2 || e.Slices() != 6 {
		t.Fatalf("coronal %dx%d, %d slices", w, h, e.Slices())
	}
	empty := scan.NewMask(v.Dims)
	// 5 mm: the whole top row (|dx| <= 7 columns of 0.7 mm), on the row below only the centre.
	if _, err := e.Stamp(4, Brush{RadiusMM: 5}, centre(3, 0)); err != nil {
		t.Fatal(err)
	}
	stamp := wantSlice(v, empty, cor, 4, "########", "...#....")
	sameMask(t, "coronal stamp", e.Mask(), stamp)
	if ed, _ := e.FloodFill(4, 0, 1, FloodOptions{}); ed == nil || ed.Voxels != 3 {
		t.Fatalf("coronal flood %+v", ed)
	}
	sameMask(t, "coronal flood", e.Mask(), wantSlice(v, empty, cor, 4, "########", "####...."))
	e.Undo()

	e.SetPlane(scan.Sagittal)
	if w, h := e.Size(); w != 6 || h != 2 || e.Slices() != 8 {
		t.Fatalf("sagittal %dx%d, %d slices", w, h, e.Slices())
	}
	// A lasso on sagittal slices 1 and 5, the same shape: interpolation copies it through
	// slices 2..4 and, on slice 3, adds to what the coronal stamp left there.
	for _, k := range []int{1, 5} {
		if _, err := e.LassoFill(k, []Point{{1, 1}, {5, 1}, {5, 2}, {1, 2}}); err != nil {
			t.Fatal(err)
		}
	}
	want := stamp.Clone()
	for s := 1; s <= 5; s++ {
		for x := 1; x <= 4; x++ {
			want.Set(sag.turn(v, x, 1, s), 1)
		}
	}
	ed, err := e.Interpolate(e.EditedSlices())
	if err != nil || ed == nil || ed.Plane != scan.Sagittal || ed.FirstSlice != 2 || ed.LastSlice != 4 {
		t.Fatalf("sagittal interpolation %+v %v", ed, err)
	}
	// The coronal stamp's top row crosses every sagittal slice at (4, 0), so both keys hold it
	// too, and identical keys copy through: slices 2..4 are rewritten to the keys' shape.
	for s := 2; s <= 4; s++ {
		for x := 0; x < 6; x++ {
			for y := 0; y < 2; y++ {
				o := sag.turn(v, x, y, s)
				want.Set(o, 0)
				if (y == 1 && x >= 1 && x <= 4) || (y == 0 && x == 4) {
					want.Set(o, 1)
				}
			}
		}
	}
	sameMask(t, "sagittal interpolation", e.Mask(), want)
}

// TestTiltedVolumePlanes: a gantry-tilted series (rows 12 degrees off the posterior axis) is
// turned, never resampled: coronal pixels are the stored voxels, as the hand turn says.
func TestTiltedVolumePlanes(t *testing.T) {
	a := 12 * math.Pi / 180
	v := editVol(6, 5, 4, [3]float64{0.7, 0.7, 3})
	v.Direction = [3][3]float64{{1, 0, 0}, {0, math.Cos(a), math.Sin(a)}, {0, 0, 1}}
	e := mustEditor(t, v, nil)
	if got := e.Canonical().MaxAngle; math.Abs(got-12) > 1e-9 {
		t.Fatalf("tilt %v", got)
	}
	cor := planeCase{plane: scan.Coronal, turn: func(v *scan.Volume, x, y, s int) int { return v.Index(x, s, 3-y) }}
	sag := planeCase{plane: scan.Sagittal, turn: func(v *scan.Volume, x, y, s int) int { return v.Index(s, x, 3-y) }}
	e.SetPlane(scan.Coronal)
	if _, err := e.LassoFill(2, []Point{{1, 0}, {3, 0}, {3, 2}, {1, 2}}); err != nil {
		t.Fatal(err)
	}
	want := wantSlice(v, scan.NewMask(v.Dims), cor, 2, ".##...", ".##...", "......", "......")
	sameMask(t, "coronal lasso", e.Mask(), want)
	e.SetPlane(scan.Sagittal)
	// 3 mm rows, 0.7 mm columns: a 1 mm brush is 3 pixels wide and 1 high.
	if _, err := e.Stamp(4, Brush{RadiusMM: 1}, centre(2, 3)); err != nil {
		t.Fatal(err)
	}
	want = wantSlice(v, want, sag, 4, ".....", ".....", ".....", ".###.")
	sameMask(t, "sagittal stamp", e.Mask(), want)
}

// TestEditBoundsInEveryPlane: for random edits in random planes, BoundsIn(q) is the box of the
// voxels changed, in plane q's coordinates, for every q; Rect and the slices are BoundsIn(Plane).
func TestEditBoundsInEveryPlane(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 3))
	for n := 0; n < 200; n++ {
		v := permutedVol(t)
		if n%2 == 1 {
			v = flippedVol(t)
		}
		e := mustEditor(t, v, nil)
		p := scan.Planes[rng.IntN(3)]
		e.SetPlane(p)
		w, h := e.Size()
		before := e.Mask().Clone()
		k := rng.IntN(e.Slices())
		var ed *Edit
		var err error
		switch rng.IntN(3) {
		case 0:
			ed, err = e.Stamp(k, Brush{RadiusMM: 3 * rng.Float64()}, Point{rng.Float64() * float64(w), rng.Float64() * float64(h)})
		case 1:
			x, y := rng.Float64()*float64(w), rng.Float64()*float64(h)
			ed, err = e.LassoFill(k, []Point{{x, y}, {x + 3, y}, {x, y + 2}})
		default:
			ed, err = e.FloodFill(k, rng.IntN(w), rng.IntN(h), FloodOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		if ed == nil {
			continue
		}
		if r, f, l := ed.BoundsIn(p); r != ed.Rect || f != ed.FirstSlice || l != ed.LastSlice || ed.Plane != p {
			t.Fatalf("BoundsIn(%v) %v %d..%d, edit %+v", p, r, f, l, ed)
		}
		axial := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
		for _, q := range scan.Planes {
			c := axial.Plane(q)
			var box image.Rectangle
			first, last := math.MaxInt, -1
			for s := 0; s < c.Dims[2]; s++ {
				for y := 0; y < c.Dims[1]; y++ {
					for x := 0; x < c.Dims[0]; x++ {
						if o := c.Offset(x, y, s); e.Mask().At(o) != before.At(o) {
							box = box.Union(image.Rect(x, y, x+1, y+1))
							first, last = min(first, s), max(last, s)
						}
					}
				}
			}
			if r, f, l := ed.BoundsIn(q); r != box || f != first || l != last {
				t.Fatalf("edit in %v, BoundsIn(%v) = %v %d..%d, want %v %d..%d", p, q, r, f, l, box, first, last)
			}
		}
	}
}

// TestWholeVolumeStepsHaveNoPlane: keep largest, remove islands and accept over the volume are
// bounded by no plane (PlaneName ""), their bounds given in the current plane.
func TestWholeVolumeStepsHaveNoPlane(t *testing.T) {
	v := permutedVol(t)
	e := mustEditor(t, v, nil)
	e.SetPlane(scan.Sagittal)
	e.Stamp(0, Brush{}, centre(0, 0))
	e.Stamp(3, Brush{}, centre(4, 2))
	e.Stamp(3, Brush{}, centre(5, 2))
	ed, err := e.KeepLargest()
	if err != nil || ed == nil || ed.PlaneName() != "" || ed.Plane != scan.Sagittal || ed.Slice != -1 ||
		ed.Rect != image.Rect(0, 0, 1, 1) || ed.FirstSlice != 0 || ed.LastSlice != 0 {
		t.Fatalf("keep largest %+v %v", ed, err)
	}
	ed, err = e.RemoveIslands(3)
	if err != nil || ed == nil || ed.PlaneName() != "" || ed.Voxels != 2 {
		t.Fatalf("remove islands %+v %v", ed, err)
	}
	pred := scan.NewMask(v.Dims)
	pred.Set(7, 1)
	ed, err = e.AcceptPrediction(pred, -1)
	if err != nil || ed == nil || ed.PlaneName() != "" || ed.Slice != -1 {
		t.Fatalf("accept over the volume %+v %v", ed, err)
	}
}

func TestPlaneErrors(t *testing.T) {
	v := permutedVol(t)
	e := mustEditor(t, v, nil)
	if err := e.SetPlane(scan.Plane(3)); err == nil || e.Plane() != scan.Axial {
		t.Fatalf("plane 3: %v, current %v", err, e.Plane())
	}
	e.SetPlane(scan.Sagittal) // 6 x 5 pixels, 7 slices
	pre := e.Mask().Clone()
	for name, f := range map[string]func() error{
		"stamp slice 7":   func() error { _, err := e.Stamp(7, Brush{RadiusMM: 1}, centre(0, 0)); return err },
		"flood seed row":  func() error { _, err := e.FloodFill(0, 0, 5, FloodOptions{}); return err },
		"flood seed col":  func() error { _, err := e.FloodFill(0, 6, 0, FloodOptions{}); return err },
		"lasso slice":     func() error { _, err := e.LassoFill(7, []Point{{0, 0}, {1, 1}, {0, 1}}); return err },
		"interp range":    func() error { _, err := e.Interpolate([]int{0, 7}); return err },
		"accept slice 7":  func() error { _, err := e.AcceptPrediction(scan.NewMask(v.Dims), 7); return err },
		"stroke slice -1": func() error { return e.BeginStroke(-1, Brush{}) },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := e.Stamp(7, Brush{}, centre(0, 0)); !errors.Is(err, ErrSlice) {
		t.Errorf("slice error does not wrap ErrSlice: %v", err)
	}
	// Slice 6 exists in sagittal (7 slices) though not in axial (5).
	if ed, err := e.Stamp(6, Brush{}, centre(5, 4)); err != nil || ed == nil {
		t.Fatalf("last sagittal slice: %v", err)
	}
	e.Undo()
	if !pre.Equal(e.Mask()) {
		t.Error("a failed call changed the mask")
	}
}

// TestPlanesShareHistory: edits in three planes are one history; undo and redo go back through
// them in order, and the journal's runs replay to the same mask.
func TestPlanesShareHistory(t *testing.T) {
	v := flippedVol(t)
	e := mustEditor(t, v, nil)
	var masks []*scan.Mask
	var journal [][]scan.MaskRun
	for n, p := range []scan.Plane{scan.Axial, scan.Coronal, scan.Sagittal, scan.Coronal} {
		masks = append(masks, e.Mask().Clone())
		e.SetPlane(p)
		ed, err := e.Stamp(n%e.Slices(), Brush{RadiusMM: 1.5}, centre(2, 1))
		if err != nil || ed == nil || ed.Plane != p {
			t.Fatalf("%v: %+v %v", p, ed, err)
		}
		journal = append(journal, ed.Runs())
	}
	final := e.Mask().Clone()
	e.SetPlane(scan.Axial)
	for n := len(masks) - 1; n >= 0; n-- {
		if _, err := e.Undo(); err != nil {
			t.Fatal(err)
		}
		sameMask(t, "undo", e.Mask(), masks[n])
	}
	for range masks {
		e.Redo()
	}
	sameMask(t, "redo", e.Mask(), final)
	rec := scan.NewMask(v.Dims)
	for _, rs := range journal {
		if err := scan.ApplyRuns(rec, rs); err != nil {
			t.Fatal(err)
		}
	}
	sameMask(t, "journal", rec, final)
	e.SetPlane(scan.Coronal)
	if got := e.EditedSlices(); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("coronal edited %v", got)
	}
	e.ClearEdited()
	e.SetPlane(scan.Sagittal)
	if got := e.EditedSlices(); !slices.Equal(got, []int{2}) {
		t.Fatalf("sagittal edited %v after clearing coronal", got)
	}
}
