package sliceview

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"liverseg/scan"
	"liverseg/ui/internal/synthvol"
	"liverseg/viewer"
)

// openPlanes shows linked axial, coronal and sagittal views of the synthetic volume side by
// side in a test window.
func openPlanes(t *testing.T) (views [3]*View, p *Planes, w fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	v := synthvol.Volume()
	for i, pl := range scan.Planes {
		r, err := viewer.NewPlaneRenderer(v, pl)
		if err != nil {
			t.Fatal(err)
		}
		views[i] = NewWithRenderer(r)
	}
	p = LinkPlanes(views[:]...)
	w = test.NewWindow(container.NewGridWithColumns(3, views[0], views[1], views[2]))
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(900, 400))
	return views, p, w
}

// pixelAt is the canvas position of the centre of display pixel (x, y) of sv.
func pixelAt(sv *View, x, y int) fyne.Position {
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(sv)
	pos, size := sv.ImageRect()
	w, h := sv.Renderer().Size()
	return abs.Add(pos).Add(fyne.NewPos((float32(x)+0.5)*size.Width/float32(w), (float32(y)+0.5)*size.Height/float32(h)))
}

// slicesThrough checks that every view shows the slice through canonical voxel pt.
func slicesThrough(t *testing.T, views [3]*View, pt [3]int) {
	t.Helper()
	c := views[0].Renderer().AxialCanonical()
	for _, sv := range views {
		if _, _, s := c.ToPlane(sv.Plane(), pt[0], pt[1], pt[2]); sv.Slice() != s {
			t.Errorf("%v view on slice %d, want %d (the point %v)", sv.Plane(), sv.Slice(), s, pt)
		}
	}
}

// TestPlanesClickMovesOthers: a click in the coronal view puts the cross-hair on the voxel
// clicked and the axial and sagittal views on the slices through it; Ctrl+click does the same
// while an edit tool takes plain presses; a slice change in one view moves the point along its
// axis only.
func TestPlanesClickMovesOthers(t *testing.T) {
	views, p, w := openPlanes(t)
	slicesThrough(t, views, p.Point())
	cor := views[1]
	c := cor.Renderer().AxialCanonical()
	test.TapCanvas(w.Canvas(), pixelAt(cor, 7, 3))
	i, j, k := c.FromPlane(scan.Coronal, 7, 3, cor.Slice())
	if got := p.Point(); got != [3]int{i, j, k} {
		t.Fatalf("after a click on coronal pixel (7, 3): point %v, want %v", got, [3]int{i, j, k})
	}
	slicesThrough(t, views, p.Point())
	if views[0].Slice() != k || views[2].Slice() != i {
		t.Fatalf("axial slice %d, sagittal %d; want %d and %d", views[0].Slice(), views[2].Slice(), k, i)
	}

	// With a tool taking presses, a plain click paints and leaves the point; Ctrl+click moves it.
	var presses int
	sag := views[2]
	sag.OnPointer = func(phase PointerPhase, x, y float64) bool {
		if phase == PointerDown {
			presses++
		}
		return true
	}
	before := p.Point()
	at := pixelAt(sag, 20, 2)
	test.MoveMouse(w.Canvas(), at)
	pos := at.Subtract(fyne.CurrentApp().Driver().AbsolutePositionForObject(sag))
	press := &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: pos, AbsolutePosition: at}, Button: desktop.MouseButtonPrimary}
	sag.MouseDown(press)
	sag.MouseUp(press)
	sag.Tapped(&press.PointEvent)
	if presses != 1 || p.Point() != before {
		t.Fatalf("a plain click with a tool: %d presses, point %v (was %v)", presses, p.Point(), before)
	}
	press.Modifier = fyne.KeyModifierControl
	sag.MouseDown(press)
	sag.MouseUp(press)
	sag.Tapped(&press.PointEvent)
	i, j, k = c.FromPlane(scan.Sagittal, 20, 2, sag.Slice())
	if presses != 1 || p.Point() != [3]int{i, j, k} {
		t.Fatalf("Ctrl+click: %d presses, point %v, want %v", presses, p.Point(), [3]int{i, j, k})
	}
	slicesThrough(t, views, p.Point())

	// The wheel in axial moves the point up one slice; coronal and sagittal stay.
	before = p.Point()
	cs, ss := views[1].Slice(), views[2].Slice()
	views[0].Step(1)
	if want := [3]int{before[0], before[1], before[2] + 1}; p.Point() != want || views[1].Slice() != cs || views[2].Slice() != ss {
		t.Fatalf("axial step: point %v (want %v), coronal %d sagittal %d (were %d, %d)", p.Point(), want, views[1].Slice(), views[2].Slice(), cs, ss)
	}
}

// TestPlanesShareWindowAndStatus: a window preset in one view reaches the others, and the one
// status line names the plane of the view last used.
func TestPlanesShareWindowAndStatus(t *testing.T) {
	views, _, _ := openPlanes(t)
	views[2].SetPreset('2')
	for _, sv := range views {
		if sv.Window() != viewer.WindowAbdomen {
			t.Errorf("%v: window %+v after the abdomen preset in sagittal", sv.Plane(), sv.Window())
		}
	}
	views[1].Step(1)
	if s := views[0].StatusText(); !strings.HasPrefix(s, "coronal ") {
		t.Errorf("status after a coronal step: %q", s)
	}
	views[0].Step(1)
	if s := views[0].StatusText(); !strings.HasPrefix(s, "slice ") {
		t.Errorf("status after an axial step: %q", s)
	}
	views[1].ToggleCrosshair()
	for _, sv := range views {
		if sv.Crosshair() {
			t.Errorf("%v: cross-hair shown after C", sv.Plane())
		}
	}
}
