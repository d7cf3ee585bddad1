package sliceview

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"liverseg/ui/internal/synthvol"
	"liverseg/viewer"
)

// openSynth shows a view of the synthetic volume in a 500×500 test window.
func openSynth(t *testing.T) (*View, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	sv, err := New(synthvol.Volume())
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(sv.Content())
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(500, 500))
	return sv, w
}

// centre is the absolute canvas position of the middle of the view's image.
func centre(sv *View) fyne.Position {
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(sv)
	pos, size := sv.ImageRect()
	return abs.Add(pos).Add(fyne.NewPos(size.Width/2, size.Height/2))
}

func TestOpenSynthetic(t *testing.T) {
	sv, _ := openSynth(t)
	if sv.Slices() != 12 || sv.Slice() != 6 {
		t.Fatalf("slices %d, slice %d; want 12 and the middle, 6", sv.Slices(), sv.Slice())
	}
	if sv.Window() != viewer.WindowLiver {
		t.Errorf("window %+v, want the liver window", sv.Window())
	}
	if !strings.Contains(sv.StatusText(), "slice 7/12") {
		t.Errorf("status %q does not say slice 7/12", sv.StatusText())
	}
	if got := sv.Image().Bounds().Size(); got.X != 40 || got.Y != 30 {
		t.Errorf("image %v, want 40×30", got)
	}
	// The physical aspect: 30 rows of 1.6 mm over 40 columns of 0.8 mm.
	_, size := sv.ImageRect()
	if r := size.Height / size.Width; math.Abs(float64(r)-1.5) > 0.01 {
		t.Errorf("image drawn %v: height/width %.3f, want 1.5", size, r)
	}
}

func TestScrollChangesSlice(t *testing.T) {
	sv, w := openSynth(t)
	c := w.Canvas()
	k0 := sv.Slice()
	test.Scroll(c, centre(sv), 0, 25) // one wheel notch up
	if sv.Slice() != k0+1 {
		t.Fatalf("after a notch up: slice %d, want %d", sv.Slice(), k0+1)
	}
	test.Scroll(c, centre(sv), 0, -25)
	test.Scroll(c, centre(sv), 0, -25)
	if sv.Slice() != k0-1 {
		t.Fatalf("after two notches down: slice %d, want %d", sv.Slice(), k0-1)
	}
	// Touchpad steps add up to a notch.
	for i := 0; i < 4; i++ {
		test.Scroll(c, centre(sv), 0, 3)
	}
	if sv.Slice() != k0 {
		t.Fatalf("after four small steps up: slice %d, want %d", sv.Slice(), k0)
	}
	if !strings.Contains(sv.StatusText(), fmt.Sprintf("slice %d/12", k0+1)) {
		t.Errorf("status %q", sv.StatusText())
	}
	if sv.Slider().Value != float64(k0+1) {
		t.Errorf("slider at %v, want %d", sv.Slider().Value, k0+1)
	}
}

func TestKeysMoveThroughSlices(t *testing.T) {
	sv, w := openSynth(t)
	w.Canvas().Focus(sv)
	key := func(n fyne.KeyName) { w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: n}) }
	k0 := sv.Slice()
	key(fyne.KeyUp)
	if sv.Slice() != k0+1 {
		t.Fatalf("Up: slice %d, want %d", sv.Slice(), k0+1)
	}
	key(fyne.KeyDown)
	key(fyne.KeyDown)
	if sv.Slice() != k0-1 {
		t.Fatalf("Down twice: slice %d, want %d", sv.Slice(), k0-1)
	}
	key(fyne.KeyPageUp)
	if sv.Slice() != 11 {
		t.Fatalf("PageUp: slice %d, want the last, 11 (clamped)", sv.Slice())
	}
	key(fyne.KeyPageDown)
	if sv.Slice() != 1 {
		t.Fatalf("PageDown: slice %d, want 1", sv.Slice())
	}
	key(fyne.KeyPageDown)
	if sv.Slice() != 0 {
		t.Fatalf("PageDown at 1: slice %d, want 0 (clamped)", sv.Slice())
	}
	sv.Slider().SetValue(4)
	if sv.Slice() != 3 {
		t.Fatalf("slider at 4: slice %d, want 3", sv.Slice())
	}
}

func TestKeysChangeWindow(t *testing.T) {
	sv, _ := openSynth(t)
	liver := append([]uint8(nil), sv.Image().Pix...)
	test.Type(sv, "2")
	if sv.Window() != viewer.WindowAbdomen {
		t.Fatalf("after 2: window %+v, want abdomen", sv.Window())
	}
	if !strings.Contains(sv.StatusText(), "W 400 L 40 (abdomen)") {
		t.Errorf("status %q does not name the abdomen window", sv.StatusText())
	}
	if string(liver) == string(sv.Image().Pix) {
		t.Error("the picture did not change with the window")
	}
	test.Type(sv, "1")
	if sv.Window() != viewer.WindowLiver {
		t.Fatalf("after 1: window %+v, want liver", sv.Window())
	}
	if !strings.Contains(sv.StatusText(), "W 150 L 90 (liver)") {
		t.Errorf("status %q does not name the liver window", sv.StatusText())
	}
	if string(liver) != string(sv.Image().Pix) {
		t.Error("the liver window does not draw the slice as before")
	}
	test.Type(sv, "x") // not a preset: nothing changes
	if sv.Window() != viewer.WindowLiver {
		t.Errorf("after x: window %+v", sv.Window())
	}
}

func TestStatusShowsHUUnderCursor(t *testing.T) {
	sv, w := openSynth(t)
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(sv)
	pos, size := sv.ImageRect()
	for _, p := range [][2]int{{0, 0}, {10, 5}, {39, 29}, {21, 17}} {
		// The middle of display pixel p, in canvas coordinates.
		at := abs.Add(pos).Add(fyne.NewPos((float32(p[0])+0.5)*size.Width/40, (float32(p[1])+0.5)*size.Height/30))
		test.MoveMouse(w.Canvas(), at)
		k := sv.Slice()
		want := fmt.Sprintf("voxel (%d, %d, %d)   %d HU", p[0], p[1], k, synthvol.HU(p[0], p[1], k))
		if !strings.Contains(sv.StatusText(), want) {
			t.Errorf("pointer on pixel %v: status %q, want %q", p, sv.StatusText(), want)
		}
	}
	// Off the image (the black band beside it): no voxel.
	test.MoveMouse(w.Canvas(), abs.Add(fyne.NewPos(2, 2)))
	if strings.Contains(sv.StatusText(), "HU") {
		t.Errorf("pointer off the image: status %q", sv.StatusText())
	}
	test.MoveMouse(w.Canvas(), centre(sv))
	if !strings.Contains(sv.StatusText(), "HU") {
		t.Errorf("pointer on the image: status %q", sv.StatusText())
	}
	// A slice change updates the HU under a still pointer.
	sv.Step(1)
	x, y, _ := sv.ProbeAt(centre(sv).Subtract(abs))
	want := fmt.Sprintf("%d HU", synthvol.HU(x, y, sv.Slice()))
	if !strings.Contains(sv.StatusText(), want) {
		t.Errorf("after a step: status %q, want %q", sv.StatusText(), want)
	}
}

func TestOrientationLetters(t *testing.T) {
	sv, _ := openSynth(t)
	markup := test.RenderObjectToMarkup(sv)
	for _, l := range []string{">R<", ">L<", ">A<", ">P<"} {
		if !strings.Contains(markup, l) {
			t.Errorf("letter %s missing from the view", l)
		}
	}
}

func TestSliceViewZoomPanWindow(t *testing.T) {
	sv, w := openSynth(t)
	x0, y0, ok := sv.ProbeAt(fyne.NewPos(sv.imgRect.Position.X+1, sv.imgRect.Position.Y+1))
	if !ok || x0 != 0 || y0 != 0 {
		t.Fatalf("top left probes (%d, %d) %v", x0, y0, ok)
	}
	sv.TypedRune('+')
	sv.TypedRune('+')
	if z := sv.Zoom(); z < 1.5 {
		t.Fatalf("zoom %v after ++", z)
	}
	x1, y1, _ := sv.ProbeAt(fyne.NewPos(sv.imgRect.Position.X+1, sv.imgRect.Position.Y+1))
	if x1 <= 0 || y1 <= 0 {
		t.Errorf("zoomed in about the centre, the top left shows (%d, %d); want inside the slice", x1, y1)
	}
	// A drag to the right pans toward the left edge.
	sv.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary})
	sv.Dragged(&fyne.DragEvent{Dragged: fyne.NewDelta(400, 400)})
	sv.MouseUp(&desktop.MouseEvent{})
	x2, y2, _ := sv.ProbeAt(fyne.NewPos(sv.imgRect.Position.X+1, sv.imgRect.Position.Y+1))
	if x2 != 0 || y2 != 0 {
		t.Errorf("panned fully to the top left, the corner shows (%d, %d)", x2, y2)
	}
	sv.TypedRune('0')
	if sv.Zoom() != 1 {
		t.Errorf("zoom %v after 0", sv.Zoom())
	}
	// Right drag: 50 px right widens the window by 100 HU, 25 px down raises the level by 50.
	start := sv.Window()
	p := fyne.NewPos(100, 100)
	sv.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonSecondary})
	sv.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p.Add(fyne.NewPos(50, 25))}, Button: desktop.MouseButtonSecondary})
	sv.MouseUp(&desktop.MouseEvent{Button: desktop.MouseButtonSecondary})
	got := sv.Window()
	if got.Width != start.Width+100 || got.Center != start.Center+50 {
		t.Errorf("window after the drag %+v, from %+v", got, start)
	}
	if !strings.Contains(sv.StatusText(), "W 250 L 140") || strings.Contains(sv.StatusText(), "(liver)") {
		t.Errorf("status %q", sv.StatusText())
	}
	sv.TypedRune('c')
	if !sv.Crosshair() {
		t.Error("c did not show the cross-hair")
	}
	_ = w
}
