package inference

// A click changes the region it is on: the pixels under it take its side, and of what the model
// redraws only the connected change under each click is kept.

import (
	"math"

	"liverseg/viewer"
)

// stampClicks sets in mask (cols x rows, canonical slice) every pixel whose centre lies within
// radiusMM of a positive click to liver and of a negative click to background (negative clicks
// last), sx, sy mm per pixel: a click says what the pixels under it are, and the model, which
// is not always sure, cannot overrule it (a click then does at least what a brush stamp of the
// click's disk does; where the model is right, the rest of the region comes with it).
func stampClicks(mask []uint8, clicks Clicks, cols, rows int, spacing [2]float64, radiusMM float64) {
	sx, sy := spacing[0], spacing[1]
	stamp := func(p [2]float64, v uint8) {
		if math.IsNaN(p[0]+p[1]) || math.IsInf(p[0]+p[1], 0) {
			return
		}
		ri, rj := radiusMM/sx, radiusMM/sy
		i0, i1 := max(0, int(math.Floor(p[0]-ri))), min(cols-1, int(math.Ceil(p[0]+ri)))
		j0, j1 := max(0, int(math.Floor(p[1]-rj))), min(rows-1, int(math.Ceil(p[1]+rj)))
		for j := j0; j <= j1; j++ {
			for i := i0; i <= i1; i++ {
				dx, dy := (float64(i)+0.5-p[0])*sx, (float64(j)+0.5-p[1])*sy
				if dx*dx+dy*dy <= radiusMM*radiusMM {
					mask[j*cols+i] = v
				}
			}
		}
	}
	for _, p := range clicks.Positive {
		stamp(p, 1)
	}
	for _, p := range clicks.Negative {
		stamp(p, 0)
	}
}

// keepClickedRegions returns label with, for each positive click, the 8-connected region of
// pixels the redrawn mask adds (liver in mask, not in label) that holds the click's pixel, and
// for each negative click the region of pixels it removes that holds the click's pixel; every
// other difference between mask and label is dropped. Slices are cols x rows, nonzero meaning
// liver; clicks are in slice image coordinates (pixel (i, j) spans [i, i+1) x [j, j+1)). Why:
// the model redraws the whole slice, and far from a click its output can differ from the label
// by a pixel of boundary here and there, or, on a slice the model has not seen the like of, by
// a lot (a change carried to the next slice where the liver ends); an annotator's click means
// "this region", and the label stays what it was everywhere else.
func keepClickedRegions(label, mask []uint8, clicks Clicks, cols, rows int) []uint8 {
	out := make([]uint8, len(label))
	added := make([]bool, len(label))
	removed := make([]bool, len(label))
	for i, v := range label {
		out[i] = min(v, 1)
		added[i] = mask[i] != 0 && v == 0
		removed[i] = mask[i] == 0 && v != 0
	}
	// one seen for both: the added and removed pixels are apart, and a region two clicks are on
	// is walked once
	seen := make([]bool, len(label))
	var region, stack []int32
	for _, side := range []struct {
		clicks  [][2]float64
		changed []bool
		value   uint8
	}{{clicks.Positive, added, 1}, {clicks.Negative, removed, 0}} {
		for _, p := range side.clicks {
			if !(p[0] >= 0 && p[1] >= 0 && p[0] < float64(cols) && p[1] < float64(rows)) {
				continue // outside the slice, or not a number
			}
			seed := int32(int(p[1])*cols + int(p[0]))
			region, stack = viewer.Region8(side.changed, seen, cols, rows, seed, region[:0], stack)
			for _, q := range region {
				out[q] = side.value
			}
		}
	}
	return out
}
