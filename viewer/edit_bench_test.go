package viewer

import (
	"context"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
)

// Run on one core as:
//   go test ./viewer -run '^$' -bench 'Brush|Undo' -cpu 1 -benchmem
// BenchmarkUndoMemoryCase7 needs LIVERSEG_DATA (IRCAD case 7) and is a measurement more than a
// timing: -benchtime 1x is enough.

// editBench is a 512x512x16 volume with 0.75 mm pixels, an editor on its truth, and a renderer
// drawing the label being edited (outlined) over the prediction (filled), as the GUI shows them.
func editBench(b *testing.B) (*Editor, *Renderer) {
	v, truth, pred := benchVolume(512, 512, 16)
	e, err := NewEditor(v, truth)
	if err != nil {
		b.Fatal(err)
	}
	// Benchmarks push millions of steps; a budget keeps their memory bounded.
	e.History().SetBudget(64 << 20)
	r, err := NewRenderer(v)
	if err != nil {
		b.Fatal(err)
	}
	r.Window = WindowLiver
	r.Truth = Overlay{Mask: e.Mask(), Mode: Outline, Color: ColorTruth, Opacity: 1}
	r.Prediction = Overlay{Mask: pred, Mode: Fill, Color: ColorPrediction, Opacity: 0.4}
	if _, err := r.Render(8); err != nil {
		b.Fatal(err)
	}
	return e, r
}

// BenchmarkBrushStampRender512 is one click of a 10 mm brush (alternately painting and erasing,
// so every click changes about 550 voxels and pushes a step) and the 512x512 slice redrawn: the
// latency from a click to the updated picture. Target: at most 2 ms.
func BenchmarkBrushStampRender512(b *testing.B) {
	e, r := editBench(b)
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n++
		ed, err := e.Stamp(8, Brush{RadiusMM: 10, Erase: n%2 == 1}, Point{205, 230})
		if err != nil || ed == nil {
			b.Fatal(ed, err)
		}
		if _, err := r.Render(8); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBrushDragRender512 is one mouse event of a drag with a 10 mm brush, moving 2 pixels
// a time round a circle, and the slice redrawn: the cost of each frame while painting. Strokes
// of 64 events alternate painting and erasing.
func BenchmarkBrushDragRender512(b *testing.B) {
	e, r := editBench(b)
	// 60 mm and 1.5 mm are 80 and 2 pixels of 0.75 mm.
	brushDrag(b, e, 8, 60, 1.5, func(image.Rectangle) {
		if _, err := r.Render(8); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBrushStampRenderEdit512 is the same click with only what it changed redrawn
// (Renderer.RenderEdit: the stamp's box grown by a pixel), as the GUI does while painting.
func BenchmarkBrushStampRenderEdit512(b *testing.B) {
	e, r := editBench(b)
	img, err := r.Render(8)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n++
		ed, err := e.Stamp(8, Brush{RadiusMM: 10, Erase: n%2 == 1}, Point{205, 230})
		if err != nil || ed == nil {
			b.Fatal(ed, err)
		}
		if err := r.RenderEdit(img, 8, ed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBrushDragRenderEdit512 is a drag event with only what it can have changed redrawn
// (StrokeTo's dirty box grown by a pixel, through Renderer.RenderRect).
func BenchmarkBrushDragRenderEdit512(b *testing.B) {
	e, r := editBench(b)
	img, err := r.Render(8)
	if err != nil {
		b.Fatal(err)
	}
	brushDrag(b, e, 8, 60, 1.5, func(dirty image.Rectangle) {
		if err := r.RenderRect(img, 8, dirty.Inset(-1)); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBrushStamp512 is the click alone, without the redraw.
func BenchmarkBrushStamp512(b *testing.B) {
	e, _ := editBench(b)
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n++
		if ed, err := e.Stamp(8, Brush{RadiusMM: 10, Erase: n%2 == 1}, Point{205, 230}); err != nil || ed == nil {
			b.Fatal(ed, err)
		}
	}
}

// BenchmarkBrushDrag512 is one mouse event of an axial drag (as BenchmarkBrushDragRender512)
// without the redraw: the editor's share of a frame, to set beside BenchmarkBrushDragSagittal.
func BenchmarkBrushDrag512(b *testing.B) {
	e, _ := editBench(b)
	brushDrag(b, e, 8, 60, 1.5, nil)
}

// BenchmarkBrushDragSagittal is one mouse event of a drag with a 10 mm brush in sagittal on a
// 512x512x151 volume with IRCAD 7's spacing (0.78 mm pixels, 1.6 mm slices): a sagittal slice is
// 512 columns by 151 rows of 1.6 mm, the brush an ellipse 26 pixels wide and 13 high, and each
// row of it lies 512 voxels apart in memory. Strokes of 64 events alternate painting and erasing,
// each ended (sorted and pushed) as the GUI ends it.
func BenchmarkBrushDragSagittal(b *testing.B) {
	v, truth, _ := benchVolume(512, 512, 151)
	v.Spacing = [3]float64{0.78, 0.78, 1.6}
	e, err := NewEditor(v, truth)
	if err != nil {
		b.Fatal(err)
	}
	e.History().SetBudget(64 << 20)
	if err := e.SetPlane(scan.Sagittal); err != nil {
		b.Fatal(err)
	}
	brushDrag(b, e, 256, 60, 1.5, nil)
}

// brushDrag times drag events of a 10 mm brush on slice k of the editor's plane, moving stepMM an
// event round a circle of radiusMM about the slice's centre; after, when set, is called with each
// event's dirty box (to redraw).
func brushDrag(b *testing.B, e *Editor, k int, radiusMM, stepMM float64, after func(dirty image.Rectangle)) {
	w, h := e.Size()
	rx, ry := e.CursorRadius(radiusMM)
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n%64 == 0 {
			e.EndStroke()
			if err := e.BeginStroke(k, Brush{RadiusMM: 10, Erase: n%128 != 0}); err != nil {
				b.Fatal(err)
			}
		}
		a := float64(n) * stepMM / radiusMM
		dirty, err := e.StrokeTo(Point{float64(w)/2 + rx*math.Cos(a), float64(h)/2 + ry*math.Sin(a)})
		if err != nil {
			b.Fatal(err)
		}
		n++
		if after != nil {
			after(dirty)
		}
	}
	e.EndStroke()
}

// BenchmarkUndoMemoryCase7 makes 1000 undo steps of brush strokes on IRCAD case 7 (undoStrokes)
// and reports the heap the history retains, measured after garbage collection, besides what the
// label grew by where strokes painted past its slices' rectangles. Target: under 50 MB.
func BenchmarkUndoMemoryCase7(b *testing.B) {
	v, truth := case7(b)
	var m undoMemory
	for b.Loop() {
		e, err := NewEditor(v, truth)
		if err != nil {
			b.Fatal(err)
		}
		m = undoStrokes(b, e, 1000)
	}
	m.report(b)
}

// undoMemory is what undoStrokes measured, in MB.
type undoMemory struct {
	retained   float64 // heap retained by the history and the label's growth
	maskGrowth float64 // what the label's slices grew by
	history    float64 // the history's own count (History.Bytes)
	voxels     float64 // voxels changed a step
}

func (m undoMemory) report(b *testing.B) {
	b.ReportMetric(m.retained-m.maskGrowth, "MB-retained")
	b.ReportMetric(m.maskGrowth, "MB-label-growth")
	b.ReportMetric(m.history, "MB-history")
	b.ReportMetric(m.voxels, "voxels/step")
}

// undoStrokes makes steps undo steps of brush strokes on the axial slices of e's label that
// hold liver (each stroke 8 stamps 3 mm apart with a 10 mm brush at a random place and angle;
// odd strokes erase along the previous stroke's path, so every step changes close to all it
// covers, the worst case) and measures the memory they hold.
func undoStrokes(tb testing.TB, e *Editor, steps int) undoMemory {
	const stamps, stepMM, radiusMM = 8, 3.0, 10.0
	// The canonical slices with liver, where an annotator would paint.
	var liverSlices []int
	w, h := e.Size()
	for k := 0; k < e.Slices(); k++ {
		if slices.ContainsFunc(e.planeBuf(e.view, k), func(l uint8) bool { return l != 0 }) {
			liverSlices = append(liverSlices, k)
		}
	}
	if len(liverSlices) == 0 {
		tb.Fatal("no liver to paint on")
	}
	sx, sy := e.view.pixelSpacing()
	rng := rand.New(rand.NewPCG(7, 1000))
	heap0, mask0 := liveHeap(), e.Mask().Bytes()
	var path [stamps]Point
	var k int
	total := 0
	// Until steps steps: a paint stroke wholly inside the liver changes nothing and adds none.
	for s := 0; undoSteps(e) < steps; s++ {
		if s%2 == 0 {
			k = liverSlices[rng.IntN(len(liverSlices))]
			x, y := float64(w)*(0.2+0.6*rng.Float64()), float64(h)*(0.2+0.6*rng.Float64())
			a := rng.Float64() * 2 * math.Pi
			for n := range path {
				path[n] = Point{x + float64(n)*stepMM/sx*math.Cos(a), y + float64(n)*stepMM/sy*math.Sin(a)}
			}
		}
		// Even strokes paint, odd ones erase the same path again: each changes nearly every
		// voxel it covers.
		if err := e.BeginStroke(k, Brush{RadiusMM: radiusMM, Erase: s%2 == 1}); err != nil {
			tb.Fatal(err)
		}
		for _, p := range path {
			if _, err := e.StrokeTo(p); err != nil {
				tb.Fatal(err)
			}
		}
		if ed := e.EndStroke(); ed != nil {
			total += ed.Voxels
		}
	}
	m := undoMemory{
		retained:   float64(liveHeap()-heap0) / 1e6,
		maskGrowth: float64(e.Mask().Bytes()-mask0) / 1e6,
		history:    float64(e.History().Bytes()) / 1e6,
		voxels:     float64(total) / float64(steps),
	}
	runtime.KeepAlive(e)
	return m
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func undoSteps(e *Editor) int {
	u, _ := e.History().Len()
	return u
}

// case7 loads IRCAD case 7 and its liver mask from $LIVERSEG_DATA (testenv: skipped without it).
func case7(b *testing.B) (*scan.Volume, *scan.Mask) {
	dir := testenv.IRCAD(b, 7)
	v, err := scan.LoadVolume(context.Background(), filepath.Join(dir, "PATIENT_DICOM"), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	truth, err := scan.ReadMaskFolder(filepath.Join(dir, "MASKS_DICOM", "liver"), v)
	if err != nil {
		b.Fatal(err)
	}
	return v, truth
}

// BenchmarkVolumeToolsCase7 times the volume-wide tools on a real case: accepting the whole
// liver into an empty label, keeping its largest component after stray voxels were painted,
// and undoing; it reports the accept step's size.
func BenchmarkVolumeToolsCase7(b *testing.B) {
	v, truth := case7(b)
	e, err := NewEditor(v, nil)
	if err != nil {
		b.Fatal(err)
	}
	var acceptMB float64
	b.Run("AcceptPredictionVolume", func(b *testing.B) {
		for b.Loop() {
			ed, err := e.AcceptPrediction(truth, -1)
			if err != nil || ed == nil {
				b.Fatal(ed, err)
			}
			acceptMB = float64(ed.Size()) / 1e6
			b.StopTimer()
			e.Undo()
			b.StartTimer()
		}
		b.ReportMetric(acceptMB, "MB-step")
	})
	if _, err := e.AcceptPrediction(truth, -1); err != nil {
		b.Fatal(err)
	}
	b.Run("KeepLargest", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			for n := 0; n < 20; n++ { // stray 1-voxel islands far from the liver
				e.Stamp(e.Slices()/2, Brush{}, Point{float64(10 + 20*n), 10})
			}
			b.StartTimer()
			ed, err := e.KeepLargest()
			if err != nil || ed == nil || ed.Voxels != 20 {
				b.Fatal(ed, err)
			}
		}
	})
	b.Run("Undo", func(b *testing.B) {
		for b.Loop() {
			if ed, err := e.Undo(); err != nil || ed == nil {
				b.Fatal(ed, err)
			}
			b.StopTimer()
			e.Redo()
			b.StartTimer()
		}
	})
}
