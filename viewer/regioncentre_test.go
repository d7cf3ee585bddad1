package viewer

import (
	"math"
	"math/rand"
	"testing"
)

// TestSquaredEDT: the two-pass transform equals the brute-force distance to the nearest outside pixel
// (or the slice's edge: the pixel just beyond it) on anisotropic pixels.
func TestSquaredEDT(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	cols, rows, sx, sy := 23, 17, 0.7, 1.9
	in := make([]bool, cols*rows)
	for i := range in {
		in[i] = r.Intn(5) > 0
	}
	got := squaredEDT(in, cols, rows, sx, sy)
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			want := 0.0
			if in[y*cols+x] {
				want = math.Inf(1)
				for v := -1; v <= rows; v++ {
					for u := -1; u <= cols; u++ {
						if u >= 0 && v >= 0 && u < cols && v < rows && in[v*cols+u] {
							continue
						}
						dx, dy := float64(u-x)*sx, float64(v-y)*sy
						want = math.Min(want, dx*dx+dy*dy)
					}
				}
			}
			if math.Abs(got[y*cols+x]-want) > 1e-9 {
				t.Fatalf("(%d, %d): %v, want %v", x, y, got[y*cols+x], want)
			}
		}
	}
}
