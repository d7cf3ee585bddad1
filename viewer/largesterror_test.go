package viewer

import (
	"testing"

	"liverseg/scan"
)

// TestLargestError: of two error regions on a slice the larger wins, and the pixel returned
// lies in it even when the region is a ring whose centre is outside it; a flipped storage
// order gives the same canonical pixel.
func TestLargestError(t *testing.T) {
	for _, flip := range []bool{false, true} {
		dims := [3]int{20, 16, 3}
		dir := [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
		if flip {
			dir[0][0], dir[2][2] = -1, -1
		}
		c := scan.NewCanonical(dims, [3]float64{1, 1, 1}, dir)
		truth, pred := scan.NewMask(dims), scan.NewMask(dims)
		set := func(m *scan.Mask, i, j, k int) { m.Set(c.Offset(i, j, k), 1) }
		// Slice 1: a 2-pixel false positive at (1,1) and a ring (false negative) around (12, 8).
		set(pred, 1, 1, 1)
		set(pred, 2, 1, 1)
		for j := 5; j <= 11; j++ {
			for i := 9; i <= 15; i++ {
				if j == 5 || j == 11 || i == 9 || i == 15 {
					set(truth, i, j, 1)
				}
			}
		}
		i, j, ok := LargestError(truth, pred, c, 1)
		if !ok || truth.At(c.Offset(i, j, 1)) == 0 {
			t.Fatalf("flip %v: LargestError = %d,%d,%v, not on the ring", flip, i, j, ok)
		}
		if _, _, ok := LargestError(truth, pred, c, 0); ok {
			t.Fatalf("flip %v: an error on a slice where the masks agree", flip)
		}
		if _, _, ok := LargestError(truth, pred, c, 3); ok {
			t.Fatal("slice out of range gave a point")
		}
		if _, _, ok := LargestError(nil, pred, c, 1); ok {
			t.Fatal("nil truth gave a point")
		}
	}
}
