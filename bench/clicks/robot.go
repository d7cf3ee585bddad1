package main

// The robot annotator's eye: where it clicks next.

import (
	"math"

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
	clear(in)
	for _, q := range best {
		in[q] = true
	}
	d := edt(in, cols, rows, sx, sy)
	// The deepest pixels; among tied ones the one nearest their mean (as the training worker's
	// simulated clicks break ties).
	top := -1.0
	var tied []int32
	for _, q := range best {
		switch {
		case d[q] > top:
			top, tied = d[q], append(tied[:0], q)
		case d[q] == top:
			tied = append(tied, q)
		}
	}
	var mx, my float64
	for _, q := range tied {
		mx += float64(int(q) % cols)
		my += float64(int(q) / cols)
	}
	mx, my = mx/float64(len(tied)), my/float64(len(tied))
	near := math.Inf(1)
	for _, q := range tied {
		x, y := float64(int(q)%cols), float64(int(q)/cols)
		if dd := (x-mx)*(x-mx) + (y-my)*(y-my); dd < near {
			near, i, j = dd, int(q)%cols, int(q)/cols
		}
	}
	return i, j, truth[j*cols+i] != 0, true
}

// edt is the squared Euclidean distance in mm from each pixel inside to the nearest pixel
// outside (beyond the slice's edge counts as outside), by Felzenszwalb and Huttenlocher's two
// passes of lower envelopes of parabolas: along rows, then along columns.
func edt(in []bool, cols, rows int, sx, sy float64) []float64 {
	inf := math.Inf(1)
	// Padded by one pixel of outside all round.
	w, h := cols+2, rows+2
	f := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x > 0 && y > 0 && x <= cols && y <= rows && in[(y-1)*cols+x-1] {
				f[y*w+x] = inf
			}
		}
	}
	line := func(get func(int) float64, set func(int, float64), n int, s float64) {
		v := make([]int, n)
		z := make([]float64, n+1)
		vals := make([]float64, n)
		for q := 0; q < n; q++ {
			vals[q] = get(q)
		}
		k := -1
		for q := 0; q < n; q++ {
			if math.IsInf(vals[q], 1) {
				continue
			}
			for k >= 0 {
				p := v[k]
				sq := ((vals[q] + s*s*float64(q*q)) - (vals[p] + s*s*float64(p*p))) / (2 * s * s * float64(q-p))
				if sq <= z[k] {
					k--
					continue
				}
				k++
				v[k], z[k], z[k+1] = q, sq, inf
				break
			}
			if k < 0 {
				k = 0
				v[0], z[0], z[1] = q, -inf, inf
			}
		}
		if k < 0 {
			return
		}
		j := 0
		for q := 0; q < n; q++ {
			for z[j+1] < float64(q) {
				j++
			}
			dq := s * float64(q-v[j])
			set(q, dq*dq+vals[v[j]])
		}
	}
	for y := 0; y < h; y++ {
		line(func(x int) float64 { return f[y*w+x] }, func(x int, d float64) { f[y*w+x] = d }, w, sx)
	}
	for x := 0; x < w; x++ {
		line(func(y int) float64 { return f[y*w+x] }, func(y int, d float64) { f[y*w+x] = d }, h, sy)
	}
	out := make([]float64, cols*rows)
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			out[y*cols+x] = f[(y+1)*w+x+1]
		}
	}
	return out
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
