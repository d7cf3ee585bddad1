package viewer

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"

	"liverseg/scan"
)

func TestEditBounds(t *testing.T) {
	v := editVol(9, 7, 3, [3]float64{1, 1, 1})
	e := mustEditor(t, v, nil)
	ed, _ := e.Stamp(1, Brush{RadiusMM: 2}, centre(4, 3))
	if ed.Rect != image.Rect(2, 1, 7, 6) || ed.FirstSlice != 1 || ed.LastSlice != 1 {
		t.Fatalf("bounds %v slices %d..%d", ed.Rect, ed.FirstSlice, ed.LastSlice)
	}
	// On the permuted volume the box is in canonical terms.
	p := permutedVol(t)
	e = mustEditor(t, p, nil)
	ed, _ = e.Stamp(3, Brush{RadiusMM: 1}, centre(1, 4))
	if ed.Rect != image.Rect(0, 3, 4, 6) || ed.FirstSlice != 3 || ed.LastSlice != 3 {
		t.Fatalf("permuted bounds %v slices %d..%d", ed.Rect, ed.FirstSlice, ed.LastSlice)
	}
	setPattern(t, e, 0, "#......", ".......", ".......", ".......", ".......", ".......")
	setPattern(t, e, 1, ".......", ".......", ".......", "...#...", ".......", ".......") // cleared
	setPattern(t, e, 2, ".......", ".......", ".......", ".......", ".......", "......#")
	ed, _ = e.Interpolate([]int{0, 2})
	if ed == nil || ed.FirstSlice != 1 || ed.LastSlice != 1 || ed.Rect != image.Rect(3, 3, 4, 4) {
		t.Fatalf("interpolation bounds %+v", ed)
	}
}

// TestRenderEditMatchesRender: after edits, redrawing only what each changed gives the same
// picture as rendering the slice afresh, in every overlay mode, on a flipped volume.
func TestRenderEditMatchesRender(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	dir := [3][3]float64{{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}}
	const w, h, n = 40, 30, 4
	v := codedVol(w, h, n, dir, [3]float64{0.8, 1.1, 2})
	pred := scan.NewMask(v.Dims)
	probs := make([]uint8, v.Len())
	for o := range pred.Voxels {
		if rng.IntN(3) == 0 {
			pred.Voxels[o] = 1
		}
		probs[o] = uint8(rng.IntN(256))
	}
	prob := probOf(v, probs)
	type setup struct {
		name string
		set  func(r *Renderer)
	}
	for _, s := range []setup{
		{"label outline", func(r *Renderer) { r.Truth.Mode = Outline }},
		{"label fill, prediction outline", func(r *Renderer) { r.Truth.Mode = Fill; r.Prediction.Mode = Outline }},
		{"prediction fill over label outline, heat", func(r *Renderer) {
			r.Truth.Mode, r.Prediction.Mode = Outline, Fill
			r.Uncertainty.Mode = UncertaintyHeat
		}},
		{"difference over band", func(r *Renderer) {
			r.Difference.Enabled = true
			r.Uncertainty.Mode = UncertaintyBand
		}},
	} {
		t.Run(s.name, func(t *testing.T) {
			e := mustEditor(t, v, nil)
			r := mustRenderer(t, v)
			r.Window = Window{Center: 1500, Width: 4000}
			r.Truth.Mask, r.Prediction.Mask, r.Uncertainty.Prob = e.Mask(), pred, prob
			s.set(r)
			k := 2
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			if err := r.RenderTo(img, k); err != nil {
				t.Fatal(err)
			}
			fresh := image.NewRGBA(image.Rect(0, 0, w, h))
			for step := 0; step < 40; step++ {
				var ed *Edit
				var err error
				p := Point{rng.Float64() * w, rng.Float64() * h}
				switch rng.IntN(6) {
				case 5:
					// A drag: each event's dirty box, grown by a pixel, is all that is redrawn.
					if err := e.BeginStroke(k, Brush{RadiusMM: rng.Float64() * 4, Erase: rng.IntN(3) == 0}); err != nil {
						t.Fatal(err)
					}
					for ev := 0; ev < 5; ev++ {
						dirty, err := e.StrokeTo(Point{p.X + float64(ev)*rng.Float64()*6 - 3, p.Y + float64(ev)*rng.Float64()*6 - 3})
						if err != nil {
							t.Fatal(err)
						}
						if err := r.RenderRect(img, k, dirty.Inset(-1)); err != nil {
							t.Fatal(err)
						}
						if err := r.RenderTo(fresh, k); err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(img.Pix, fresh.Pix) {
							t.Fatalf("step %d event %d: the drag's redrawn picture differs from a fresh render", step, ev)
						}
					}
					ed = e.EndStroke()
				case 0, 1:
					ed, err = e.Stamp(k, Brush{RadiusMM: rng.Float64() * 5, Erase: rng.IntN(3) == 0}, p)
				case 2:
					ed, err = e.LassoFill(k, []Point{p, {p.X + 6, p.Y + 1}, {p.X + 2, p.Y + 7}})
				case 3:
					ed, err = e.Undo()
				default:
					ed, err = e.Stamp(k+1, Brush{RadiusMM: 3}, p) // another slice: nothing to redraw
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := r.RenderEdit(img, k, ed); err != nil {
					t.Fatal(err)
				}
				if err := r.RenderTo(fresh, k); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(img.Pix, fresh.Pix) {
					t.Fatalf("step %d (%+v): the redrawn picture differs from a fresh render", step, ed)
				}
			}
		})
	}
}

func TestRenderRectErrorsAndSubImage(t *testing.T) {
	v := codedVol(6, 5, 2, identity, [3]float64{1, 1, 1})
	r := mustRenderer(t, v)
	img := image.NewRGBA(image.Rect(0, 0, 6, 5))
	if err := r.RenderRect(img, 2, image.Rect(0, 0, 1, 1)); err == nil {
		t.Error("slice out of range accepted")
	}
	if err := r.RenderRect(image.NewRGBA(image.Rect(0, 0, 5, 5)), 0, image.Rect(0, 0, 1, 1)); err == nil {
		t.Error("wrong destination size accepted")
	}
	r.Truth = Overlay{Mask: scan.NewMask([3]int{1, 1, 1}), Mode: Fill}
	if err := r.RenderRect(img, 0, image.Rect(0, 0, 1, 1)); err == nil {
		t.Error("mask of other dimensions accepted")
	}
	r.Truth = Overlay{}
	// A rectangle partly outside the slice is clipped; pixels outside it are not touched; a
	// sub-image of a larger picture works.
	big := image.NewRGBA(image.Rect(0, 0, 20, 20))
	sub := big.SubImage(image.Rect(3, 4, 9, 9)).(*image.RGBA)
	if err := r.RenderRect(sub, 1, image.Rect(-5, 3, 2, 99)); err != nil {
		t.Fatal(err)
	}
	full := mustRender(t, r, 1)
	for y := 0; y < 20; y++ {
		for x := 0; x < 20; x++ {
			got := big.RGBAAt(x, y)
			sx, sy := x-3, y-4
			if sx >= 0 && sx < 2 && sy >= 3 && sy < 5 {
				if got != full.RGBAAt(sx, sy) {
					t.Fatalf("pixel %d,%d", sx, sy)
				}
			} else if got.A != 0 {
				t.Fatalf("pixel %d,%d of the big picture drawn", x, y)
			}
		}
	}
	if err := r.RenderEdit(img, 0, nil); err != nil {
		t.Fatal(err)
	}
}
