package viewer

import (
	"fmt"
	"image"
	"math"
)

// Brush says how a stroke paints.
type Brush struct {
	// RadiusMM is the radius of the disc, in mm in the patient (the plane's pixel spacing turns
	// it into an ellipse of pixels when pixels are not square, as coronal and sagittal ones are).
	RadiusMM float64
	// Erase writes background (0) instead of the editor's label.
	Erase bool
	// Limit, when set, paints (or erases) only voxels whose HU lies in the range: threshold paint.
	Limit *HURange
}

func (b Brush) tool() string {
	switch {
	case b.Erase && b.Limit != nil:
		return ToolThresholdEraser
	case b.Erase:
		return ToolEraser
	case b.Limit != nil:
		return ToolThresholdBrush
	}
	return ToolBrush
}

type strokeState struct {
	active  bool
	view    *planeView // the plane the stroke was begun in
	k       int
	brush   Brush
	last    Point
	hasLast bool
}

// BeginStroke starts a brush drag on slice k of the current plane: the stamps that follow
// (StrokeTo), until EndStroke, make one undo step, in that plane even if SetPlane changes the
// current plane meanwhile. A stroke still open is ended first.
func (e *Editor) BeginStroke(k int, b Brush) error {
	e.EndStroke()
	if err := e.view.checkSlice(k); err != nil {
		return err
	}
	if !(b.RadiusMM >= 0) || math.IsInf(b.RadiusMM, 0) {
		return fmt.Errorf("viewer: brush radius %v mm", b.RadiusMM)
	}
	if err := checkRange(b.Limit); err != nil {
		return err
	}
	if b.Limit != nil {
		lim := *b.Limit // the caller may change its range later; this stroke keeps its own
		b.Limit = &lim
	}
	e.rec.reset()
	e.stroke = strokeState{active: true, view: e.view, k: k, brush: b}
	return nil
}

// StrokeTo stamps the brush at p (image coordinates on the stroke's slice). After the first
// stamp it paints the whole path from the previous position, as a disc swept along the segment,
// so a fast drag leaves no gaps. p may lie outside the slice (up to 1e7 pixels out): only pixels
// inside are painted.
// dirty bounds the pixels this call may have changed (empty when none could): while dragging,
// the GUI redraws dirty.Inset(-1) with Renderer.RenderRect instead of the whole slice.
func (e *Editor) StrokeTo(p Point) (dirty image.Rectangle, err error) {
	s := &e.stroke
	if !s.active {
		return image.Rectangle{}, ErrNoStroke
	}
	if err := checkPoint(p); err != nil {
		return image.Rectangle{}, err
	}
	from := p
	if s.hasLast {
		from = s.last
	}
	dirty = e.sweep(s.view, s.k, from, p, s.brush)
	s.last, s.hasLast = p, true
	return dirty, nil
}

// EndStroke ends the drag and returns its step (already pushed on the history), or nil when it
// changed nothing or no stroke was open.
func (e *Editor) EndStroke() *Edit {
	s := e.stroke
	if !s.active {
		return nil
	}
	e.stroke = strokeState{}
	return e.finish(s.brush.tool(), s.view, s.k)
}

// Stroking says whether a brush stroke is open.
func (e *Editor) Stroking() bool { return e.stroke.active }

// Stamp is a click: one stamp of the brush at p on slice k of the current plane, as its own undo
// step (nil when it changed nothing).
func (e *Editor) Stamp(k int, b Brush, p Point) (*Edit, error) {
	if err := e.BeginStroke(k, b); err != nil {
		return nil, err
	}
	if _, err := e.StrokeTo(p); err != nil {
		e.EndStroke()
		return nil, err
	}
	return e.EndStroke(), nil
}

// sweep paints, on slice k of plane v, every pixel whose centre lies within b.RadiusMM (in mm) of the
// segment a-b, plus every pixel the segment passes through (so a brush smaller than a pixel
// still paints a connected line, and a click always paints the pixel under the cursor). It
// returns the box of pixels it examined (those it can have changed).
func (e *Editor) sweep(v *planeView, k int, a, b Point, br Brush) image.Rectangle {
	sx, sy := v.pixelSpacing()
	w, h := v.size()
	r := br.RadiusMM
	rx, ry := r/sx, r/sy
	// The bounding box, clamped as floats first so that far-away points convert to int safely.
	x0 := int(clampF(math.Floor(math.Min(a.X, b.X)-rx), 0, float64(w)))
	x1 := int(clampF(math.Ceil(math.Max(a.X, b.X)+rx), -1, float64(w-1)))
	y0 := int(clampF(math.Floor(math.Min(a.Y, b.Y)-ry), 0, float64(h)))
	y1 := int(clampF(math.Ceil(math.Max(a.Y, b.Y)+ry), -1, float64(h-1)))

	val := e.label
	if br.Erase {
		val = 0
	}
	shift, offs := v.shift(k), v.offs
	paint := func(i, j int) {
		off := int(offs[j*w+i] + shift)
		if br.Limit != nil && !br.Limit.Contains(e.vol.Voxels[off]) {
			return
		}
		e.setVoxel(off, v.voxel(i, j, k), val)
	}

	// The segment in mm, with pixel centres at ((i+0.5)*sx, (j+0.5)*sy).
	ax, ay := a.X*sx, a.Y*sy
	dx, dy := b.X*sx-ax, b.Y*sy-ay
	l2 := dx*dx + dy*dy
	r2 := r * r
	// Row by row: the pixels of the row that the disc covers are marked first, then the label
	// under them is read as one line of the mask and only the voxels that change are written
	// (most of a stamp of a drag lies on the previous one).
	if n := x1 - x0 + 1; n > 0 && len(e.inRow) < n {
		e.inRow, e.rowLabels = make([]bool, n), make([]uint8, n)
	}
	for j := y0; j <= y1; j++ {
		py := (float64(j)+0.5)*sy - ay
		lo, hi := -1, -1
		for i := x0; i <= x1; i++ {
			px := (float64(i)+0.5)*sx - ax
			t := 0.0
			if l2 > 0 {
				t = math.Min(1, math.Max(0, (px*dx+py*dy)/l2))
			}
			ex, ey := px-t*dx, py-t*dy
			in := ex*ex+ey*ey <= r2
			e.inRow[i-x0] = in
			if in {
				if lo < 0 {
					lo = i
				}
				hi = i
			}
		}
		if lo < 0 {
			continue
		}
		labels := e.rowLabels[:hi-lo+1]
		offsLine(e.mask, offs, shift, j*w+lo, labels)
		for i := lo; i <= hi; i++ {
			old := labels[i-lo]
			if old == val || !e.inRow[i-x0] {
				continue
			}
			off := int(offs[j*w+i] + shift)
			if br.Limit != nil && !br.Limit.Contains(e.vol.Voxels[off]) {
				continue
			}
			e.put(off, v.voxel(i, j, k), old, val)
		}
	}

	// The pixels under the path, sampled at most half a pixel apart, on the part of the path
	// that crosses the slice (a drag far outside the image costs nothing).
	// Not image.Rect, which would swap the corners of an empty box (one that misses the slice).
	box := image.Rectangle{Min: image.Pt(x0, y0), Max: image.Pt(x1+1, y1+1)}
	if box.Empty() {
		box = image.Rectangle{}
	}
	a, b, ok := clipSegment(a, b, float64(w), float64(h))
	if !ok {
		return box
	}
	steps := int(math.Ceil(2 * math.Max(math.Abs(b.X-a.X), math.Abs(b.Y-a.Y))))
	for s := 0; s <= steps; s++ {
		t := 1.0
		if steps > 0 {
			t = float64(s) / float64(steps)
		}
		i := int(math.Floor(a.X + t*(b.X-a.X)))
		j := int(math.Floor(a.Y + t*(b.Y-a.Y)))
		if v.inSlice(i, j) {
			paint(i, j)
			box = box.Union(image.Rect(i, j, i+1, j+1))
		}
	}
	return box
}

func clampF(v, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, v)) }

// clipSegment clips segment a-b to the rectangle [0, w] x [0, h] (Liang-Barsky); ok is false when
// no part of it lies inside.
func clipSegment(a, b Point, w, h float64) (Point, Point, bool) {
	t0, t1 := 0.0, 1.0
	dx, dy := b.X-a.X, b.Y-a.Y
	for _, c := range [4][2]float64{{-dx, a.X}, {dx, w - a.X}, {-dy, a.Y}, {dy, h - a.Y}} {
		p, q := c[0], c[1]
		if p == 0 {
			if q < 0 {
				return a, b, false
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = math.Max(t0, t)
		} else {
			t1 = math.Min(t1, t)
		}
	}
	if t0 > t1 {
		return a, b, false
	}
	return Point{a.X + t0*dx, a.Y + t0*dy}, Point{a.X + t1*dx, a.Y + t1*dy}, true
}
