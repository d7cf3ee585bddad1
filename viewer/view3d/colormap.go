package view3d

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
)

// DistanceScale colours signed distances (mm) from a surface to the truth's: red outside the
// truth (the prediction too large), blue inside it (too small), near-white at 0, saturating at
// ±Limit mm. The colours are ColorBrewer's RdBu diverging scale without its darkest ends,
// which shading would turn black.
type DistanceScale struct {
	Limit float64 // mm at which the colours saturate; <= 0 means DefaultDistanceLimit
}

// DefaultDistanceLimit is the saturation of a zero DistanceScale: ±5 mm, about three slices
// of a CT, beyond which a disagreement is plainly a leak or a miss.
const DefaultDistanceLimit = 5.0

// NoDistance is the colour of a vertex whose distance is not known (NaN).
var NoDistance = color.RGBA{R: 150, G: 150, B: 150, A: 255}

// rdbu runs from inside (blue, -Limit) through 0 (near-white) to outside (red, +Limit).
var rdbu = [...][3]float64{
	{0x21, 0x66, 0xac}, {0x43, 0x93, 0xc3}, {0x92, 0xc5, 0xde}, {0xd1, 0xe5, 0xf0},
	{0xf7, 0xf7, 0xf7},
	{0xfd, 0xdb, 0xc7}, {0xf4, 0xa5, 0x82}, {0xd6, 0x60, 0x4d}, {0xb2, 0x18, 0x2b},
}

func (s DistanceScale) limit() float64 {
	if s.Limit > 0 && !math.IsInf(s.Limit, 0) {
		return s.Limit
	}
	return DefaultDistanceLimit
}

// Color is the colour of signed distance d mm (> 0 outside the truth).
func (s DistanceScale) Color(d float64) color.RGBA {
	if math.IsNaN(d) {
		return NoDistance
	}
	f := (math.Max(-1, math.Min(1, d/s.limit())) + 1) / 2 * float64(len(rdbu)-1)
	i := min(int(f), len(rdbu)-2)
	t := f - float64(i)
	a, b := rdbu[i], rdbu[i+1]
	return color.RGBA{
		R: uint8(math.Round(a[0] + t*(b[0]-a[0]))),
		G: uint8(math.Round(a[1] + t*(b[1]-a[1]))),
		B: uint8(math.Round(a[2] + t*(b[2]-a[2]))),
		A: 255,
	}
}

// Colors fills dst (made or grown to len(d)) with the colour of each distance, one a vertex
// for Surface.Colors, and returns it.
func (s DistanceScale) Colors(dst []color.RGBA, d []float32) []color.RGBA {
	if cap(dst) < len(d) {
		dst = make([]color.RGBA, len(d))
	}
	dst = dst[:len(d)]
	for i, x := range d {
		dst[i] = s.Color(float64(x))
	}
	return dst
}

// ErrTooSmall is returned by Legend for an image too small to hold the bar and its labels.
var ErrTooSmall = errors.New("view3d: image too small for the legend")

// Legend draws the scale's colour bar with its labels (mm) over all of dst on background:
// upright (outside, red, at the top) when dst is taller than wide, else lying (inside, blue,
// on the left, the unit above the bar). Ticks mark -Limit, -Limit/2, 0, +Limit/2 and +Limit;
// the ends say which side of the truth they stand for. An upright legend needs 80 × 120
// pixels, a lying one 200 × 44.
func (s DistanceScale) Legend(dst *image.RGBA, background color.RGBA) error {
	r := dst.Rect
	upright := r.Dy() > r.Dx()
	if (upright && (r.Dx() < 80 || r.Dy() < 120)) || (!upright && (r.Dx() < 200 || r.Dy() < 44)) {
		return fmt.Errorf("%w: %dx%d", ErrTooSmall, r.Dx(), r.Dy())
	}
	fillBackground(dst, background)
	lim := s.limit()
	text := color.RGBA{R: 225, G: 225, B: 225, A: 255}
	const bar = 14 // pixels across the bar
	ticks := [...]float64{-1, -0.5, 0, 0.5, 1}
	if upright {
		// the bar down the left, between the end words, tick labels to its right
		x0, x1 := r.Min.X+6, r.Min.X+6+bar
		y0, y1 := r.Min.Y+glyphH+8, r.Max.Y-glyphH-8 // the bar's top and bottom rows (y1 excluded)
		drawText(dst, "outside", x0, r.Min.Y+2, text)
		drawText(dst, "inside", x0, r.Max.Y-glyphH-2, text)
		for y := y0; y < y1; y++ {
			d := lim * (1 - 2*(float64(y-y0)+0.5)/float64(y1-y0))
			c := s.Color(d)
			for x := x0; x < x1; x++ {
				dst.SetRGBA(x, y, c)
			}
		}
		for _, f := range ticks {
			y := y0 + int(math.Round((1-f)/2*float64(y1-y0-1)))
			for x := x1; x < x1+4; x++ {
				dst.SetRGBA(x, y, text)
			}
			drawText(dst, mmLabel(f*lim), x1+6, y-glyphH/2, text)
		}
		return nil
	}
	// the bar across the middle, end words above its ends and the unit between them, tick
	// numbers below
	x0, x1 := r.Min.X+glyphW*len("-2.5")/2+4, r.Max.X-glyphW*len("+2.5")/2-4
	y0 := r.Min.Y + glyphH + 4
	drawText(dst, "inside", x0, r.Min.Y+2, text)
	drawText(dst, "mm", (x0+x1)/2-glyphW, r.Min.Y+2, text)
	drawText(dst, "outside", x1-glyphW*len("outside"), r.Min.Y+2, text)
	for x := x0; x < x1; x++ {
		c := s.Color(lim * (2*(float64(x-x0)+0.5)/float64(x1-x0) - 1))
		for y := y0; y < y0+bar; y++ {
			dst.SetRGBA(x, y, c)
		}
	}
	for _, f := range ticks {
		x := x0 + int(math.Round((f+1)/2*float64(x1-x0-1)))
		for y := y0 + bar; y < y0+bar+4; y++ {
			dst.SetRGBA(x, y, text)
		}
		label := number(f * lim)
		drawText(dst, label, x-glyphW*len(label)/2, y0+bar+5, text)
	}
	return nil
}

// mmLabel is an upright legend's tick label: "+5 mm", "0", "-2.5 mm".
func mmLabel(d float64) string {
	if d == 0 {
		return "0"
	}
	return number(d) + " mm"
}

// number is a lying legend's tick label, signed: "+5", "0", "-2.5".
func number(d float64) string {
	s := strconv.FormatFloat(math.Abs(d), 'f', -1, 64)
	switch {
	case d > 0:
		return "+" + s
	case d < 0:
		return "-" + s
	}
	return "0"
}
