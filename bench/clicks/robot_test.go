package main

import (
	"math"
	"math/rand"
	"testing"
)

// TestEDT: the two-pass transform equals the brute-force distance to the nearest outside pixel
// (or the slice's edge: the pixel just beyond it) on anisotropic pixels.
func TestEDT(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	cols, rows, sx, sy := 23, 17, 0.7, 1.9
	in := make([]bool, cols*rows)
	for i := range in {
		in[i] = r.Intn(5) > 0
	}
	got := edt(in, cols, rows, sx, sy)
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

// TestSliceTarget: the robot clicks the centre of the largest error region, positive on missed
// liver, negative on a leak; nothing where the slices agree.
func TestSliceTarget(t *testing.T) {
	cols, rows := 20, 12
	label, truth := make([]uint8, cols*rows), make([]uint8, cols*rows)
	// Missed liver: columns 2..8, rows 3..7 (centre (5, 5)); a leak of 2 pixels elsewhere.
	for y := 3; y <= 7; y++ {
		for x := 2; x <= 8; x++ {
			truth[y*cols+x] = 1
		}
	}
	label[10*cols+15], label[10*cols+16] = 1, 1
	i, j, pos, ok := sliceTarget(label, truth, cols, rows, 1, 1)
	if !ok || i != 5 || j != 5 || !pos {
		t.Errorf("target (%d, %d) positive %v ok %v, want (5, 5) positive", i, j, pos, ok)
	}
	copy(label, truth)
	label[10*cols+15], label[10*cols+16] = 1, 1
	i, j, pos, ok = sliceTarget(label, truth, cols, rows, 1, 1)
	if !ok || j != 10 || (i != 15 && i != 16) || pos {
		t.Errorf("leak target (%d, %d) positive %v, want row 10 negative", i, j, pos)
	}
	label[10*cols+15], label[10*cols+16] = 0, 0
	if _, _, _, ok := sliceTarget(label, truth, cols, rows, 1, 1); ok {
		t.Error("agreeing slices give a target")
	}
	if d := dice(label, truth); d != 1 {
		t.Errorf("dice of equal slices %v", d)
	}
}
