package sliceview

import (
	"image"
	"image/draw"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"liverseg/ui/internal/synthvol"
	"liverseg/viewer"
)

// The golden images of the composited slice view: the slice, its overlays, the orientation
// letters, the caption and the scale bar as the canvas paints them. Fyne's test package compares
// with testdata/*.png (ui/sliceview/testdata) and writes a failing capture to testdata/failed/;
// delete a golden file and run the test to write it anew.

// plainNRGBA copies a capture into a fresh NRGBA image of its bounds: Fyne's comparison reads
// the raw pixel bytes, so the capture's own type, stride or offset must not matter.
func plainNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// goldenWindow shows the whole HU ramp of the synthetic volume.
var goldenWindow = viewer.Window{Center: 300, Width: 1400}

func TestGoldenSliceView(t *testing.T) {
	test.NewTempApp(t)
	v := synthvol.Volume()
	truth, pred := synthvol.Masks(v)
	sv, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	r := sv.Renderer()
	r.Truth = viewer.Overlay{Mask: truth, Mode: viewer.Outline, Color: viewer.ColorTruth, Opacity: 1}
	r.Prediction = viewer.Overlay{Mask: pred, Mode: viewer.Fill, Color: viewer.ColorPrediction, Opacity: 0.45}
	sv.SetWindow(goldenWindow, "")
	sv.SetSlice(4)
	w := test.NewWindow(sv)
	defer w.Close()
	w.Resize(fyne.NewSize(320, 320))
	test.AssertImageMatches(t, "sliceview_overlays.png", plainNRGBA(w.Canvas().Capture()))

	// Zoomed 2x about the centre, with the difference view.
	r.Difference = viewer.Difference{Enabled: true, Agree: viewer.ColorAgree, FalsePositive: viewer.ColorFalsePositive,
		FalseNegative: viewer.ColorFalseNegative, Opacity: 0.6}
	sv.SetZoom(2)
	sv.Redraw()
	test.AssertImageMatches(t, "sliceview_difference_zoom2.png", plainNRGBA(w.Canvas().Capture()))
}

func TestGoldenSideBySide(t *testing.T) {
	test.NewTempApp(t)
	v := synthvol.Volume()
	truth, pred := synthvol.Masks(v)
	var panels [3]*View
	for i, caption := range []string{"Image", "Truth", "Prediction"} {
		sv, err := New(v)
		if err != nil {
			t.Fatal(err)
		}
		sv.Caption = caption
		panels[i] = sv
		if i > 0 {
			panels[0].Link(sv)
		}
	}
	panels[1].Renderer().Truth = viewer.Overlay{Mask: truth, Mode: viewer.Fill, Color: viewer.ColorTruth, Opacity: 0.45}
	panels[2].Renderer().Prediction = viewer.Overlay{Mask: pred, Mode: viewer.Fill, Color: viewer.ColorPrediction, Opacity: 0.45}
	panels[0].SetWindow(goldenWindow, "")
	panels[0].SetSlice(4)
	w := test.NewWindow(container.NewGridWithColumns(3, panels[0], panels[1], panels[2]))
	defer w.Close()
	w.Resize(fyne.NewSize(600, 240))
	test.AssertImageMatches(t, "sidebyside_slice5.png", plainNRGBA(w.Canvas().Capture()))
}
