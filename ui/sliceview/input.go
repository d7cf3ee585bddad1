package sliceview

// The view's input: the wheel, the mouse buttons and drags, the keys and the focus.

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"liverseg/viewer"
)

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

// PointerPhase is the stage of a press-drag-release of the left button.
type PointerPhase int

const (
	PointerDown PointerPhase = iota
	PointerDrag
	PointerUp
)

// Scrolled moves through the slices, one slice per wheel notch (up: toward the head in axial;
// see Step); with Ctrl held it zooms about the cursor.
func (sv *View) Scrolled(ev *fyne.ScrollEvent) {
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

// ModifierHeld says whether any of the modifier keys m is held, where the driver can tell (a
// scroll or a tool's click carries no modifiers of its own).
func ModifierHeld(m fyne.KeyModifier) bool {
	a := fyne.CurrentApp()
	if a == nil {
		return false
	}
	if d, ok := a.Driver().(desktop.Driver); ok {
		return d.CurrentKeyModifiers()&m != 0
	}
	return false
}

// ctrlHeld says whether Ctrl (or Cmd on a Mac) is held.
func ctrlHeld() bool { return ModifierHeld(fyne.KeyModifierControl | fyne.KeyModifierSuper) }

// MouseIn starts probing under the cursor.
func (sv *View) MouseIn(ev *desktop.MouseEvent) {
	sv.pointerIn = true
	sv.MouseMoved(ev)
}

// MouseMoved probes the voxel under the cursor; with the right button held it changes the
// window.
func (sv *View) MouseMoved(ev *desktop.MouseEvent) {
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
func (sv *View) MouseOut() {
	sv.pointerIn = false
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
func (sv *View) MouseDown(ev *desktop.MouseEvent) {
	sv.button = ev.Button
	switch ev.Button {
	case desktop.MouseButtonSecondary:
		sv.dragFrom = ev.Position
		sv.dragWindow = sv.vp.win
	case desktop.MouseButtonPrimary:
		sv.pressTaken = false
		if sv.planes != nil && ev.Modifier&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0 {
			// Ctrl+click moves the cross-hair whatever tool is on.
			sv.pressTaken = sv.planes.clickAt(sv, ev.Position)
			break
		}
		if sv.OnPointer != nil {
			if fx, fy, inside := sv.toDisplay(ev.Position); inside {
				sv.painting = sv.OnPointer(PointerDown, fx, fy)
				sv.pressTaken = sv.painting
			}
		}
	}
	sv.focus()
}

// MouseUp ends a drag; a right click that did not move is offered to OnSecondaryClick.
func (sv *View) MouseUp(ev *desktop.MouseEvent) {
	if sv.button == desktop.MouseButtonSecondary && sv.OnSecondaryClick != nil && ev.Position == sv.dragFrom {
		if fx, fy, inside := sv.toDisplay(ev.Position); inside {
			sv.OnSecondaryClick(fx, fy)
		}
	}
	if sv.painting {
		sv.painting = false
		fx, fy, _ := sv.toDisplay(ev.Position)
		sv.OnPointer(PointerUp, fx, fy)
	}
	sv.button = 0
}

// Dragged paints with OnPointer's tool, or pans the zoomed slice (left or middle button).
func (sv *View) Dragged(ev *fyne.DragEvent) {
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
func (sv *View) DragEnd() {}

// Tapped takes the keyboard focus and, in linked planes, moves the cross-hair to the voxel
// clicked, unless the press went to an edit tool.
func (sv *View) Tapped(ev *fyne.PointEvent) {
	if sv.planes != nil && !sv.pressTaken {
		sv.planes.clickAt(sv, ev.Position)
	}
	sv.pressTaken = false
	sv.focus()
}

func (sv *View) focus() {
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	if c := a.Driver().CanvasForObject(sv); c != nil {
		c.Focus(sv)
	}
}

// FocusGained is part of fyne.Focusable.
func (sv *View) FocusGained() {}

// FocusLost is part of fyne.Focusable.
func (sv *View) FocusLost() {}

// TypedRune handles the view's keys (windows, zoom, cross-hair) and passes the others to OnKey.
func (sv *View) TypedRune(r rune) {
	if sv.viewRune(r) {
		return
	}
	if sv.OnKey != nil {
		sv.OnKey("", r)
	}
}

func (sv *View) viewRune(r rune) bool {
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
func (sv *View) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp: // axial: toward the head (see Step)
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
