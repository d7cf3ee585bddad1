package viewer

import (
	"image"
)

// RenderEdit brings dst, which holds slice k as RenderTo drew it, up to date after ed changed a
// mask drawn on it: it redraws only the edit's box grown by one pixel (a changed pixel turns its
// 4-neighbours' outlines on or off), so painting costs a few hundred pixels, not a slice. An edit
// made in another plane (ed.Plane) has its box (ed.Rect on slices FirstSlice..LastSlice of that
// plane) turned into this renderer's plane first: a brush stroke on a coronal slice crosses a
// single row of many axial slices. It does nothing when ed is nil or did not touch slice k. The
// settings must be those dst was drawn with; after any other change, Render the whole slice.
func (r *Renderer) RenderEdit(dst *image.RGBA, k int, ed *Edit) error {
	if ed == nil || ed.Rect.Empty() {
		return nil
	}
	rect, first, last := ed.Rect, ed.FirstSlice, ed.LastSlice
	if ed.Plane != r.plane {
		rect, first, last = r.planeBox(ed)
	}
	if k < first || k > last {
		return nil
	}
	return r.RenderRect(dst, k, rect.Inset(-1))
}

// planeBox is the box of an edit made in another plane, in this renderer's pixels and slices.
// A plane is the axial view with its axes permuted and some reversed, so the box's two extreme
// corners map to the extreme corners of the turned box.
func (r *Renderer) planeBox(ed *Edit) (rect image.Rectangle, first, last int) {
	c := r.axial
	i0, j0, k0 := c.FromPlane(ed.Plane, ed.Rect.Min.X, ed.Rect.Min.Y, ed.FirstSlice)
	i1, j1, k1 := c.FromPlane(ed.Plane, ed.Rect.Max.X-1, ed.Rect.Max.Y-1, ed.LastSlice)
	x0, y0, s0 := c.ToPlane(r.plane, i0, j0, k0)
	x1, y1, s1 := c.ToPlane(r.plane, i1, j1, k1)
	rect = image.Rect(min(x0, x1), min(y0, y1), max(x0, x1)+1, max(y0, y1)+1)
	return rect, min(s0, s1), max(s0, s1)
}

// RenderRect redraws the pixels of rect (slice pixel coordinates, clipped to the slice) of slice k
// into dst, whose bounds must be Size() as for RenderTo; the other pixels of dst are left as they
// are. Each redrawn pixel is exactly what RenderTo gives it (a test holds the two together).
func (r *Renderer) RenderRect(dst *image.RGBA, k int, rect image.Rectangle) error {
	return r.render(dst, k, layerAll, rect)
}
