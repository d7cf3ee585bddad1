// Package sliceview is the slice view of the review GUI: a Fyne widget that shows the slices of
// one volume as a viewer.Renderer draws them, at their physical aspect, with the patient
// directions at the edges, a scale bar and, on demand, a cross-hair; the mouse and the keys move
// through the slices, zoom, pan and change the CT window. Views made with Link share all of that
// (the side-by-side panels of the review).
//
// The files, by concern: view.go is the widget and what its users call; input.go the mouse,
// wheel and keys; viewport.go what linked views share (slice, zoom, pan, window) and the mapping
// between the screen and the slice's display pixels; status.go the status line; render.go the
// drawing (the slice image, the orientation letters, the caption, the scale bar, the cross-hair,
// the brush circle and the lasso).
//
// Any plane. A view shows the slices of one plane (axial, coronal or sagittal) of its volume, as
// its renderer (viewer.NewPlaneRenderer) draws them; the letters, the aspect and the scale bar
// are the plane's. Views made with Link share one slice index and so must show the same plane;
// views of different planes are linked with LinkPlanes (planes.go): a shared cross-hair point,
// window and status line.
//
// It imports Fyne, as package ui does; the drawing itself is viewer's.
package sliceview

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"liverseg/scan"
	"liverseg/viewer"
)

// Preset is a named CT window that a key selects.
type Preset struct {
	Name   string
	Key    rune
	Window viewer.Window
}

// Presets are the windows keys 1 and 2 select; key 3 selects the series' own (seriesPresetKey).
var Presets = []Preset{
	{Name: "liver", Key: '1', Window: viewer.WindowLiver},
	{Name: "abdomen", Key: '2', Window: viewer.WindowAbdomen},
}

// seriesPresetKey selects the window the series' files suggest, where they suggest one.
const seriesPresetKey = '3'

// View shows the slices of one plane of one volume, drawn by a viewer.Renderer, at their
// physical aspect, with the patient directions at the edges, a scale bar and, on demand, a
// cross-hair. The mouse wheel, Up/Down, PageUp/PageDown, Home/End and the slider move through
// the slices (up is toward the head); Ctrl+wheel and +/- zoom, a left or middle drag pans, a
// right drag changes the window (horizontal: width, vertical: level), keys 1, 2 and 3 pick the
// liver, abdomen and series windows, 0 shows the whole slice, C the cross-hair. The status line
// says the slice, the window and the voxel and HU under the cursor.
//
// Views made with Link share all of that (the side-by-side panels); each keeps its own renderer,
// so each can show other overlays. A View is used from the Fyne goroutine only.
type View struct {
	widget.BaseWidget

	r  *viewer.Renderer
	vp *viewport

	// Caption, when set, is written at the top left of the view (say "Truth").
	Caption string

	bufs  [2]*image.RGBA // rendered alternately so a changed slice is a changed image
	crops [2]*image.RGBA // the part on screen when zoomed in, copied from bufs
	cur   int
	img   *canvas.Image
	err   error // of the last render

	imgRect     rect // where the image is drawn, in widget coordinates
	scrollAccum float32
	button      desktop.MouseButton // held since MouseDown
	dragFrom    fyne.Position       // where a right drag started
	dragWindow  viewer.Window       // the window when it started

	painting   bool // OnPointer took the press: drags go to it, not to the pan
	pressTaken bool // the last left press went to OnPointer or moved the cross-hair: its tap does nothing more

	pointerIn bool // the pointer is over the view (on the image or beside it)

	loading *scan.Loading // the load still filling the volume, nil when every slice is in
	notice  string        // what is shown in place of the current slice, "" when it is shown

	planes *Planes // the linked planes this view is one of (LinkPlanes), nil when none

	// OnChanged, when set, is called after the slice or the window changed.
	OnChanged func()
	// OnPointer, when set, gets the left button's press, drags and release over the slice in
	// display-pixel coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)); it returns whether
	// it took the press (an edit tool). A press it does not take starts a pan.
	OnPointer func(phase PointerPhase, x, y float64) bool
	// OnSecondaryClick, when set, gets a right-button click (a press and release without a
	// move, which changes no window) over the slice, in display-pixel coordinates; it returns
	// whether it used it.
	OnSecondaryClick func(x, y float64) bool
	// CursorRadius, when set, is the radius in display pixels (along x and y) of the circle drawn
	// around the pointer: the brush. ok false draws none.
	CursorRadius func() (rx, ry float64, ok bool)
	// Path, when set, is a polygon in display-pixel coordinates drawn over the slice, closed
	// back to its first point: the lasso while it is being drawn. Fewer than two points draw none.
	Path func() []viewer.Point
	// OnKey, when set, gets the keys the view does not use itself (by name, or the typed rune);
	// it says whether it used the key.
	OnKey func(name fyne.KeyName, r rune) bool
}

// New makes a view of v, starting at its middle slice in the liver window.
func New(v *scan.Volume) (*View, error) {
	r, err := viewer.NewRenderer(v)
	if err != nil {
		return nil, err
	}
	return NewWithRenderer(r), nil
}

// NewWithRenderer makes a view around a prepared renderer (made off the Fyne goroutine, since
// preparing one reorders the whole volume), starting at its middle slice in the liver window.
func NewWithRenderer(r *viewer.Renderer) *View { return newView(r, nil) }

// newView makes a view around r, whose volume l (nil: none) is still filling.
func newView(r *viewer.Renderer, l *scan.Loading) *View {
	w, h := r.Size()
	sv := &View{r: r, loading: l}
	sv.bufs[0] = image.NewRGBA(image.Rect(0, 0, w, h))
	sv.bufs[1] = image.NewRGBA(image.Rect(0, 0, w, h))
	sv.img = canvas.NewImageFromImage(sv.bufs[0])
	sv.img.FillMode = canvas.ImageFillStretch
	// Fastest: the GPU scales the texture (linear filtering). ImageScaleSmooth would first
	// resample the slice on the CPU (Catmull-Rom) at every refresh whenever the sizes differ.
	sv.img.ScaleMode = canvas.ImageScaleFastest
	sv.ExtendBaseWidget(sv)
	sv.vp = newViewport(w, h, r.Slices())
	sv.vp.views = []*View{sv}
	sv.draw()
	sv.showCrop()
	sv.vp.updateStatus()
	return sv
}

// Link makes o share sv's slice, zoom, pan, window, slider and status line; o is redrawn.
func (sv *View) Link(o *View) {
	if o.vp == sv.vp {
		return
	}
	// One slice index for all, so the views must show the same slices of the same plane.
	if ow, oh := o.r.Size(); o.r.Plane() != sv.r.Plane() || ow != sv.vp.w || oh != sv.vp.h || o.r.Slices() != sv.vp.n {
		return // not the same plane of the same volume: nothing to share
	}
	o.vp = sv.vp
	sv.vp.views = append(sv.vp.views, o)
	o.refresh()
}

// PointerIn says whether the pointer is over the view (the pane a maximise key acts on).
func (sv *View) PointerIn() bool { return sv.pointerIn }

// Planes is the linked planes the view is one of, nil when none.
func (sv *View) Planes() *Planes { return sv.planes }

// Plane is the plane the view shows.
func (sv *View) Plane() scan.Plane { return sv.r.Plane() }

// Renderer is the renderer behind the view (its settings take effect at the next Redraw).
func (sv *View) Renderer() *viewer.Renderer { return sv.r }

// Slice is the current canonical slice, 0-based.
func (sv *View) Slice() int { return sv.vp.k }

// Slices is the number of slices.
func (sv *View) Slices() int { return sv.vp.n }

// Window is the current CT window.
func (sv *View) Window() viewer.Window { return sv.vp.win }

// Zoom is the magnification: 1 when the whole slice fits.
func (sv *View) Zoom() float64 { return sv.vp.zoom }

// Crosshair says whether the cross-hair is shown.
func (sv *View) Crosshair() bool {
	if sv.planes != nil {
		return sv.planes.shown
	}
	return sv.vp.crosshair
}

// Slider is the slice slider the view keeps in step (1-based values).
func (sv *View) Slider() *widget.Slider { return sv.vp.slider }

// Image is the rendered current slice, whole (the screen may show a zoomed part of it).
func (sv *View) Image() *image.RGBA { return sv.bufs[sv.cur] }

// Content is the view with its slider and status line below it.
func (sv *View) Content() fyne.CanvasObject {
	return container.NewBorder(nil, container.NewVBox(sv.vp.slider, sv.vp.status), nil, nil, sv)
}

// SetSlice shows canonical slice k, clamped to the volume.
func (sv *View) SetSlice(k int) { sv.vp.setSlice(k) }

// Step moves d slices (positive toward the head in axial, toward posterior in coronal, toward
// the patient's left in sagittal), clamped.
func (sv *View) Step(d int) { sv.vp.setSlice(sv.vp.k + d) }

// SetWindow sets the CT window; name is the preset's name or "".
func (sv *View) SetWindow(w viewer.Window, name string) { sv.vp.setWindow(w, name) }

// SetPreset selects the preset that key (a rune such as '1') stands for; it says whether there
// was one.
func (sv *View) SetPreset(key rune) bool {
	for _, p := range Presets {
		if p.Key == key {
			sv.SetWindow(p.Window, p.Name)
			return true
		}
	}
	if key == seriesPresetKey {
		if s := sv.r.Volume().Series; s.WindowWidth >= 1 {
			sv.SetWindow(viewer.Window{Center: s.WindowCenter, Width: s.WindowWidth}, "series")
			return true
		}
	}
	return false
}

// SetZoom sets the magnification about the centre of the view (1 shows the whole slice).
func (sv *View) SetZoom(z float64) { sv.vp.setZoom(z, sv.vp.cx, sv.vp.cy) }

// ResetView shows the whole slice.
func (sv *View) ResetView() { sv.vp.resetView() }

// ToggleCrosshair shows or hides the cross-hair: the linked planes' point, else the cursor's.
func (sv *View) ToggleCrosshair() {
	if sv.planes != nil {
		sv.planes.Toggle()
		return
	}
	sv.vp.crosshair = !sv.vp.crosshair
	for _, v := range sv.vp.views {
		v.Refresh()
	}
}

// Redraw renders the current slice of every linked view again and updates the status line.
func (sv *View) Redraw() { sv.vp.redraw() }

// MinSize is small; the view grows with its window.
func (sv *View) MinSize() fyne.Size { return fyne.NewSize(128, 128) }

var (
	_ fyne.Widget       = (*View)(nil)
	_ fyne.Scrollable   = (*View)(nil)
	_ fyne.Focusable    = (*View)(nil)
	_ fyne.Tappable     = (*View)(nil)
	_ fyne.Draggable    = (*View)(nil)
	_ desktop.Hoverable = (*View)(nil)
	_ desktop.Mouseable = (*View)(nil)
)
