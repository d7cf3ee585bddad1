package sliceview

// The drawing: the slice image (rendered by viewer.Renderer, cropped to the zoom), and the Fyne
// widget renderer that lays out over it the orientation letters, the caption, the scale bar,
// the cross-hair, the brush circle and the lasso.

import (
	"image"
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"liverseg/viewer"
)

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

// RedrawRect renders again only the pixels of rect (display pixels of the current slice) of this
// view, into the image on screen: what a brush stroke changed (Renderer.RenderRect gives each
// pixel exactly what a whole render would). The other linked views are not redrawn.
func (sv *View) RedrawRect(rect image.Rectangle) {
	if rect.Empty() || sv.notice != "" {
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
func (sv *View) refresh() {
	sv.draw()
	sv.showCrop()
	sv.Refresh()
}

func (sv *View) draw() {
	sv.r.Window = sv.vp.win
	next := 1 - sv.cur
	if note, ok := sv.readable(sv.vp.k); !ok {
		drawPlaceholder(sv.bufs[next])
		sv.notice, sv.err = note, nil
		sv.cur = next
		return
	}
	sv.notice = ""
	if err := sv.r.RenderTo(sv.bufs[next], sv.vp.k); err != nil {
		sv.err = err
		return
	}
	sv.err = nil
	sv.cur = next
}

// showCrop puts the part of the slice that the zoom and pan leave on screen into the image.
func (sv *View) showCrop() {
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

// CreateRenderer is part of fyne.Widget.
func (sv *View) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(backgroundColor)
	o := sv.r.Orientation() // the letters of the plane's edges
	mark := ""
	if o.Oblique > obliqueDegrees {
		mark = "~"
	}
	r := &viewRenderer{sv: sv, bg: bg}
	for i, s := range []string{o.Left, o.Right, o.Top, o.Bottom} {
		t := canvas.NewText(mark+s, letterColor)
		t.TextStyle = fyne.TextStyle{Bold: true}
		r.letters[i] = t
	}
	r.caption = canvas.NewText("", captionColor)
	r.caption.TextStyle = fyne.TextStyle{Bold: true}
	r.notice = canvas.NewText("", captionColor)
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

// viewRenderer is the view's Fyne renderer: the image and what is drawn over it.
type viewRenderer struct {
	sv      *View
	bg      *canvas.Rectangle
	letters [4]*canvas.Text // left, right, top, bottom
	caption *canvas.Text
	notice  *canvas.Text    // in place of a slice not shown: loading, or why it failed
	cross   [2]*canvas.Line // horizontal, vertical
	cursor  *canvas.Circle  // the brush around the pointer
	path    []*canvas.Line  // the lasso's segments (a pool: those past the lasso are hidden)
	bar     *canvas.Line
	barText *canvas.Text
	size    fyne.Size
}

func (r *viewRenderer) Layout(size fyne.Size) {
	r.size = size
	sv := r.sv
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	_, _, cw, ch := sv.vp.crop()
	rc := fit(size, cw, ch, sv.r.Aspect()) // the plane's row spacing over its column spacing
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
	r.notice.Text = sv.notice
	r.notice.Hidden = sv.notice == ""
	place(r.notice, max(x0+pad, cx-r.notice.MinSize().Width/2), cy-r.notice.MinSize().Height/2)
	r.layoutScaleBar(rc, cw)
	r.layoutCrosshair(rc)
	r.layoutCursor(rc, cw, ch)
	r.layoutPath(rc, cw, ch)
}

// layoutPath draws sv.Path, closed, over the image.
func (r *viewRenderer) layoutPath(rc rect, cw, ch int) {
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
func (r *viewRenderer) layoutCursor(rc rect, cw, ch int) {
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
func (r *viewRenderer) layoutScaleBar(rc rect, cw int) {
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

// layoutCrosshair draws the cross-hair: in linked planes through their shared point, else
// through the pointer's pixel when it is on and the pointer is over one of the linked views.
func (r *viewRenderer) layoutCrosshair(rc rect) {
	vp := r.sv.vp
	fx, fy := float32(vp.hx)+0.5, float32(vp.hy)+0.5
	show := vp.crosshair && vp.hoverOK
	if p := r.sv.planes; p != nil {
		fx, fy, show = p.crosshairIn(r.sv)
		show = show && p.shown
		// Each line in the colour of the plane it is the slice of.
		for i, pl := range crossingPlanes[r.sv.r.Plane()] {
			c := PlaneColor(pl)
			c.A = crosshairColor.A
			r.cross[i].StrokeColor = c
		}
	}
	show = show && rc.Size.Width > 0
	r.cross[0].Hidden, r.cross[1].Hidden = !show, !show
	if !show {
		return
	}
	x0, y0, cw, ch := vp.crop()
	px := rc.Position.X + (fx-float32(x0))/float32(cw)*rc.Size.Width
	py := rc.Position.Y + (fy-float32(y0))/float32(ch)*rc.Size.Height
	r.cross[0].Position1 = fyne.NewPos(rc.Position.X, py)
	r.cross[0].Position2 = fyne.NewPos(rc.Position.X+rc.Size.Width, py)
	r.cross[1].Position1 = fyne.NewPos(px, rc.Position.Y)
	r.cross[1].Position2 = fyne.NewPos(px, rc.Position.Y+rc.Size.Height)
}

func (r *viewRenderer) MinSize() fyne.Size { return r.sv.MinSize() }

func (r *viewRenderer) Refresh() {
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

func (r *viewRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg, r.sv.img, r.letters[0], r.letters[1], r.letters[2], r.letters[3],
		r.caption, r.notice, r.cross[0], r.cross[1], r.cursor, r.bar, r.barText}
	for _, l := range r.path {
		objs = append(objs, l)
	}
	return objs
}

func (r *viewRenderer) Destroy() {}
