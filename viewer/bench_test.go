package viewer

import (
	"testing"

	"liverseg/scan"
)

// Run on one core as: go test ./viewer -run '^$' -bench . -cpu 1 -benchmem

func benchRenderer(b *testing.B) *Renderer {
	v, truth, pred := benchVolume(512, 512, 16)
	return overlayRenderer(b, v, truth, pred)
}

// overlayRenderer is an axial renderer of v with the liver window, the truth outlined and the
// prediction filled, as the review shows them, that has drawn slice 0.
func overlayRenderer(b *testing.B, v *scan.Volume, truth, pred *scan.Mask) *Renderer {
	r, err := NewRenderer(v)
	if err != nil {
		b.Fatal(err)
	}
	r.Window = WindowLiver
	r.Truth = Overlay{Mask: truth, Mode: Outline, Color: ColorTruth, Opacity: 1}
	r.Prediction = Overlay{Mask: pred, Mode: Fill, Color: ColorPrediction, Opacity: 0.4}
	if _, err := r.Render(0); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkRender512TwoOverlays redraws one 512x512 slice with the truth outlined and the
// prediction filled (what a window change or an overlay toggle costs).
func BenchmarkRender512TwoOverlays(b *testing.B) {
	r := benchRenderer(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Render(8); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender512NextSlice steps to the next slice each time (scrolling through the volume).
func BenchmarkRender512NextSlice(b *testing.B) {
	r := benchRenderer(b)
	n := r.Slices()
	k := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		k++
		if k == n {
			k = 0
		}
		if _, err := r.Render(k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender512DifferenceUncertainty draws the difference mode over the heat overlay.
func BenchmarkRender512DifferenceUncertainty(b *testing.B) {
	r := benchRenderer(b)
	v := r.Volume()
	r.Uncertainty.Prob = uncertainProb(v, r.Prediction.Mask)
	r.Uncertainty.Mode = UncertaintyHeat
	r.Difference.Enabled = true
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Render(8); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWindowChange rebuilds the 65536-entry LUT and renders (dragging the window).
func BenchmarkWindowChange(b *testing.B) {
	r := benchRenderer(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Window.Center++
		if _, err := r.Render(8); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderIRCAD7Planes draws the slice through the centre of IRCAD case 7's liver in each
// plane (axial 512x512, coronal and sagittal 512x151) with the truth and the prediction filled:
// what a pane of the four-pane review costs per redraw. Needs $LIVERSEG_DATA (skipped without).
func BenchmarkRenderIRCAD7Planes(b *testing.B) {
	v, truth, pred, centre := ircad7Review(b)
	for _, p := range scan.Planes {
		b.Run(p.String(), func(b *testing.B) {
			r, err := NewPlaneRenderer(v, p)
			if err != nil {
				b.Fatal(err)
			}
			r.Window = WindowAbdomen
			r.Truth = Overlay{Mask: truth, Mode: Fill, Color: ColorTruth, Opacity: 0.4}
			r.Prediction = Overlay{Mask: pred, Mode: Fill, Color: ColorPrediction, Opacity: 0.4}
			_, _, s := r.AxialCanonical().ToPlane(p, centre[0], centre[1], centre[2])
			if _, err := r.Render(s); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := r.Render(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
