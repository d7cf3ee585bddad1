package viewer

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// band is a full-height slice pattern w wide with columns lo..hi set: its distances are purely
// horizontal, so interpolated results can be worked out by hand.
func band(w, h, lo, hi int) []string {
	row := []byte(strings.Repeat(".", w))
	for i := lo; i <= hi; i++ {
		row[i] = '#'
	}
	rows := make([]string, h)
	for j := range rows {
		rows[j] = string(row)
	}
	return rows
}

func TestInterpolate(t *testing.T) {
	square := []string{
		"........",
		"..###...",
		"..###...",
		"..###...",
		"........",
	}
	for _, tc := range []struct {
		name    string
		spacing [3]float64
		keys    []int
		set     map[int][]string // key slices (and pre-existing content)
		want    map[int][]string
	}{
		{"identical keys copy through", [3]float64{1, 1, 1}, []int{0, 4},
			map[int][]string{0: square, 4: square, 2: band(8, 5, 7, 7)},
			map[int][]string{1: square, 2: square, 3: square}},
		{"a band moving right moves linearly", [3]float64{0.8, 1.7, 3}, []int{0, 2},
			map[int][]string{0: band(12, 5, 2, 5), 2: band(12, 5, 6, 9)},
			map[int][]string{1: band(12, 5, 4, 7)}},
		{"a band growing grows linearly", [3]float64{0.8, 0.8, 1}, []int{4, 0},
			map[int][]string{0: band(10, 5, 4, 5), 4: band(10, 5, 2, 7)},
			map[int][]string{1: band(10, 5, 4, 5), 2: band(10, 5, 3, 6), 3: band(10, 5, 2, 7)}},
		{"an empty key ends the shape", [3]float64{1, 1, 1}, []int{0, 3},
			map[int][]string{0: square, 1: square, 2: band(8, 5, 0, 7)},
			map[int][]string{1: emptyRows(8, 5), 2: emptyRows(8, 5)}},
		{"a full key next to an empty one: empty between", [3]float64{1, 1, 1}, []int{0, 2},
			map[int][]string{0: band(8, 5, 0, 7), 1: square},
			map[int][]string{1: emptyRows(8, 5)}},
		{"full keys: full between", [3]float64{1, 1, 1}, []int{1, 3},
			map[int][]string{1: band(8, 5, 0, 7), 3: band(8, 5, 0, 7)},
			map[int][]string{2: band(8, 5, 0, 7)}},
		{"three keys, unsorted, repeated", [3]float64{1, 1, 1}, []int{4, 0, 2, 4},
			map[int][]string{0: band(12, 5, 2, 5), 2: band(12, 5, 6, 9), 4: band(12, 5, 6, 9)},
			map[int][]string{1: band(12, 5, 4, 7), 3: band(12, 5, 6, 9)}},
		{"other label values are left alone", [3]float64{1, 1, 1}, []int{0, 2},
			map[int][]string{0: square, 2: square, 1: {"2.......", "..2.....", "........", "........", "........"}},
			map[int][]string{1: {"2.......", "..2##...", "..###...", "..###...", "........"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, h := len(tc.set[tc.keys[0]][0]), len(tc.set[tc.keys[0]])
			v := editVol(w, h, 5, tc.spacing)
			e := mustEditor(t, v, nil)
			for k, rows := range tc.set {
				setPattern(t, e, k, rows...)
			}
			ed, err := e.Interpolate(tc.keys)
			if err != nil {
				t.Fatal(err)
			}
			for k := 0; k < 5; k++ {
				switch {
				case tc.want[k] != nil:
					checkSlice(t, e, k, tc.want[k]...)
				case tc.set[k] != nil:
					checkSlice(t, e, k, tc.set[k]...) // keys and slices outside the keys stay
				default:
					checkSlice(t, e, k, emptyRows(w, h)...)
				}
			}
			if ed == nil || ed.Tool != ToolInterpolate || ed.Slice != -1 {
				t.Fatalf("edit %+v", ed)
			}
			if again, err := e.Interpolate(tc.keys); again != nil || err != nil {
				t.Fatalf("interpolating again changed %+v (%v)", again, err)
			}
			e.Undo()
			for k, rows := range tc.set {
				checkSlice(t, e, k, rows...)
			}
		})
	}
}

func TestInterpolatePermuted(t *testing.T) {
	v := permutedVol(t)
	e := mustEditor(t, v, nil)
	key := []string{
		".......",
		".###...",
		".###...",
		".......",
		".......",
		".......",
	}
	setPattern(t, e, 0, key...)
	setPattern(t, e, 3, key...)
	if _, err := e.Interpolate([]int{0, 3}); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 2; k++ {
		checkSlice(t, e, k, key...)
		for ci := 1; ci <= 3; ci++ {
			for cj := 1; cj <= 2; cj++ {
				if e.Mask().At(canonToVol(v, ci, cj, k)) != 1 {
					t.Fatalf("canonical (%d,%d,%d) not set in the volume", ci, cj, k)
				}
			}
		}
	}
	if countNonzero(e.Mask()) != 4*6 {
		t.Fatalf("%d voxels set", countNonzero(e.Mask()))
	}
}

// TestSignedDistanceBruteForce checks the distance transform against the definition, with
// pixels of different width and height.
func TestSignedDistanceBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	const w, h = 13, 9
	for trial := 0; trial < 50; trial++ {
		sx, sy := 0.3+rng.Float64(), 0.3+rng.Float64()
		v := editVol(w, h, 1, [3]float64{sx, sy, 1})
		e := mustEditor(t, v, nil)
		density := rng.Float64()
		if trial == 0 {
			density = 2 // every pixel inside
		} else if trial == 1 {
			density = -1 // none
		}
		for o := range e.Mask().Len() {
			if rng.Float64() < density {
				e.Mask().Set(o, 1)
			}
		}
		got := make([]float64, w*h)
		newSignedDistance(w, h, sx, sy).compute(e, e.view, 0, got)
		n := countNonzero(e.Mask())
		for p := range got {
			in := e.Mask().At(p) == 1
			want := math.Inf(1)
			for q := range got {
				if (e.Mask().At(q) == 1) == in {
					continue
				}
				dx, dy := float64(p%w-q%w)*sx, float64(p/w-q/w)*sy
				want = math.Min(want, math.Sqrt(dx*dx+dy*dy))
			}
			switch {
			case n == 0:
				want = farMM
			case n == w*h:
				want = -math.Hypot(w*sx, h*sy)
			case in:
				want = -want
			}
			if math.Abs(got[p]-want) > 1e-9 {
				t.Fatalf("trial %d (spacing %.2f x %.2f, %d inside): pixel %d distance %v, want %v", trial, sx, sy, n, p, got[p], want)
			}
		}
	}
}
