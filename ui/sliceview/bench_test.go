package sliceview

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"liverseg/scan"
	"liverseg/viewer"
)

// Run on one core as: go test ./ui/sliceview -run '^$' -bench . -cpu 1 -benchmem (under xvfb-run).

// benchView is a review-sized view: 512x512x32 slices with a truth outlined and a prediction
// filled, in an 800x800 window of Fyne's test driver.
func benchView(b *testing.B) (*View, fyne.Window) {
	test.NewTempApp(b)
	v := &scan.Volume{Dims: [3]int{512, 512, 32}, Spacing: [3]float64{0.78, 0.78, 1.6},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	v.Voxels = make([]int16, v.Len())
	truth, pred := scan.NewMask(v.Dims), scan.NewMask(v.Dims)
	for k := 0; k < v.Dims[2]; k++ {
		for j := 0; j < 512; j++ {
			for i := 0; i < 512; i++ {
				o := v.Index(i, j, k)
				v.Voxels[o] = int16((i*7+j*3+k*11)%400 - 100)
				if (i-200)*(i-200)+(j-260)*(j-260) < 110*110 {
					truth.Set(o, scan.Liver)
				}
				if (i-206)*(i-206)+(j-256)*(j-256) < 108*108 {
					pred.Set(o, scan.Liver)
				}
			}
		}
	}
	sv, err := New(v)
	if err != nil {
		b.Fatal(err)
	}
	r := sv.Renderer()
	r.Truth = viewer.Overlay{Mask: truth, Mode: viewer.Outline, Color: viewer.ColorTruth, Opacity: 1}
	r.Prediction = viewer.Overlay{Mask: pred, Mode: viewer.Fill, Color: viewer.ColorPrediction, Opacity: 0.45}
	w := test.NewWindow(sv.Content())
	w.Resize(fyne.NewSize(800, 800))
	b.Cleanup(w.Close)
	return sv, w
}

// BenchmarkNextSlice is what one wheel notch costs the application: the slice and its overlays
// rendered, the image handed to the canvas, the slider and the status line updated. (The GPU's
// drawing of the texture is not in it.)
func BenchmarkNextSlice(b *testing.B) {
	sv, _ := benchView(b)
	d := 1
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if sv.Slice() == sv.Slices()-1 || (sv.Slice() == 0 && d < 0) {
			d = -d
		}
		sv.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, float32(d*25))})
	}
}

// BenchmarkNextSliceZoomed is the same at 4x zoom (the visible part is copied out of the slice).
func BenchmarkNextSliceZoomed(b *testing.B) {
	sv, _ := benchView(b)
	sv.SetZoom(4)
	d := 1
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if sv.Slice() == sv.Slices()-1 || (sv.Slice() == 0 && d < 0) {
			d = -d
		}
		sv.Step(d)
	}
}

// BenchmarkNextSlicePainted adds the whole window painted by Fyne's software painter (the test
// driver): an upper bound for a machine without a GPU driver.
func BenchmarkNextSlicePainted(b *testing.B) {
	sv, w := benchView(b)
	d := 1
	b.ResetTimer()
	for b.Loop() {
		if sv.Slice() == sv.Slices()-1 || (sv.Slice() == 0 && d < 0) {
			d = -d
		}
		sv.Step(d)
		w.Canvas().Capture()
	}
}

// BenchmarkBrushStampRedraw is one drag event of a 10 mm brush in the GUI: the stamp along the
// path, the changed pixels redrawn into the image on screen (target at most 2 ms).
func BenchmarkBrushStampRedraw(b *testing.B) {
	sv, _ := benchView(b)
	ed, err := viewer.NewEditor(sv.Renderer().Volume(), sv.Renderer().Truth.Mask)
	if err != nil {
		b.Fatal(err)
	}
	sv.Renderer().Truth.Mask = ed.Mask()
	k := sv.Slice()
	if err := ed.BeginStroke(k, viewer.Brush{RadiusMM: 10}); err != nil {
		b.Fatal(err)
	}
	x := 100.0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		x += 2
		if x > 400 {
			x = 100
		}
		dirty, err := ed.StrokeTo(viewer.Point{X: x, Y: 300})
		if err != nil {
			b.Fatal(err)
		}
		sv.RedrawRect(dirty.Inset(-1))
	}
}
