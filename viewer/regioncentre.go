package viewer

// The centre of a region of a slice, where an annotator (or the robot annotator) clicks on it.

import "math"

// RegionCentre is the pixel of region (pixel indices y*cols+x of a cols x rows slice, as
// LargestRegion gives them) farthest from the region's border: the largest Euclidean distance
// transform value in mm (sx x sy mm pixels; outside the slice counts as border), as RITM and
// DeepEdit click. Ties go to the tied pixel nearest their mean, as the training worker's simulated
// clicks break them. region must not be empty.
func RegionCentre(region []int32, cols, rows int, sx, sy float64) (i, j int) {
	in := make([]bool, cols*rows)
	for _, q := range region {
		in[q] = true
	}
	d := squaredEDT(in, cols, rows, sx, sy)
	top := -1.0
	var tied []int32
	for _, q := range region {
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
	return i, j
}

// squaredEDT is the squared Euclidean distance in mm from each pixel inside to the nearest pixel
// outside (beyond the slice's edge counts as outside), by Felzenszwalb and Huttenlocher's two
// passes of lower envelopes of parabolas: along rows, then along columns.
func squaredEDT(in []bool, cols, rows int, sx, sy float64) []float64 {
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
