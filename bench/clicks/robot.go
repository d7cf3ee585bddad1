package main

// The robot annotator's eye: where it clicks next.

import (
	"liverseg/scan"
	"liverseg/viewer"
)

// target is where the robot clicks: canonical axial slice k, pixel (i, j), positive when the
// region there is missed liver (a false negative), negative when it is a leak.
type target struct {
	k, i, j  int
	positive bool
}

// worstSlice is the canonical axial slice where label and truth disagree on most voxels, and
// that count (0: they agree everywhere).
func worstSlice(label, truth *scan.Mask, can scan.Canonical) (int, int) {
	cols, rows := can.Dims[0], can.Dims[1]
	best, bestN := -1, 0
	for k := 0; k < can.Dims[2]; k++ {
		n := 0
		if can.Axis[2] == 2 {
			// The canonical slice is a volume slice: count in the rectangles the masks keep.
			c := scan.SliceConfusion(truth, label, can.Offset(0, 0, k)/label.SliceLen())
			n = int(c.FP + c.FN)
		} else {
			for j := 0; j < rows; j++ {
				for i := 0; i < cols; i++ {
					o := can.Offset(i, j, k)
					if (label.At(o) != 0) != (truth.At(o) != 0) {
						n++
					}
				}
			}
		}
		if n > bestN {
			best, bestN = k, n
		}
	}
	return best, bestN
}

// sliceTarget finds, on a slice (label and truth as canonical slices, cols x rows, nonzero
// meaning liver), the largest 8-connected region where they disagree, and in it the pixel
// farthest from the region's border (the largest Euclidean distance transform value in mm,
// sx x sy mm pixels; outside the slice counts as border): the centre of the largest error, as
// RITM and DeepEdit click (ties to the tied pixel nearest their mean). ok is false when they agree.
func sliceTarget(label, truth []uint8, cols, rows int, sx, sy float64) (i, j int, positive, ok bool) {
	n := cols * rows
	in := make([]bool, n)
	for p := 0; p < n; p++ {
		in[p] = (label[p] != 0) != (truth[p] != 0)
	}
	best := viewer.LargestRegion(in, cols, rows)
	if len(best) == 0 {
		return 0, 0, false, false
	}
	i, j = viewer.RegionCentre(best, cols, rows, sx, sy)
	return i, j, truth[j*cols+i] != 0, true
}

// maskDice is the Dice of two masks of one volume, counted slice by slice (scan.SliceConfusion);
// 1 when both are empty.
func maskDice(a, b *scan.Mask) float64 {
	var c scan.Confusion
	for k := 0; k < a.Dims[2]; k++ {
		s := scan.SliceConfusion(a, b, k)
		c.TP, c.FP, c.FN = c.TP+s.TP, c.FP+s.FP, c.FN+s.FN
	}
	return c.Dice()
}

// dice is 2|A∩B| / (|A| + |B|) of two slices (nonzero meaning liver); 1 when both are
// empty.
func dice(a, b []uint8) float64 {
	inter, sum := 0, 0
	for i, x := range a {
		p, q := x != 0, b[i] != 0
		if p && q {
			inter++
		}
		if p {
			sum++
		}
		if q {
			sum++
		}
	}
	if sum == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(sum)
}
