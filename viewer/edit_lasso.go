package viewer

import (
	"fmt"
	"image"
	"math"
	"slices"
)

// LassoFill paints with the editor's label every pixel of slice k of the current plane whose
// centre lies
// inside the polygon poly (image coordinates; closed implicitly from the last vertex back to the
// first). Inside follows the even-odd rule: a self-crossing lasso leaves the parts it wraps twice
// unpainted, as most drawing programs do. A centre exactly on a left edge counts as inside and on
// a right edge as outside, so two polygons sharing an edge never both take a pixel. An integer
// rectangle (x0,y0)-(x1,y1) covers exactly the pixels x0..x1-1, y0..y1-1. Vertices may lie outside
// the slice (up to 1e7 pixels out).
func (e *Editor) LassoFill(k int, poly []Point) (*Edit, error) {
	return e.lasso(k, poly, e.label, ToolLassoFill)
}

// LassoCut erases (writes background into) the pixels LassoFill would paint.
func (e *Editor) LassoCut(k int, poly []Point) (*Edit, error) {
	return e.lasso(k, poly, 0, ToolLassoCut)
}

func (e *Editor) lasso(k int, poly []Point, val uint8, tool string) (*Edit, error) {
	e.EndStroke()
	v := e.view
	if err := v.checkSlice(k); err != nil {
		return nil, err
	}
	if len(poly) < 3 {
		return nil, fmt.Errorf("viewer: a lasso needs 3 points or more, got %d", len(poly))
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, p := range poly {
		if err := checkPoint(p); err != nil {
			return nil, err
		}
		xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
		ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
	}
	w, h := v.size()
	shift := v.shift(k)
	j0 := int(clampF(math.Floor(ymin), 0, float64(h)))
	j1 := int(clampF(math.Ceil(ymax), -1, float64(h-1)))
	if val != 0 {
		// The polygon's box, grown to whole pixels: the mask grows once for it.
		i0, i1 := int(clampF(math.Floor(xmin), 0, float64(w))), int(clampF(math.Ceil(xmax), 0, float64(w)))
		e.reserve(v, k, image.Rect(i0, j0, i1, j1+1))
	}
	xs := make([]float64, 0, 16)
	for j := j0; j <= j1; j++ {
		y := float64(j) + 0.5
		// Crossings of the row of pixel centres with each edge; an edge counts when one end is
		// above y and the other at or below (half-open), so a vertex on the row is counted once.
		xs = xs[:0]
		for n := range poly {
			p, q := poly[n], poly[(n+1)%len(poly)]
			if (p.Y > y) == (q.Y > y) {
				continue
			}
			xs = append(xs, p.X+(y-p.Y)*(q.X-p.X)/(q.Y-p.Y))
		}
		slices.Sort(xs)
		for n := 0; n+1 < len(xs); n += 2 {
			// Pixel centres i+0.5 in [xs[n], xs[n+1]).
			i0 := int(clampF(math.Ceil(xs[n]-0.5), 0, float64(w)))
			i1 := int(clampF(math.Ceil(xs[n+1]-0.5), 0, float64(w)))
			row := v.offs[j*w : (j+1)*w]
			for i := i0; i < i1; i++ {
				e.set(int(row[i]+shift), val)
			}
		}
	}
	return e.finish(tool, v, k), nil
}
