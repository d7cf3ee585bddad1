package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"

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

// Presets are the windows keys 1 and 2 select.
var Presets = []Preset{
	{Name: "liver", Key: '1', Window: viewer.WindowLiver},
	{Name: "abdomen", Key: '2', Window: viewer.WindowAbdomen},
}

// scrollStep is how much wheel delta moves one slice. Fyne reports 25 per wheel notch on Linux
// and Windows and 10 on macOS, finer steps from touchpads; a notch is one slice everywhere.
const scrollStep = 10

// pageStep is how many slices PageUp and PageDown move.
const pageStep = 10

// obliqueDegrees is the tilt above which the orientation letters are marked approximate.
const obliqueDegrees = 5

var (
	letterColor     = color.NRGBA{R: 255, G: 220, B: 0, A: 255}
	backgroundColor = color.NRGBA{A: 255}
)

// SliceView shows the canonical axial slices of one volume, drawn by a viewer.Renderer, at their
// physical aspect, with the patient directions at the edges. The mouse wheel, Up/Down,
// PageUp/PageDown, Home/End and the slider move through the slices (up is toward the head);
// keys 1 and 2 pick the liver and abdomen windows; the status line says the slice, the window
// and the voxel and HU under the cursor.
//
// A SliceView is used from the Fyne goroutine only.
type SliceView struct {
	widget.BaseWidget

	r      *viewer.Renderer
	k      int
	n      int
	preset string // name of the current window preset, "" when custom

	bufs [2]*image.RGBA // rendered alternately so a changed slice is a changed image
	cur  int
	img  *canvas.Image
	err  error // of the last render

	slider *widget.Slider
	status *widget.Label

	imgRect     rect // where the image is drawn, in widget coordinates
	hover       bool
	hoverPos    fyne.Position
	scrollAccum float32

	// OnChanged, when set, is called after the slice or the window changed.
	OnChanged func()
}

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
	sv := &SliceView{r: r, n: r.Slices()}
	sv.bufs[0] = image.NewRGBA(image.Rect(0, 0, w, h))
	sv.bufs[1] = image.NewRGBA(image.Rect(0, 0, w, h))
	sv.img = canvas.NewImageFromImage(sv.bufs[0])
	sv.img.FillMode = canvas.ImageFillStretch
	sv.img.ScaleMode = canvas.ImageScaleSmooth
	sv.status = widget.NewLabel("")
	sv.status.Truncation = fyne.TextTruncateEllipsis
	sv.slider = widget.NewSlider(1, float64(max(sv.n, 1)))
	sv.slider.Step = 1
	if sv.n <= 1 {
		sv.slider.Disable()
	}
	sv.slider.OnChanged = func(v float64) { sv.SetSlice(int(math.Round(v)) - 1) }
	sv.ExtendBaseWidget(sv)
	sv.r.Window = Presets[0].Window
	sv.preset = Presets[0].Name
	sv.k = sv.n / 2
	sv.slider.Value = float64(sv.k + 1)
	sv.draw()
	sv.updateStatus()
	return sv
}

// Renderer is the renderer behind the view (its settings take effect at the next Redraw).
func (sv *SliceView) Renderer() *viewer.Renderer { return sv.r }

// Slice is the current canonical slice, 0-based.
func (sv *SliceView) Slice() int { return sv.k }

// Slices is the number of slices.
func (sv *SliceView) Slices() int { return sv.n }

// Window is the current CT window.
func (sv *SliceView) Window() viewer.Window { return sv.r.Window }

// Slider is the slice slider the view keeps in step (1-based values).
func (sv *SliceView) Slider() *widget.Slider { return sv.slider }

// Status is the status line the view keeps up to date.
func (sv *SliceView) Status() *widget.Label { return sv.status }

// StatusText is the text of the status line.
func (sv *SliceView) StatusText() string { return sv.status.Text }

// Image is the picture shown for the current slice.
func (sv *SliceView) Image() *image.RGBA { return sv.bufs[sv.cur] }

// Content is the view with its slider and status line below it.
func (sv *SliceView) Content() fyne.CanvasObject {
	return container.NewBorder(nil, container.NewVBox(sv.slider, sv.status), nil, nil, sv)
}

// SetSlice shows canonical slice k, clamped to the volume.
func (sv *SliceView) SetSlice(k int) {
	k = max(0, min(k, sv.n-1))
	if k == sv.k {
		return
	}
	sv.k = k
	sv.slider.SetValue(float64(k + 1)) // its OnChanged comes back here with the same k
	sv.Redraw()
}

// Step moves d slices (positive toward the head), clamped.
func (sv *SliceView) Step(d int) { sv.SetSlice(sv.k + d) }

// SetWindow sets the CT window; name is the preset's name or "".
func (sv *SliceView) SetWindow(w viewer.Window, name string) {
	sv.r.Window = w
	sv.preset = name
	sv.Redraw()
}

// SetPreset selects the preset that key (a rune such as '1') stands for; it says whether there
// was one.
func (sv *SliceView) SetPreset(key rune) bool {
	for _, p := range Presets {
		if p.Key == key {
			sv.SetWindow(p.Window, p.Name)
			return true
		}
	}
	return false
}

// Redraw renders the current slice again and updates the status line.
func (sv *SliceView) Redraw() {
	sv.draw()
	sv.img.Refresh()
	sv.updateStatus()
	if sv.OnChanged != nil {
		sv.OnChanged()
	}
}

func (sv *SliceView) draw() {
	next := 1 - sv.cur
	if err := sv.r.RenderTo(sv.bufs[next], sv.k); err != nil {
		sv.err = err
		return
	}
	sv.err = nil
	sv.cur = next
	sv.img.Image = sv.bufs[next]
}

// ProbeAt maps a position in the view (widget coordinates) to the display pixel under it,
// undoing the scaling and centring of the image. ok is false outside the image.
func (sv *SliceView) ProbeAt(pos fyne.Position) (x, y int, ok bool) {
	rc := sv.imgRect
	if rc.Size.Width <= 0 || rc.Size.Height <= 0 {
		return 0, 0, false
	}
	w, h := sv.r.Size()
	fx := float64(pos.X-rc.Position.X) / float64(rc.Size.Width) * float64(w)
	fy := float64(pos.Y-rc.Position.Y) / float64(rc.Size.Height) * float64(h)
	if fx < 0 || fy < 0 || fx >= float64(w) || fy >= float64(h) {
		return 0, 0, false
	}
	return int(fx), int(fy), true
}

// ImageRect is where the slice is drawn inside the view, in widget coordinates.
func (sv *SliceView) ImageRect() (pos fyne.Position, size fyne.Size) {
	return sv.imgRect.Position, sv.imgRect.Size
}

func (sv *SliceView) updateStatus() {
	win := sv.r.Window
	s := fmt.Sprintf("slice %d/%d   W %g L %g", sv.k+1, sv.n, win.Width, win.Center)
	if sv.preset != "" {
		s += " (" + sv.preset + ")"
	}
	if sv.hover {
		if x, y, ok := sv.ProbeAt(sv.hoverPos); ok {
			if i, j, kv, hu, ok := sv.r.Probe(sv.k, x, y); ok {
				s += fmt.Sprintf("   voxel (%d, %d, %d)   %d HU", i, j, kv, hu)
			}
		}
	}
	if o := sv.r.Orientation(); o.Oblique > obliqueDegrees {
		s += fmt.Sprintf("   oblique %.0f°", o.Oblique)
	}
	if sv.err != nil {
		s += "   " + sv.err.Error()
	}
	sv.status.SetText(s)
}

// Scrolled moves through the slices: one slice per wheel notch, up toward the head.
func (sv *SliceView) Scrolled(ev *fyne.ScrollEvent) {
	sv.scrollAccum += ev.Scrolled.DY
	if sv.scrollAccum >= scrollStep || sv.scrollAccum <= -scrollStep {
		d := 1
		if sv.scrollAccum < 0 {
			d = -1
		}
		sv.scrollAccum = 0
		sv.Step(d)
	}
}

// MouseIn starts probing under the cursor.
func (sv *SliceView) MouseIn(ev *desktop.MouseEvent) { sv.MouseMoved(ev) }

// MouseMoved probes the voxel under the cursor.
func (sv *SliceView) MouseMoved(ev *desktop.MouseEvent) {
	sv.hover = true
	sv.hoverPos = ev.Position
	sv.updateStatus()
}

// MouseOut stops probing.
func (sv *SliceView) MouseOut() {
	sv.hover = false
	sv.updateStatus()
}

// Tapped takes the keyboard focus.
func (sv *SliceView) Tapped(*fyne.PointEvent) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(sv); c != nil {
		c.Focus(sv)
	}
}

// FocusGained is part of fyne.Focusable.
func (sv *SliceView) FocusGained() {}

// FocusLost is part of fyne.Focusable.
func (sv *SliceView) FocusLost() {}

// TypedRune selects a window preset by its key.
func (sv *SliceView) TypedRune(r rune) { sv.SetPreset(r) }

// TypedKey moves through the slices.
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
		sv.SetSlice(sv.n - 1)
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
	letters := [4]*canvas.Text{}
	for i, s := range []string{o.Left, o.Right, o.Top, o.Bottom} {
		t := canvas.NewText(mark+s, letterColor)
		t.TextStyle = fyne.TextStyle{Bold: true}
		letters[i] = t
	}
	return &sliceViewRenderer{sv: sv, bg: bg, letters: letters}
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
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	w, h := r.sv.r.Size()
	rc := fit(size, w, h, r.sv.r.Aspect())
	r.sv.imgRect = rc
	r.sv.img.Move(rc.Position)
	r.sv.img.Resize(rc.Size)
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
}

func (r *sliceViewRenderer) MinSize() fyne.Size { return r.sv.MinSize() }

func (r *sliceViewRenderer) Refresh() {
	r.sv.img.Refresh()
	r.bg.Refresh()
	for _, t := range r.letters {
		t.Refresh()
	}
}

func (r *sliceViewRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.sv.img, r.letters[0], r.letters[1], r.letters[2], r.letters[3]}
}

func (r *sliceViewRenderer) Destroy() {}

var (
	_ fyne.Widget       = (*SliceView)(nil)
	_ fyne.Scrollable   = (*SliceView)(nil)
	_ fyne.Focusable    = (*SliceView)(nil)
	_ fyne.Tappable     = (*SliceView)(nil)
	_ desktop.Hoverable = (*SliceView)(nil)
)
