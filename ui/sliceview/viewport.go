package sliceview

// What linked views share (the viewport: slice, zoom, pan, window) and the mapping between the
// screen (widget coordinates) and the slice's display pixels.

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"liverseg/viewer"
)

// maxZoom is the largest magnification: 16 screen pixels a voxel on a 512 slice fitted to 512.
const maxZoom = 16

// viewport is what linked views share, so that the panels of the side-by-side layout scroll,
// zoom, pan and window together: the slice, the zoom and the display pixel at the centre, the CT
// window, the slider and the status line. It is used from the Fyne goroutine only.
type viewport struct {
	k, n   int     // the slice index along the plane's third axis, and the count
	w, h   int     // display pixels of a slice
	zoom   float64 // 1: the whole slice fits the view
	cx, cy float64 // display pixel at the centre of the view
	win    viewer.Window
	preset string // name of the current window preset, "" when custom

	crosshair bool
	// hover is the view under the pointer and the display pixel there (hoverOK false: none).
	hover      *View
	hx, hy     int
	hfx, hfy   float32 // the same in display-pixel coordinates, unrounded
	hoverOK    bool
	views      []*View
	slider     *widget.Slider
	status     *widget.Label
	statusText func() string // extra text from the review (the provider, a running job)
}

func newViewport(w, h, n int) *viewport {
	vp := &viewport{n: n, w: w, h: h, zoom: 1, cx: float64(w) / 2, cy: float64(h) / 2}
	vp.status = widget.NewLabel("")
	vp.status.Truncation = fyne.TextTruncateEllipsis
	vp.slider = widget.NewSlider(1, float64(max(n, 1)))
	vp.slider.Step = 1
	if n <= 1 {
		vp.slider.Disable()
	}
	vp.k = n / 2
	vp.slider.Value = float64(vp.k + 1)
	vp.slider.OnChanged = func(v float64) { vp.setSlice(int(math.Round(v)) - 1) }
	vp.win = Presets[0].Window
	vp.preset = Presets[0].Name
	return vp
}

// redraw renders every view again and updates the status line.
func (vp *viewport) redraw() {
	for _, v := range vp.views {
		v.refresh()
	}
	vp.updateStatus()
	for _, v := range vp.views {
		if v.OnChanged != nil {
			v.OnChanged()
		}
	}
}

// relayout moves the images of every view after a zoom or a pan: nothing is rendered again.
func (vp *viewport) relayout() {
	for _, v := range vp.views {
		v.showCrop()
		v.Refresh()
	}
	vp.updateStatus()
}

func (vp *viewport) setSlice(k int) {
	k = max(0, min(k, vp.n-1))
	if k == vp.k {
		return
	}
	vp.k = k
	vp.slider.SetValue(float64(k + 1)) // its OnChanged comes back here with the same k
	vp.redraw()
	if len(vp.views) > 0 && vp.views[0].planes != nil {
		vp.views[0].planes.sliceMoved(vp.views[0])
	}
}

func (vp *viewport) setWindow(w viewer.Window, name string) {
	vp.win = w
	vp.preset = name
	vp.redraw()
	if len(vp.views) > 0 && vp.views[0].planes != nil {
		vp.views[0].planes.windowChanged(vp.views[0])
	}
}

// crop is the part of the slice on screen, in display pixels: all of it at zoom 1, else a
// rectangle 1/zoom of the slice around the centre, kept inside the slice.
func (vp *viewport) crop() (x0, y0, cw, ch int) {
	cw = max(1, min(vp.w, int(math.Round(float64(vp.w)/vp.zoom))))
	ch = max(1, min(vp.h, int(math.Round(float64(vp.h)/vp.zoom))))
	x0 = int(math.Round(vp.cx - float64(cw)/2))
	y0 = int(math.Round(vp.cy - float64(ch)/2))
	x0 = max(0, min(x0, vp.w-cw))
	y0 = max(0, min(y0, vp.h-ch))
	return x0, y0, cw, ch
}

// setZoom sets the magnification, keeping display point (px, py) where it is on screen.
func (vp *viewport) setZoom(z, px, py float64) {
	z = math.Max(1, math.Min(maxZoom, z))
	if z == vp.zoom {
		return
	}
	// The point's offset from the centre shrinks by old/new zoom.
	f := vp.zoom / z
	vp.cx = px - (px-vp.cx)*f
	vp.cy = py - (py-vp.cy)*f
	vp.zoom = z
	vp.clampCentre()
	vp.relayout()
}

// pan moves the centre by (dx, dy) display pixels.
func (vp *viewport) pan(dx, dy float64) {
	vp.cx += dx
	vp.cy += dy
	vp.clampCentre()
	vp.relayout()
}

// clampCentre keeps the crop inside the slice, so the centre stays where the crop is.
func (vp *viewport) clampCentre() {
	hw := float64(vp.w) / vp.zoom / 2
	hh := float64(vp.h) / vp.zoom / 2
	vp.cx = math.Max(hw, math.Min(float64(vp.w)-hw, vp.cx))
	vp.cy = math.Max(hh, math.Min(float64(vp.h)-hh, vp.cy))
}

// resetView shows the whole slice again.
func (vp *viewport) resetView() {
	vp.zoom = 1
	vp.cx, vp.cy = float64(vp.w)/2, float64(vp.h)/2
	vp.relayout()
}

// rect is a rectangle in widget coordinates.
type rect struct {
	Position fyne.Position
	Size     fyne.Size
}

// fit is the rectangle of the image inside size: as large as fits, centred, each display pixel
// Aspect times as tall as it is wide.
func fit(size fyne.Size, w, h int, aspect float64) rect {
	pw, ph := float64(w), float64(h)*aspect
	s := math.Min(float64(size.Width)/pw, float64(size.Height)/ph)
	if !(s > 0) {
		return rect{}
	}
	iw, ih := float32(pw*s), float32(ph*s)
	return rect{
		Position: fyne.NewPos((size.Width-iw)/2, (size.Height-ih)/2),
		Size:     fyne.NewSize(iw, ih),
	}
}

// toDisplay maps a position in the view (widget coordinates) to display-pixel coordinates of
// the slice, as floats; inside says whether it falls on the image.
func (sv *View) toDisplay(pos fyne.Position) (fx, fy float64, inside bool) {
	rc := sv.imgRect
	if rc.Size.Width <= 0 || rc.Size.Height <= 0 {
		return 0, 0, false
	}
	x0, y0, cw, ch := sv.vp.crop()
	fx = float64(x0) + float64(pos.X-rc.Position.X)/float64(rc.Size.Width)*float64(cw)
	fy = float64(y0) + float64(pos.Y-rc.Position.Y)/float64(rc.Size.Height)*float64(ch)
	inside = fx >= float64(x0) && fy >= float64(y0) && fx < float64(x0+cw) && fy < float64(y0+ch)
	return fx, fy, inside
}

// ProbeAt maps a position in the view (widget coordinates) to the display pixel under it,
// undoing the zoom, the pan, the scaling and the centring. ok is false outside the image.
func (sv *View) ProbeAt(pos fyne.Position) (x, y int, ok bool) {
	fx, fy, inside := sv.toDisplay(pos)
	if !inside {
		return 0, 0, false
	}
	return int(fx), int(fy), true
}

// ImageRect is where the slice is drawn inside the view, in widget coordinates.
func (sv *View) ImageRect() (pos fyne.Position, size fyne.Size) {
	return sv.imgRect.Position, sv.imgRect.Size
}
