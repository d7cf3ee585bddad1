package ui

import (
	"image"
	"image/color"
	"math"
	"strconv"

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

// Presets are the windows keys 1 and 2 select; key 3 selects the series' own (seriesPreset).
var Presets = []Preset{
	{Name: "liver", Key: '1', Window: viewer.WindowLiver},
	{Name: "abdomen", Key: '2', Window: viewer.WindowAbdomen},
}

// seriesPresetKey selects the window the series' files suggest, where they suggest one.
const seriesPresetKey = '3'

// scrollStep is how much wheel delta moves one slice. Fyne reports 25 per wheel notch on Linux
// and Windows and 10 on macOS, finer steps from touchpads; a notch is one slice everywhere.
const scrollStep = 10

// pageStep is how many slices PageUp and PageDown move.
const pageStep = 10

// zoomStep is the magnification of one zoom key press or wheel notch with Ctrl.
const zoomStep = 1.25

// windowDragHU is how many HU of width (horizontal) or level (vertical) one screen pixel of a
// right-button drag changes.
const windowDragHU = 2

// obliqueDegrees is the tilt above which the orientation letters are marked approximate.
const obliqueDegrees = 5

var (
	letterColor     = color.NRGBA{R: 255, G: 220, B: 0, A: 255}
	captionColor    = color.NRGBA{R: 230, G: 230, B: 230, A: 255}
	crosshairColor  = color.NRGBA{R: 0, G: 255, B: 0, A: 160}
	cursorColor     = color.NRGBA{R: 255, G: 255, B: 255, A: 200}
	scaleBarColor   = color.NRGBA{R: 255, G: 255, B: 255, A: 230}
	backgroundColor = color.NRGBA{A: 255}
)

// SliceView shows the canonical axial slices of one volume, drawn by a viewer.Renderer, at their
// physical aspect, with the patient directions at the edges, a scale bar and, on demand, a
// cross-hair. The mouse wheel, Up/Down, PageUp/PageDown, Home/End and the slider move through
// the slices (up is toward the head); Ctrl+wheel and +/- zoom, a left or middle drag pans, a
// right drag changes the window (horizontal: width, vertical: level), keys 1, 2 and 3 pick the
// liver, abdomen and series windows, 0 shows the whole slice, C the cross-hair. The status line
// says the slice, the window and the voxel and HU under the cursor.
//
// Views made with Link share all of that (the side-by-side panels); each keeps its own renderer,
// so each can show other overlays. A SliceView is used from the Fyne goroutine only.
type SliceView struct {
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

	painting bool // OnPointer took the press: drags go to it, not to the pan

	// OnChanged, when set, is called after the slice or the window changed.
	OnChanged func()
	// OnPointer, when set, gets the left button's press, drags and release over the slice in
	// display-pixel coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)); it returns whether
	// it took the press (an edit tool). A press it does not take starts a pan.
	OnPointer func(phase PointerPhase, x, y float64) bool
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

// PointerPhase is the stage of a press-drag-release of the left button.
type PointerPhase int

const (
	PointerDown PointerPhase = iota
	PointerDrag
	PointerUp
)

// NewSliceView makes a view of v, starting at its middle slice in the liver window.
func NewSliceView(v *scan.Volume) (*SliceView, error) {
	r, err := viewer.NewRenderer(v)
	if err != nil {
		return nil, err
	}
	return newSliceViewRenderer(r), nil
}

// newSliceViewRenderer makes a view around a prepared renderer (made off the Fyne goroutine).
func newSliceViewRenderer(r *viewer.Renderer) *SliceView {
	w, h := r.Size()
	sv := &SliceView{r: r}
	sv.bufs[0] = image.NewRGBA(image.Rect(0, 0, w, h))
	sv.bufs[1] = image.NewRGBA(image.Rect(0, 0, w, h))
	sv.img = canvas.NewImageFromImage(sv.bufs[0])
	sv.img.FillMode = canvas.ImageFillStretch
	// Fastest: the GPU scales the texture (linear filtering). ImageScaleSmooth would first
	// resample the slice on the CPU (Catmull-Rom) at every refresh whenever the sizes differ.
	sv.img.ScaleMode = canvas.ImageScaleFastest
	sv.ExtendBaseWidget(sv)
	sv.vp = newViewport(w, h, r.Slices())
	sv.vp.views = []*SliceView{sv}
	sv.draw()
	sv.showCrop()
	sv.vp.updateStatus()
	return sv
}

// Link makes o share sv's slice, zoom, pan, window, slider and status line; o is redrawn.
func (sv *SliceView) Link(o *SliceView) {
	if o.vp == sv.vp {
		return
	}
	if ow, oh := o.r.Size(); ow != sv.vp.w || oh != sv.vp.h || o.r.Slices() != sv.vp.n {
		return // not the same volume: nothing to share
	}
	o.vp = sv.vp
	sv.vp.views = append(sv.vp.views, o)
	o.refresh()
}

// Renderer is the renderer behind the view (its settings take effect at the next Redraw).
func (sv *SliceView) Renderer() *viewer.Renderer { return sv.r }

// Slice is the current canonical slice, 0-based.
func (sv *SliceView) Slice() int { return sv.vp.k }

// Slices is the number of slices.
func (sv *SliceView) Slices() int { return sv.vp.n }

// Window is the current CT window.
func (sv *SliceView) Window() viewer.Window { return sv.vp.win }

// Zoom is the magnification: 1 when the whole slice fits.
func (sv *SliceView) Zoom() float64 { return sv.vp.zoom }

// Crosshair says whether the cross-hair is shown.
func (sv *SliceView) Crosshair() bool { return sv.vp.crosshair }

// Slider is the slice slider the view keeps in step (1-based values).
func (sv *SliceView) Slider() *widget.Slider { return sv.vp.slider }

// Status is the status line the view keeps up to date.
func (sv *SliceView) Status() *widget.Label { return sv.vp.status }

// StatusText is the text of the status line.
func (sv *SliceView) StatusText() string { return sv.vp.status.Text }

// SetStatusExtra sets a function whose text ends the status line.
func (sv *SliceView) SetStatusExtra(f func() string) {
	sv.vp.statusText = f
	sv.vp.updateStatus()
}

// Image is the rendered current slice, whole (the screen may show a zoomed part of it).
func (sv *SliceView) Image() *image.RGBA { return sv.bufs[sv.cur] }

// Content is the view with its slider and status line below it.
func (sv *SliceView) Content() fyne.CanvasObject {
	return container.NewBorder(nil, container.NewVBox(sv.vp.slider, sv.vp.status), nil, nil, sv)
}

// SetSlice shows canonical slice k, clamped to the volume.
func (sv *SliceView) SetSlice(k int) { sv.vp.setSlice(k) }

// Step moves d slices (positive toward the head), clamped.
func (sv *SliceView) Step(d int) { sv.vp.setSlice(sv.vp.k + d) }

// SetWindow sets the CT window; name is the preset's name or "".
func (sv *SliceView) SetWindow(w viewer.Window, name string) { sv.vp.setWindow(w, name) }

// SetPreset selects the preset that key (a rune such as '1') stands for; it says whether there
// was one.
func (sv *SliceView) SetPreset(key rune) bool {
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
func (sv *SliceView) SetZoom(z float64) { sv.vp.setZoom(z, sv.vp.cx, sv.vp.cy) }

// ResetView shows the whole slice.
func (sv *SliceView) ResetView() { sv.vp.resetView() }

// ToggleCrosshair shows or hides the cross-hair at the cursor.
func (sv *SliceView) ToggleCrosshair() {
	sv.vp.crosshair = !sv.vp.crosshair
	for _, v := range sv.vp.views {
		v.Refresh()
	}
}

// Redraw renders the current slice of every linked view again and updates the status line.
func (sv *SliceView) Redraw() { sv.vp.redraw() }

// RedrawRect renders again only the pixels of rect (display pixels of the current slice) of this
// view, into the image on screen: what a brush stroke changed (Renderer.RenderRect gives each
// pixel exactly what a whole render would). The other linked views are not redrawn.
func (sv *SliceView) RedrawRect(rect image.Rectangle) {
	if rect.Empty() {
		return
	}
	sv.r.Window = sv.vp.win
	if err := sv.r.RenderRect(sv.bufs[sv.cur], sv.vp.k, rect); err != nil {
		sv.err = err
		sv.vp.updateStatus()
		return
	}
	sv.showCrop()
	sv.img.Refresh()
}

// refresh renders this view's current slice and shows it.
func (sv *SliceView) refresh() {
	sv.draw()
	sv.showCrop()
	sv.Refresh()
}

func (sv *SliceView) draw() {
	sv.r.Window = sv.vp.win
	next := 1 - sv.cur
	if err := sv.r.RenderTo(sv.bufs[next], sv.vp.k); err != nil {
		sv.err = err
		return
	}
	sv.err = nil
	sv.cur = next
}

// showCrop puts the part of the slice that the zoom and pan leave on screen into the image.
func (sv *SliceView) showCrop() {
	x0, y0, cw, ch := sv.vp.crop()
	src := sv.bufs[sv.cur]
	if cw == sv.vp.w && ch == sv.vp.h {
		sv.img.Image = src
		return
	}
	dst := sv.crops[sv.cur]
	if dst == nil || dst.Rect.Dx() != cw || dst.Rect.Dy() != ch {
		dst = image.NewRGBA(image.Rect(0, 0, cw, ch))
		sv.crops[sv.cur] = dst
	}
	for y := 0; y < ch; y++ {
		copy(dst.Pix[y*dst.Stride:y*dst.Stride+4*cw], src.Pix[src.PixOffset(x0, y0+y):][:4*cw])
	}
	sv.img.Image = dst
}

// toDisplay maps a position in the view (widget coordinates) to display-pixel coordinates of
// the slice, as floats; inside says whether it falls on the image.
func (sv *SliceView) toDisplay(pos fyne.Position) (fx, fy float64, inside bool) {
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
func (sv *SliceView) ProbeAt(pos fyne.Position) (x, y int, ok bool) {
	fx, fy, inside := sv.toDisplay(pos)
	if !inside {
		return 0, 0, false
	}
	return int(fx), int(fy), true
}

// ImageRect is where the slice is drawn inside the view, in widget coordinates.
func (sv *SliceView) ImageRect() (pos fyne.Position, size fyne.Size) {
	return sv.imgRect.Position, sv.imgRect.Size
}

// Scrolled moves through the slices, one slice per wheel notch, up toward the head; with Ctrl
// held it zooms about the cursor.
func (sv *SliceView) Scrolled(ev *fyne.ScrollEvent) {
	sv.scrollAccum += ev.Scrolled.DY
	if sv.scrollAccum < scrollStep && sv.scrollAccum > -scrollStep {
		return
	}
	d := 1
	if sv.scrollAccum < 0 {
		d = -1
	}
	sv.scrollAccum = 0
	if ctrlHeld() {
		fx, fy, _ := sv.toDisplay(ev.Position)
		sv.vp.setZoom(sv.vp.zoom*math.Pow(zoomStep, float64(d)), fx, fy)
		return
	}
	sv.Step(d)
}

// ctrlHeld says whether Ctrl (or Cmd on a Mac) is held, where the driver can tell.
func ctrlHeld() bool {
	a := fyne.CurrentApp()
	if a == nil {
		return false
	}
	if d, ok := a.Driver().(desktop.Driver); ok {
		m := d.CurrentKeyModifiers()
		return m&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
	}
	return false
}

// MouseIn starts probing under the cursor.
func (sv *SliceView) MouseIn(ev *desktop.MouseEvent) { sv.MouseMoved(ev) }

// MouseMoved probes the voxel under the cursor; with the right button held it changes the
// window.
func (sv *SliceView) MouseMoved(ev *desktop.MouseEvent) {
	vp := sv.vp
	if sv.button == desktop.MouseButtonSecondary && ev.Button&desktop.MouseButtonSecondary != 0 {
		dx := float64(ev.Position.X - sv.dragFrom.X)
		dy := float64(ev.Position.Y - sv.dragFrom.Y)
		w := viewer.Window{
			Center: sv.dragWindow.Center + dy*windowDragHU,
			Width:  math.Max(1, sv.dragWindow.Width+dx*windowDragHU),
		}
		vp.setWindow(w, "")
	}
	x, y, ok := sv.ProbeAt(ev.Position)
	vp.hover, vp.hx, vp.hy, vp.hoverOK = sv, x, y, ok
	fx, fy, _ := sv.toDisplay(ev.Position)
	vp.hfx, vp.hfy = float32(fx), float32(fy)
	if sv.CursorRadius != nil || sv.Path != nil {
		sv.Refresh()
	}
	if vp.crosshair {
		for _, v := range vp.views {
			v.Refresh()
		}
	}
	vp.updateStatus()
}

// MouseOut stops probing.
func (sv *SliceView) MouseOut() {
	if sv.vp.hover == sv {
		sv.vp.hoverOK = false
	}
	if sv.vp.crosshair {
		sv.Refresh()
	}
	sv.vp.updateStatus()
}

// MouseDown remembers the button (a right drag changes the window), offers a left press to
// OnPointer, and takes the focus.
func (sv *SliceView) MouseDown(ev *desktop.MouseEvent) {
	sv.button = ev.Button
	switch ev.Button {
	case desktop.MouseButtonSecondary:
		sv.dragFrom = ev.Position
		sv.dragWindow = sv.vp.win
	case desktop.MouseButtonPrimary:
		if sv.OnPointer != nil {
			if fx, fy, inside := sv.toDisplay(ev.Position); inside {
				sv.painting = sv.OnPointer(PointerDown, fx, fy)
			}
		}
	}
	sv.focus()
}

// MouseUp ends a drag.
func (sv *SliceView) MouseUp(ev *desktop.MouseEvent) {
	if sv.painting {
		sv.painting = false
		fx, fy, _ := sv.toDisplay(ev.Position)
		sv.OnPointer(PointerUp, fx, fy)
	}
	sv.button = 0
}

// Dragged paints with OnPointer's tool, or pans the zoomed slice (left or middle button).
func (sv *SliceView) Dragged(ev *fyne.DragEvent) {
	if sv.button == desktop.MouseButtonSecondary {
		return
	}
	if sv.painting {
		fx, fy, _ := sv.toDisplay(ev.Position)
		sv.OnPointer(PointerDrag, fx, fy)
		sv.MouseMoved(&desktop.MouseEvent{PointEvent: ev.PointEvent})
		return
	}
	rc := sv.imgRect
	if rc.Size.Width <= 0 || rc.Size.Height <= 0 {
		return
	}
	_, _, cw, ch := sv.vp.crop()
	sv.vp.pan(-float64(ev.Dragged.DX)/float64(rc.Size.Width)*float64(cw),
		-float64(ev.Dragged.DY)/float64(rc.Size.Height)*float64(ch))
}

// DragEnd is part of fyne.Draggable.
func (sv *SliceView) DragEnd() {}

// Tapped takes the keyboard focus.
func (sv *SliceView) Tapped(*fyne.PointEvent) { sv.focus() }

func (sv *SliceView) focus() {
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	if c := a.Driver().CanvasForObject(sv); c != nil {
		c.Focus(sv)
	}
}

// FocusGained is part of fyne.Focusable.
func (sv *SliceView) FocusGained() {}

// FocusLost is part of fyne.Focusable.
func (sv *SliceView) FocusLost() {}

// TypedRune handles the view's keys (windows, zoom, cross-hair) and passes the others to OnKey.
func (sv *SliceView) TypedRune(r rune) {
	if sv.viewRune(r) {
		return
	}
	if sv.OnKey != nil {
		sv.OnKey("", r)
	}
}

func (sv *SliceView) viewRune(r rune) bool {
	switch r {
	case '+', '=':
		sv.SetZoom(sv.vp.zoom * zoomStep)
	case '-':
		sv.SetZoom(sv.vp.zoom / zoomStep)
	case '0':
		sv.ResetView()
	case 'c', 'C':
		sv.ToggleCrosshair()
	default:
		return sv.SetPreset(r)
	}
	return true
}

// TypedKey moves through the slices and passes the other keys to OnKey.
func (sv *SliceView) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp:
		sv.Step(1)
	case fyne.KeyDown:
		sv.Step(-1)
	case fyne.KeyPageUp:
		sv.Step(pageStep)
	case fyne.KeyPageDown:
		sv.Step(-pageStep)
	case fyne.KeyHome:
		sv.SetSlice(0)
	case fyne.KeyEnd:
		sv.SetSlice(sv.vp.n - 1)
	default:
		if sv.OnKey != nil {
			sv.OnKey(ev.Name, 0)
		}
	}
}

// MinSize is small; the view grows with its window.
func (sv *SliceView) MinSize() fyne.Size { return fyne.NewSize(128, 128) }

// CreateRenderer is part of fyne.Widget.
func (sv *SliceView) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(backgroundColor)
	o := sv.r.Orientation()
	mark := ""
	if o.Oblique > obliqueDegrees {
		mark = "~"
	}
	r := &sliceViewRenderer{sv: sv, bg: bg}
	for i, s := range []string{o.Left, o.Right, o.Top, o.Bottom} {
		t := canvas.NewText(mark+s, letterColor)
		t.TextStyle = fyne.TextStyle{Bold: true}
		r.letters[i] = t
	}
	r.caption = canvas.NewText("", captionColor)
	r.caption.TextStyle = fyne.TextStyle{Bold: true}
	r.cross[0] = canvas.NewLine(crosshairColor)
	r.cross[1] = canvas.NewLine(crosshairColor)
	r.cursor = canvas.NewCircle(color.Transparent)
	r.cursor.StrokeColor = cursorColor
	r.cursor.StrokeWidth = 1
	r.bar = canvas.NewLine(scaleBarColor)
	r.bar.StrokeWidth = 2
	r.barText = canvas.NewText("", scaleBarColor)
	r.barText.TextSize = 11
	return r
}

// rect is a rectangle in widget coordinates.
type rect struct {
	Position fyne.Position
	Size     fyne.Size
}

type sliceViewRenderer struct {
	sv      *SliceView
	bg      *canvas.Rectangle
	letters [4]*canvas.Text // left, right, top, bottom
	caption *canvas.Text
	cross   [2]*canvas.Line // horizontal, vertical
	cursor  *canvas.Circle  // the brush around the pointer
	path    []*canvas.Line  // the lasso's segments (a pool: those past the lasso are hidden)
	bar     *canvas.Line
	barText *canvas.Text
	size    fyne.Size
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

func (r *sliceViewRenderer) Layout(size fyne.Size) {
	r.size = size
	sv := r.sv
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	_, _, cw, ch := sv.vp.crop()
	rc := fit(size, cw, ch, sv.r.Aspect())
	sv.imgRect = rc
	sv.img.Move(rc.Position)
	sv.img.Resize(rc.Size)
	const pad = 4
	x0, y0 := rc.Position.X, rc.Position.Y
	x1, y1 := x0+rc.Size.Width, y0+rc.Size.Height
	cx, cy := x0+rc.Size.Width/2, y0+rc.Size.Height/2
	place := func(t *canvas.Text, x, y float32) {
		ms := t.MinSize()
		t.Resize(ms)
		t.Move(fyne.NewPos(x, y))
	}
	l, rt, t, b := r.letters[0], r.letters[1], r.letters[2], r.letters[3]
	place(l, x0+pad, cy-l.MinSize().Height/2)
	place(rt, x1-pad-rt.MinSize().Width, cy-rt.MinSize().Height/2)
	place(t, cx-t.MinSize().Width/2, y0+pad)
	place(b, cx-b.MinSize().Width/2, y1-pad-b.MinSize().Height)
	r.caption.Text = sv.Caption
	place(r.caption, pad, pad)
	r.layoutScaleBar(rc, cw)
	r.layoutCrosshair(rc)
	r.layoutCursor(rc, cw, ch)
	r.layoutPath(rc, cw, ch)
}

// layoutPath draws sv.Path, closed, over the image.
func (r *sliceViewRenderer) layoutPath(rc rect, cw, ch int) {
	var pts []viewer.Point
	if r.sv.Path != nil && rc.Size.Width > 0 {
		pts = r.sv.Path()
	}
	n := len(pts) // segments, the closing one included
	if n < 2 {
		n = 0
	}
	for len(r.path) < n {
		l := canvas.NewLine(cursorColor)
		l.StrokeWidth = 1.5
		r.path = append(r.path, l)
	}
	x0, y0, _, _ := r.sv.vp.crop()
	sx, sy := rc.Size.Width/float32(cw), rc.Size.Height/float32(ch)
	at := func(p viewer.Point) fyne.Position {
		return fyne.NewPos(rc.Position.X+(float32(p.X)-float32(x0))*sx, rc.Position.Y+(float32(p.Y)-float32(y0))*sy)
	}
	for i, l := range r.path {
		l.Hidden = i >= n
		if !l.Hidden {
			l.Position1, l.Position2 = at(pts[i]), at(pts[(i+1)%n])
		}
	}
}

// layoutCursor draws the brush circle around the pointer while it is over this view.
func (r *sliceViewRenderer) layoutCursor(rc rect, cw, ch int) {
	sv, vp := r.sv, r.sv.vp
	r.cursor.Hidden = true
	if sv.CursorRadius == nil || !vp.hoverOK || vp.hover != sv || rc.Size.Width <= 0 {
		return
	}
	rx, ry, ok := sv.CursorRadius()
	if !ok {
		return
	}
	x0, y0, _, _ := vp.crop()
	sx, sy := rc.Size.Width/float32(cw), rc.Size.Height/float32(ch)
	px := rc.Position.X + (vp.hfx-float32(x0))*sx
	py := rc.Position.Y + (vp.hfy-float32(y0))*sy
	r.cursor.Position1 = fyne.NewPos(px-float32(rx)*sx, py-float32(ry)*sy)
	r.cursor.Position2 = fyne.NewPos(px+float32(rx)*sx, py+float32(ry)*sy)
	r.cursor.Hidden = false
}

// layoutScaleBar puts a round-length bar (at most a fifth of the image) at the bottom left.
func (r *sliceViewRenderer) layoutScaleBar(rc rect, cw int) {
	dx, _ := r.sv.r.PixelSpacing()
	r.bar.Hidden, r.barText.Hidden = true, true
	if rc.Size.Width <= 0 {
		return
	}
	mmPerScreen := dx * float64(cw) / float64(rc.Size.Width)
	mm, px, ok := viewer.ScaleBar(mmPerScreen, int(rc.Size.Width/5))
	if !ok || px < 4 {
		return
	}
	const pad = 8
	x0 := rc.Position.X + pad
	y := rc.Position.Y + rc.Size.Height - pad
	r.bar.Position1 = fyne.NewPos(x0, y)
	r.bar.Position2 = fyne.NewPos(x0+float32(px), y)
	if mm >= 10 {
		r.barText.Text = formatMM(mm/10) + " cm"
	} else {
		r.barText.Text = formatMM(mm) + " mm"
	}
	ms := r.barText.MinSize()
	r.barText.Resize(ms)
	r.barText.Move(fyne.NewPos(x0, y-ms.Height-2))
	r.bar.Hidden, r.barText.Hidden = false, false
}

func formatMM(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// layoutCrosshair draws the cross-hair through the pointer's pixel when it is on and the
// pointer is over one of the linked views.
func (r *sliceViewRenderer) layoutCrosshair(rc rect) {
	vp := r.sv.vp
	show := vp.crosshair && vp.hoverOK && rc.Size.Width > 0
	r.cross[0].Hidden, r.cross[1].Hidden = !show, !show
	if !show {
		return
	}
	x0, y0, cw, ch := vp.crop()
	px := rc.Position.X + (float32(vp.hx)+0.5-float32(x0))/float32(cw)*rc.Size.Width
	py := rc.Position.Y + (float32(vp.hy)+0.5-float32(y0))/float32(ch)*rc.Size.Height
	r.cross[0].Position1 = fyne.NewPos(rc.Position.X, py)
	r.cross[0].Position2 = fyne.NewPos(rc.Position.X+rc.Size.Width, py)
	r.cross[1].Position1 = fyne.NewPos(px, rc.Position.Y)
	r.cross[1].Position2 = fyne.NewPos(px, rc.Position.Y+rc.Size.Height)
}

func (r *sliceViewRenderer) MinSize() fyne.Size { return r.sv.MinSize() }

func (r *sliceViewRenderer) Refresh() {
	// The zoom, the pan, the cross-hair or the caption may have moved things.
	if !r.size.IsZero() {
		r.Layout(r.size)
	}
	r.sv.img.Refresh()
	for _, o := range r.Objects() {
		if o != r.sv.img {
			o.Refresh()
		}
	}
}

func (r *sliceViewRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg, r.sv.img, r.letters[0], r.letters[1], r.letters[2], r.letters[3],
		r.caption, r.cross[0], r.cross[1], r.cursor, r.bar, r.barText}
	for _, l := range r.path {
		objs = append(objs, l)
	}
	return objs
}

func (r *sliceViewRenderer) Destroy() {}

var (
	_ fyne.Widget       = (*SliceView)(nil)
	_ fyne.Scrollable   = (*SliceView)(nil)
	_ fyne.Focusable    = (*SliceView)(nil)
	_ fyne.Tappable     = (*SliceView)(nil)
	_ fyne.Draggable    = (*SliceView)(nil)
	_ desktop.Hoverable = (*SliceView)(nil)
	_ desktop.Mouseable = (*SliceView)(nil)
)
