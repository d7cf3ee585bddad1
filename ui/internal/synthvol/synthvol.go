// Package synthvol is the small synthetic CT volume, and a truth and a prediction on it, that the
// tests of package ui and of its slice view share: every voxel's HU is known (HU), so a test can
// check what a view shows or probes without test data on disk.
package synthvol

import "liverseg/scan"

// HU is the HU of voxel (i, j, k) of the synthetic volume: every voxel of a slice differs and so
// does every slice.
func HU(i, j, k int) int16 { return int16(i + 40*j - 300 + 7*k) }

// Volume is a small volume in memory: 40 columns of 0.8 mm, 30 rows of 1.6 mm (so each display
// pixel is twice as tall as wide), 12 slices, axial and LPS-aligned.
func Volume() *scan.Volume {
	v := &scan.Volume{
		Dims:      [3]int{40, 30, 12},
		Spacing:   [3]float64{0.8, 1.6, 2.5},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		Series:    scan.Series{PatientName: "SYNTH^ONE", SeriesDescription: "synthetic"},
	}
	v.Voxels = make([]int16, v.Len())
	for k := 0; k < v.Dims[2]; k++ {
		for j := 0; j < v.Dims[1]; j++ {
			for i := 0; i < v.Dims[0]; i++ {
				v.Voxels[v.Index(i, j, k)] = HU(i, j, k)
			}
		}
	}
	return v
}

// Masks are a truth and a prediction on the synthetic volume: the truth is the block of columns
// 10..29, rows 8..21 on slices 3..8; the prediction is the same block moved 4 columns right on
// slices 3..5 (a disagreement of 4x14x2 voxels a slice), equal on 6..8, and a stray 2x2 blob on
// slice 10 (false positives).
func Masks(v *scan.Volume) (truth, pred *scan.Mask) {
	truth, pred = scan.NewMask(v.Dims), scan.NewMask(v.Dims)
	for k := 3; k <= 8; k++ {
		shift := 0
		if k <= 5 {
			shift = 4
		}
		for j := 8; j <= 21; j++ {
			for i := 10; i <= 29; i++ {
				truth.SetIJK(i, j, k, scan.Liver)
				pred.SetIJK(i+shift, j, k, scan.Liver)
			}
		}
	}
	for j := 2; j < 4; j++ {
		for i := 2; i < 4; i++ {
			pred.SetIJK(i, j, 10, scan.Liver)
		}
	}
	return truth, pred
}
