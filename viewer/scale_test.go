package viewer

import (
	"fmt"
	"math"
	"testing"

	"liverseg/scan"
)

// Thin series (issue 24): the review's hot paths (next slice, brush stroke, undo) must cost the
// same at 1000 slices as at 151, and the undo history must hold what strokes changed, not the
// volume. Compare the benchmarks' two sizes as:
//   go test ./viewer -run '^$' -bench 'NextSlice|BrushStroke|UndoStroke' -cpu 1 -benchmem

// scaleSlices are the series lengths the scale benchmarks compare: IRCAD's and a thin series'.
var scaleSlices = []int{151, 1000}

// thinVolume is a 512x512xn abdomen-like volume with 0.75 mm pixels over the same 240 mm at any
// n (slices 240/n mm apart), with a liver label and a prediction: ellipsoids over the middle
// 60% of the slices, the prediction shifted 6 pixels and 5% larger. The labels are set slice by
// slice, so they cost their liver, not the volume. fillHU writes every voxel's HU (a body disc
// of soft tissue in air, the liver brighter); without it the HU volume is allocated and never
// touched, so that the pages of a test that needs no HU cost nothing.
func thinVolume(tb testing.TB, n int, fillHU bool) (v *scan.Volume, truth, pred *scan.Mask) {
	tb.Helper()
	const cols, rows = 512, 512
	v = &scan.Volume{
		Voxels:    make([]int16, cols*rows*n),
		Dims:      [3]int{cols, rows, n},
		Spacing:   [3]float64{0.75, 0.75, 240 / float64(n)},
		Direction: identity,
	}
	truth, pred = scan.NewMask(v.Dims), scan.NewMask(v.Dims)
	plane := make([]uint8, cols*rows)
	// ellipse writes val into row j's columns inside the ellipse of centre (cx, cy) and radii
	// (rx, ry) (pixel centres), and returns them (lo >= hi: none).
	ellipse := func(j int, cx, cy, rx, ry float64) (lo, hi int) {
		y := (float64(j) + 0.5 - cy) / ry
		if rx <= 0 || ry <= 0 || y*y >= 1 {
			return 0, 0
		}
		half := rx * math.Sqrt(1-y*y)
		lo = max(0, int(math.Ceil(cx-half-0.5)))
		hi = min(cols, int(math.Floor(cx+half-0.5))+1)
		return lo, max(lo, hi)
	}
	for k := 0; k < n; k++ {
		// The liver's extent on this slice: an ellipsoid over slices 0.2n .. 0.8n.
		z := (float64(k)+0.5)/float64(n)*2 - 1 // -1 .. 1 over the volume
		s := 1 - (z/0.6)*(z/0.6)
		s = math.Sqrt(max(s, 0))
		for _, m := range []struct {
			mask   *scan.Mask
			dx, sc float64
		}{{truth, 0, 1}, {pred, 6, 1.05}} {
			clear(plane)
			for j := 0; j < rows; j++ {
				lo, hi := ellipse(j, 0.4*cols+m.dx, 0.45*rows, 0.25*cols*s*m.sc, 0.18*rows*s*m.sc)
				for i := lo; i < hi; i++ {
					plane[j*cols+i] = scan.Liver
				}
			}
			m.mask.SetSlice(k, plane)
		}
		if !fillHU {
			continue
		}
		hu := v.Voxels[k*cols*rows : (k+1)*cols*rows]
		for j := 0; j < rows; j++ {
			row := hu[j*cols : (j+1)*cols]
			for i := range row {
				row[i] = -1000
			}
			lo, hi := ellipse(j, cols/2, rows/2, 0.45*cols, 0.45*rows)
			for i := lo; i < hi; i++ {
				row[i] = int16(40 + (i+j)%9 - 4)
			}
			lo, hi = ellipse(j, 0.4*cols, 0.45*rows, 0.25*cols*s, 0.18*rows*s)
			for i := lo; i < hi; i++ {
				row[i] = int16(90 + (i+2*j)%7 - 3)
			}
		}
	}
	return v, truth, pred
}

// TestUndoHistoryThinSeries makes 1000 undo steps of brush strokes (undoStrokes: 8 stamps of a
// 10 mm brush each, alternately painting and erasing the same path, so each changes about all it
// covers) on a 1000-slice label and checks that the history holds them in at most 50 MB, in
// its own count and in the heap it retains.
func TestUndoHistoryThinSeries(t *testing.T) {
	v, truth, _ := thinVolume(t, 1000, false)
	e := mustEditor(t, v, truth)
	m := undoStrokes(t, e, 1000)
	t.Logf("1000 strokes on 512x512x1000: history %.1f MB by its count, %.1f MB heap retained besides %.1f MB of label growth, %.0f voxels a step",
		m.history, m.retained-m.maskGrowth, m.maskGrowth, m.voxels)
	if m.history > 50 || m.retained-m.maskGrowth > 50 {
		t.Errorf("history of 1000 strokes holds %.1f MB (%.1f MB retained), want at most 50", m.history, m.retained-m.maskGrowth)
	}
	if m.voxels < 500 {
		t.Errorf("%.0f voxels a step: the strokes do not change what they cover", m.voxels)
	}
	// The steps undo: back to the truth.
	for undoSteps(e) > 0 {
		if _, err := e.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	if !e.Mask().Equal(truth) || e.LabelledVoxels() != truth.Count() {
		t.Error("undoing every stroke does not give the label back")
	}
}

// BenchmarkNextSlice renders the next slice of a 512x512xN series each time (scrolling), with
// the truth outlined and the prediction filled: at 1000 slices as fast as at 151.
func BenchmarkNextSlice(b *testing.B) {
	for _, n := range scaleSlices {
		b.Run(fmt.Sprintf("slices=%d", n), func(b *testing.B) {
			v, truth, pred := thinVolume(b, n, true)
			r := overlayRenderer(b, v, truth, pred)
			k := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if k++; k == n {
					k = 0
				}
				if _, err := r.Render(k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// strokeBench is an editor on the truth of a 512x512xN series and a brush stroke across the
// liver's edge on the middle slice: 8 stamps 3 mm apart of a 10 mm brush.
func strokeBench(b *testing.B, n int) (*Editor, []Point) {
	v, truth, _ := thinVolume(b, n, true)
	e, err := NewEditor(v, truth)
	if err != nil {
		b.Fatal(err)
	}
	e.History().SetBudget(64 << 20)
	w, h := e.Size()
	var path []Point
	for s := 0; s < 8; s++ {
		// From inside the liver (centred at 0.4w, 0.45h, 0.25w wide on the middle slice) out
		// across its right edge.
		path = append(path, Point{0.6*float64(w) + float64(s)*3/0.75, 0.45 * float64(h)})
	}
	return e, path
}

// stroke paints (or erases) path on slice k as one step.
func stroke(b *testing.B, e *Editor, k int, path []Point, erase bool) *Edit {
	if err := e.BeginStroke(k, Brush{RadiusMM: 10, Erase: erase}); err != nil {
		b.Fatal(err)
	}
	for _, p := range path {
		if _, err := e.StrokeTo(p); err != nil {
			b.Fatal(err)
		}
	}
	ed := e.EndStroke()
	if ed == nil {
		b.Fatal("the stroke changed nothing")
	}
	return ed
}

// BenchmarkBrushStroke is one brush stroke (strokeBench's, alternately erasing and painting so
// that each changes what it covers, pushed on the history) on the middle slice of a 512x512xN
// series: at 1000 slices as fast as at 151.
func BenchmarkBrushStroke(b *testing.B) {
	for _, n := range scaleSlices {
		b.Run(fmt.Sprintf("slices=%d", n), func(b *testing.B) {
			e, path := strokeBench(b, n)
			s := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				stroke(b, e, n/2, path, s%2 == 0)
				s++
			}
		})
	}
}

// BenchmarkUndoStroke undoes a brush stroke (strokeBench's) on the middle slice of a
// 512x512xN series; the redo that puts it back is not timed. At 1000 slices as fast as at 151.
func BenchmarkUndoStroke(b *testing.B) {
	for _, n := range scaleSlices {
		b.Run(fmt.Sprintf("slices=%d", n), func(b *testing.B) {
			e, path := strokeBench(b, n)
			want := stroke(b, e, n/2, path, true)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if ed, err := e.Undo(); err != nil || ed != want {
					b.Fatal(ed, err)
				}
				b.StopTimer()
				if _, err := e.Redo(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
