package thinseries

import (
	"fmt"
	"math"
)

// A sample is where one slice of the new series lies among the source's slices: between source
// slices Below and Below+1, the fraction T of the way from one to the other (0: on Below, 1: on
// Below+1). Nearest is the source slice it takes its header and its mask from.
type sample struct {
	Below   int
	T       float64
	Nearest int
}

// plan places n slices evenly from the first source slice to the last (s holds each source
// slice's coordinate along the slice normal, increasing), so that the new series covers the same
// extent: the first and last new slices lie on the first and last source slices. A new slice
// halfway between two source slices takes the later one as its nearest, so that every run
// decides the same way.
func plan(s []float64, n int) ([]sample, error) {
	if len(s) < 2 {
		return nil, fmt.Errorf("%w: %d source slices with positions; resampling needs 2 or more", ErrSource, len(s))
	}
	if n < 2 {
		return nil, fmt.Errorf("%w: %d slices asked for; a series needs 2 or more", ErrSlices, n)
	}
	for j := 1; j < len(s); j++ {
		if !(s[j] > s[j-1]) {
			return nil, fmt.Errorf("%w: source slices %d and %d are not in increasing position along the normal (%.4g, %.4g mm)",
				ErrSource, j-1, j, s[j-1], s[j])
		}
	}
	first, last := s[0], s[len(s)-1]
	out := make([]sample, n)
	below := 0
	for k := range out {
		at := first + float64(k)*(last-first)/float64(n-1)
		if k == n-1 {
			at = last
		}
		for below < len(s)-2 && s[below+1] <= at {
			below++
		}
		t := (at - s[below]) / (s[below+1] - s[below])
		t = math.Min(1, math.Max(0, t))
		nearest := below
		// Coordinates are sums of rounded steps: a slice meant to lie halfway is within a few
		// ulps of it, on either side; it goes to the later slice either way.
		if t >= 0.5-1e-9 {
			nearest = below + 1
		}
		out[k] = sample{Below: below, T: t, Nearest: nearest}
	}
	return out, nil
}
