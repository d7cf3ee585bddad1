package inference

// Click maps: how the annotator's clicks become the positive and negative guidance channels of an
// interactive model (DESIGN.md, the model contract). The worker draws its simulated clicks the
// same way when it trains, so that the model is served what it learnt from.

import (
	"errors"
	"fmt"
	"math"
)

// Clicks are the annotator's clicks on one canonical axial slice, in image coordinates of that
// slice (the viewer's: pixel (i, j) covers [i, i+1) x [j, j+1), its centre is (i+0.5, j+0.5)).
// Positive clicks say "liver here", negative ones "not liver here".
type Clicks struct {
	Positive, Negative [][2]float64
}

// Add adds a positive or a negative click at p.
func (c *Clicks) Add(p [2]float64, positive bool) {
	if positive {
		c.Positive = append(c.Positive, p)
	} else {
		c.Negative = append(c.Negative, p)
	}
}

// Len is the number of clicks.
func (c Clicks) Len() int { return len(c.Positive) + len(c.Negative) }

// MaxClicks bounds the clicks of one slice: each costs a box of its map (about (10.5 radii)² input
// pixels), so that time and memory stay bounded whatever arrives.
const MaxClicks = 10000

// ErrTooManyClicks: a slice has more than MaxClicks clicks.
var ErrTooManyClicks = errors.New("too many clicks on one slice")

// gaussianCutoff is how many radii out a Gaussian click is drawn: beyond it exp(-d²/(2r²)) is below
// 1e-6 (5.26 radii), which no float32 network tells from 0, and drawing stops there so that a
// click costs a box of the map, not the map.
const gaussianCutoff = 5.26

// ClickGeometry is how canonical slice coordinates map to the model's input pixels and how far
// apart those are in mm: the input pixel spacing is the slice's pixel spacing times its size over
// the input size, per axis (a 512-column slice of 0.7 mm pixels seen at 192 columns has input
// pixels of 1.87 mm).
type ClickGeometry struct {
	Cols, Rows int     // the canonical slice
	W, H       int     // the model's input
	SX, SY     float64 // mm between input pixel centres along columns and rows
}

// NewClickGeometry is the geometry of a canonical slice of cols x rows pixels of spacing sx, sy
// mm seen at the contract's input size. A spacing that is unknown (not positive and finite) is
// taken as 1 mm, as the viewer's tools take it.
func NewClickGeometry(c Contract, cols, rows int, sx, sy float64) ClickGeometry {
	if !(sx > 0) || math.IsInf(sx, 0) {
		sx = 1
	}
	if !(sy > 0) || math.IsInf(sy, 0) {
		sy = 1
	}
	return ClickGeometry{Cols: cols, Rows: rows, W: c.InputW, H: c.InputH,
		SX: sx * float64(cols) / float64(c.InputW), SY: sy * float64(rows) / float64(c.InputH)}
}

// CanonicalSpacing is the mm between the canonical slice's pixel centres (columns, rows), as
// the geometry takes them (1 where the volume's is unknown).
func (g ClickGeometry) CanonicalSpacing() [2]float64 {
	return [2]float64{g.SX * float64(g.W) / float64(g.Cols), g.SY * float64(g.H) / float64(g.Rows)}
}

// ToInput turns a position in canonical slice image coordinates into input image coordinates
// (the same convention: input pixel (x, y) has its centre at (x+0.5, y+0.5)). Both resize
// directions use half-pixel centres (Resize), so the slice's edges map to the input's edges.
func (g ClickGeometry) ToInput(p [2]float64) [2]float64 {
	return [2]float64{p[0] * float64(g.W) / float64(g.Cols), p[1] * float64(g.H) / float64(g.Rows)}
}

// DrawClicks draws clicks (input image coordinates) into dst, a W x H map at the input size,
// which it first clears: pixel (x, y) at distance d mm from its nearest click (between the
// click and the pixel's centre (x+0.5, y+0.5), SX and SY mm per pixel) gets, for ClickDisk, 1
// when d <= radiusMM, else 0; for ClickGaussian exp(-d²/(2 radiusMM²)) (0 beyond 5.26 radii,
// where it is below 1e-6). Several clicks take the maximum, which is the value of the nearest.
// dist2 is scratch of W*H values.
func (g ClickGeometry) DrawClicks(dst []float32, dist2 []float64, clicks [][2]float64, encoding string, radiusMM float64) error {
	n := g.W * g.H
	if len(dst) < n || len(dist2) < n {
		return fmt.Errorf("click map of %d values for a %dx%d input", len(dst), g.W, g.H)
	}
	if !(radiusMM > 0) {
		return fmt.Errorf("click radius %v mm", radiusMM)
	}
	clear(dst[:n])
	if len(clicks) == 0 {
		return nil
	}
	reach := radiusMM
	switch encoding {
	case ClickDisk:
	case ClickGaussian:
		reach = gaussianCutoff * radiusMM
	default:
		return fmt.Errorf("%w: click encoding %q is not %s or %s", ErrContract, encoding, ClickDisk, ClickGaussian)
	}
	// The squared distance in mm² to the nearest click, +Inf where none is within reach; the
	// boxes of the clicks bound the work (a click far outside the slice draws nothing).
	inf := math.Inf(1)
	d2 := dist2[:n]
	for i := range d2 {
		d2[i] = inf
	}
	rx, ry := reach/g.SX, reach/g.SY
	x0, y0, x1, y1 := g.W, g.H, -1, -1
	for _, c := range clicks {
		cx, cy := c[0], c[1]
		if math.IsNaN(cx) || math.IsNaN(cy) {
			continue
		}
		// Pixel centres x+0.5 within rx of cx.
		bx0 := int(clampF(math.Ceil(cx-rx-0.5), 0, float64(g.W)))
		bx1 := int(clampF(math.Floor(cx+rx-0.5), -1, float64(g.W-1)))
		by0 := int(clampF(math.Ceil(cy-ry-0.5), 0, float64(g.H)))
		by1 := int(clampF(math.Floor(cy+ry-0.5), -1, float64(g.H-1)))
		for y := by0; y <= by1; y++ {
			dy := (float64(y) + 0.5 - cy) * g.SY
			row := d2[y*g.W : (y+1)*g.W]
			for x := bx0; x <= bx1; x++ {
				dx := (float64(x) + 0.5 - cx) * g.SX
				if d := dx*dx + dy*dy; d < row[x] {
					row[x] = d
				}
			}
		}
		if bx0 <= bx1 && by0 <= by1 {
			x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
		}
	}
	r2 := radiusMM * radiusMM
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			i := y*g.W + x
			d := d2[i]
			switch {
			case math.IsInf(d, 1):
			case encoding == ClickDisk:
				if d <= r2 {
					dst[i] = 1
				}
			default:
				if d <= reach*reach {
					dst[i] = float32(math.Exp(-d / (2 * r2)))
				}
			}
		}
	}
	return nil
}

func clampF(v, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, v)) }
