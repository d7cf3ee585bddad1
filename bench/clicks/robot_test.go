package main

import (
	"math"
	"math/rand"
	"testing"

	"liverseg/scan"
)

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

// TestMaskDiceWorstSlice: the robot's Dice and worst slice, counted on the compact masks, are
// what counting every voxel of the dense labels gives, for an axial and a sagittal storage.
func TestMaskDiceWorstSlice(t *testing.T) {
	r := rand.New(rand.NewSource(24))
	dims := [3]int{14, 11, 9}
	random := func() *scan.Mask {
		vox := make([]uint8, dims[0]*dims[1]*dims[2])
		for i := range vox {
			if r.Intn(4) == 0 {
				vox[i] = scan.Liver
			}
		}
		m, err := scan.MaskFromVoxels(dims, vox)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	label, truth := random(), random()
	if got, want := maskDice(label, truth), dice(label.Dense(), truth.Dense()); math.Abs(got-want) > 1e-12 || want == 1 {
		t.Fatalf("Dice %v, dense %v", got, want)
	}
	if d := maskDice(scan.NewMask(dims), scan.NewMask(dims)); d != 1 {
		t.Fatalf("two empty masks: Dice %v", d)
	}
	for name, dir := range map[string][3][3]float64{
		"axial":    {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		"sagittal": {{0, 1, 0}, {0, 0, -1}, {1, 0, 0}},
	} {
		can := scan.NewCanonical(dims, [3]float64{1, 1, 1}, dir)
		l, tr := label.Dense(), truth.Dense()
		best, bestN := -1, 0
		for k := 0; k < can.Dims[2]; k++ {
			n := 0
			for j := 0; j < can.Dims[1]; j++ {
				for i := 0; i < can.Dims[0]; i++ {
					if o := can.Offset(i, j, k); l[o] != tr[o] {
						n++
					}
				}
			}
			if n > bestN {
				best, bestN = k, n
			}
		}
		if k, n := worstSlice(label, truth, can); k != best || n != bestN || n == 0 {
			t.Fatalf("%s: worst slice %d (%d voxels), dense count %d (%d)", name, k, n, best, bestN)
		}
	}
}
