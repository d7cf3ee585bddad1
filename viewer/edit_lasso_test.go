package viewer

import (
	"math/rand/v2"
	"testing"
)

func TestLasso(t *testing.T) {
	for _, tc := range []struct {
		name  string
		poly  []Point
		voxel int
		want  []string
	}{
		{"integer rectangle covers whole pixels", []Point{{2, 1}, {6, 1}, {6, 4}, {2, 4}}, 12, []string{
			"........",
			"..####..",
			"..####..",
			"..####..",
			"........",
			"........",
		}},
		{"centres on the left and top edges are in, right and bottom out", []Point{{1.5, 1.5}, {4.5, 1.5}, {4.5, 3.5}, {1.5, 3.5}}, 6, []string{
			"........",
			".###....",
			".###....",
			"........",
			"........",
			"........",
		}},
		{"triangle", []Point{{0, 0}, {8, 0}, {0, 6}}, 0, []string{
			"#######.",
			"######..",
			"#####...",
			"###.....",
			"##......",
			"#.......",
		}},
		{"concave U", []Point{{1, 1}, {3, 1}, {3, 4}, {5, 4}, {5, 1}, {7, 1}, {7, 6}, {1, 6}}, 0, []string{
			"........",
			".##..##.",
			".##..##.",
			".##..##.",
			".######.",
			".######.",
		}},
		{"even-odd: a square wound twice is outside", []Point{{1, 1}, {5, 1}, {5, 5}, {1, 5}, {1, 1}, {5, 1}, {5, 5}, {1, 5}}, 0, emptyRows(8, 6)},
		{"even-odd: a square with a hole drawn as one path", []Point{{0, 0}, {7, 0}, {7, 6}, {0, 6}, {0, 0}, {2, 2}, {2, 4}, {5, 4}, {5, 2}, {2, 2}}, 0, []string{
			"#######.",
			"#######.",
			"##...##.",
			"##...##.",
			"#######.",
			"#######.",
		}},
		{"clipped by the slice", []Point{{-10, -10}, {3, -10}, {3, 2}, {-10, 2}}, 6, []string{
			"###.....",
			"###.....",
			"........",
			"........",
			"........",
			"........",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := editVol(8, 6, 2, [3]float64{0.7, 0.9, 2})
			e := mustEditor(t, v, nil)
			ed, err := e.LassoFill(1, tc.poly)
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, e, 1, tc.want...)
			checkSlice(t, e, 0, emptyRows(8, 6)...)
			n := countNonzero(e.Mask())
			if n == 0 {
				if ed != nil {
					t.Fatal("an empty lasso made a step")
				}
				return
			}
			if tc.voxel != 0 && n != tc.voxel {
				t.Fatalf("%d voxels", n)
			}
			if ed == nil || ed.Tool != ToolLassoFill || ed.Slice != 1 || ed.Voxels != n {
				t.Fatalf("edit %+v", ed)
			}
			// The cut with the same polygon takes exactly those pixels out.
			cut, err := e.LassoCut(1, tc.poly)
			if err != nil || cut == nil || cut.Tool != ToolLassoCut || cut.Voxels != n || countNonzero(e.Mask()) != 0 {
				t.Fatalf("cut %+v %v", cut, err)
			}
		})
	}
}

func TestLassoPermuted(t *testing.T) {
	v := permutedVol(t)
	e := mustEditor(t, v, nil)
	if _, err := e.LassoFill(3, []Point{{1, 0}, {3, 0}, {3, 2}, {1, 2}}); err != nil {
		t.Fatal(err)
	}
	checkSlice(t, e, 3,
		".##....",
		".##....",
		".......",
		".......",
		".......",
		".......",
	)
	for _, c := range [][2]int{{1, 0}, {2, 0}, {1, 1}, {2, 1}} {
		if e.Mask().At(canonToVol(v, c[0], c[1], 3)) != 1 {
			t.Fatalf("canonical pixel %v not at its volume voxel", c)
		}
	}
	if countNonzero(e.Mask()) != 4 {
		t.Fatal("voxels outside the lasso")
	}
}

// TestLassoMatchesPointInPolygon compares the scanline fill with a plain even-odd ray test of
// each pixel centre, on random polygons (self-crossing ones included).
func TestLassoMatchesPointInPolygon(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	const w, h = 23, 17
	v := editVol(w, h, 1, [3]float64{1, 1, 1})
	for trial := 0; trial < 200; trial++ {
		poly := make([]Point, 3+rng.IntN(10))
		for n := range poly {
			poly[n] = Point{rng.Float64()*(w+6) - 3, rng.Float64()*(h+6) - 3}
		}
		e := mustEditor(t, v, nil)
		if _, err := e.LassoFill(0, poly); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < h; j++ {
			for i := 0; i < w; i++ {
				want := evenOdd(poly, float64(i)+0.5, float64(j)+0.5)
				if got := e.Mask().At(v.Index(i, j, 0)) != 0; got != want {
					t.Fatalf("trial %d polygon %v: pixel (%d,%d) filled %v, want %v", trial, poly, i, j, got, want)
				}
			}
		}
	}
}

// evenOdd is the textbook crossing test (W. R. Franklin's pnpoly).
func evenOdd(poly []Point, x, y float64) bool {
	in := false
	for n, m := 0, len(poly)-1; n < len(poly); m, n = n, n+1 {
		a, b := poly[n], poly[m]
		if (a.Y > y) != (b.Y > y) && x < (b.X-a.X)*(y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}
