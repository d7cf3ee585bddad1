package viewer

import (
	"image"
)

// RenderEdit brings dst, which holds canonical slice k as RenderTo drew it, up to date after ed
// changed a mask drawn on it: it redraws only ed.Rect grown by one pixel (a changed pixel turns
// its 4-neighbours' outlines on or off), so painting costs a few hundred pixels, not a slice. It
// does nothing when ed is nil or did not touch slice k. The settings must be those dst was drawn
// with; after any other change, Render the whole slice.
func (r *Renderer) RenderEdit(dst *image.RGBA, k int, ed *Edit) error {
	if ed == nil || k < ed.FirstSlice || k > ed.LastSlice {
		return nil
	}
	return r.RenderRect(dst, k, ed.Rect.Inset(-1))
}

// RenderRect redraws the pixels of rect (slice pixel coordinates, clipped to the slice) of
// canonical slice k into dst, whose bounds must be Size() as for RenderTo; the other pixels of dst
// are left as they are. Each redrawn pixel is exactly what RenderTo gives it (a test holds the two
// together).
func (r *Renderer) RenderRect(dst *image.RGBA, k int, rect image.Rectangle) error {
	return r.render(dst, k, layerAll, rect)
}
