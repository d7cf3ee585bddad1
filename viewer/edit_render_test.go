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
	for o := range pred.Len() {
		if rng.IntN(3) == 0 {
			pred.Set(o, 1)
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

// TestRenderEditOtherPlanes: an edit made in one plane (with the axial tools, or a hand-made
// coronal or sagittal Edit, as the tools in those planes describe theirs) brings every slice of
// every plane's view up to date: each equals a fresh render, and exactly the edit's box turned
// into that plane, grown by one pixel, is redrawn, on the slices it crosses and no other.
func TestRenderEditOtherPlanes(t *testing.T) {
	dirs := map[string][3][3]float64{
		"axial":            identity,
		"flipped":          {{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}},
		"permuted flipped": {{0, 0, 1}, {-1, 0, 0}, {0, 1, 0}},
	}
	settings := map[string]func(r *Renderer){
		"truth outline, prediction fill, heat": func(r *Renderer) {
			r.Truth.Mode, r.Prediction.Mode, r.Uncertainty.Mode = Outline, Fill, UncertaintyHeat
		},
		"difference over band": func(r *Renderer) {
			r.Difference.Enabled, r.Uncertainty.Mode = true, UncertaintyBand
		},
	}
	for dname, dir := range dirs {
		for sname, set := range settings {
			t.Run(dname+", "+sname, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(22, uint64(len(dname)*31+len(sname))))
				v := codedVol(9, 8, 7, dir, [3]float64{0.8, 1.1, 2})
				e := mustEditor(t, v, nil)
				axial := e.Canonical()
				pred := scan.NewMask(v.Dims)
				probs := make([]uint8, v.Len())
				for o := range pred.Len() {
					pred.Set(o, uint8(rng.IntN(2)))
					probs[o] = uint8(rng.IntN(256))
				}
				prob := probOf(v, probs)
				var rs [3]*Renderer
				var imgs [3][]*image.RGBA
				for _, p := range scan.Planes {
					r := mustPlaneRenderer(t, v, p)
					r.Window = Window{Center: 3000, Width: 7000}
					r.Truth.Mask, r.Prediction.Mask, r.Uncertainty.Prob = e.Mask(), pred, prob
					set(r)
					rs[p] = r
					for s := 0; s < r.Slices(); s++ {
						imgs[p] = append(imgs[p], cloneRGBA(mustRender(t, r, s)))
					}
				}
				// voxelAt maps a volume offset to canonical axial coordinates.
				voxelAt := make(map[int][3]int, v.Len())
				for k := 0; k < axial.Dims[2]; k++ {
					for j := 0; j < axial.Dims[1]; j++ {
						for i := 0; i < axial.Dims[0]; i++ {
							voxelAt[axial.Offset(i, j, k)] = [3]int{i, j, k}
						}
					}
				}
				for step := 0; step < 40; step++ {
					old := e.Mask().Dense()
					var ed *Edit
					var err error
					w, h := e.Size()
					pt := Point{rng.Float64() * float64(w), rng.Float64() * float64(h)}
					switch rng.IntN(5) {
					case 0:
						ed, err = e.Stamp(rng.IntN(e.Slices()), Brush{RadiusMM: rng.Float64() * 3, Erase: rng.IntN(3) == 0}, pt)
					case 1:
						ed, err = e.LassoFill(rng.IntN(e.Slices()), []Point{pt, {pt.X + 4, pt.Y + 1}, {pt.X + 1, pt.Y + 5}})
					case 2:
						ed, err = e.Undo()
					default:
						ed = handEdit(rng, e.Mask(), axial)
						// The change bypassed the history: undoing older steps over it
						// would no longer change what their Edits say.
						e.History().Clear()
					}
					if err != nil {
						t.Fatal(err)
					}
					// The box of what changed, in each plane, worked out from the voxels.
					var lo, hi [3][3]int
					changed := 0
					for o := range old {
						if old[o] == e.Mask().At(o) {
							continue
						}
						c := voxelAt[o]
						for _, p := range scan.Planes {
							x, y, s := axial.ToPlane(p, c[0], c[1], c[2])
							q := [3]int{x, y, s}
							for a := 0; a < 3; a++ {
								if changed == 0 || q[a] < lo[p][a] {
									lo[p][a] = q[a]
								}
								if changed == 0 || q[a] > hi[p][a] {
									hi[p][a] = q[a]
								}
							}
						}
						changed++
					}
					if (ed == nil) != (changed == 0) {
						t.Fatalf("step %d: edit %+v, %d voxels changed", step, ed, changed)
					}
					for _, p := range scan.Planes {
						r := rs[p]
						w, h := r.Size()
						box := image.Rect(lo[p][0], lo[p][1], hi[p][0]+1, hi[p][1]+1).Inset(-1).Intersect(image.Rect(0, 0, w, h))
						for s := 0; s < r.Slices(); s++ {
							touched := poisoned(w, h)
							if err := r.RenderEdit(touched, s, ed); err != nil {
								t.Fatal(err)
							}
							if err := r.RenderEdit(imgs[p][s], s, ed); err != nil {
								t.Fatal(err)
							}
							if fresh := mustRender(t, r, s); !bytes.Equal(imgs[p][s].Pix, fresh.Pix) {
								t.Fatalf("step %d (%+v): %v slice %d differs from a fresh render", step, ed, p, s)
							}
							onSlice := changed > 0 && s >= lo[p][2] && s <= hi[p][2]
							for y := 0; y < h; y++ {
								for x := 0; x < w; x++ {
									redrawn := touched.RGBAAt(x, y) != marker
									if want := onSlice && image.Pt(x, y).In(box); redrawn != want {
										t.Fatalf("step %d (%+v): %v slice %d pixel (%d,%d) redrawn %v, want %v (box %v)",
											step, ed, p, s, x, y, redrawn, want, box)
									}
								}
							}
						}
					}
				}
			})
		}
	}
}

// handEdit changes random voxels of a random box of a coronal or sagittal view of m (one slice,
// or several as interpolation does) and describes it as a tool of that plane does: an Edit with
// Plane set and the tight box of the changed voxels in the plane's pixels and slices. It is nil
// when nothing changed. (Only RenderEdit reads it: it holds no undo data.)
func handEdit(rng *rand.Rand, m *scan.Mask, axial scan.Canonical) *Edit {
	p := scan.Coronal
	if rng.IntN(2) == 0 {
		p = scan.Sagittal
	}
	pc := axial.Plane(p)
	var lo, hi [3]int
	for a := 0; a < 3; a++ {
		lo[a] = rng.IntN(pc.Dims[a])
		hi[a] = min(pc.Dims[a]-1, lo[a]+rng.IntN(4))
	}
	if rng.IntN(2) == 0 {
		hi[2] = lo[2] // one slice, as a brush stroke
	}
	ed := &Edit{Tool: ToolBrush, Plane: p, Slice: -1}
	var blo, bhi [3]int
	for s := lo[2]; s <= hi[2]; s++ {
		for y := lo[1]; y <= hi[1]; y++ {
			for x := lo[0]; x <= hi[0]; x++ {
				if rng.IntN(2) == 0 {
					continue
				}
				o := axial.Offset(axial.FromPlane(p, x, y, s))
				nv := uint8(1 - min(m.At(o), 1))
				m.Set(o, nv)
				q := [3]int{x, y, s}
				for a := 0; a < 3; a++ {
					if ed.Voxels == 0 || q[a] < blo[a] {
						blo[a] = q[a]
					}
					if ed.Voxels == 0 || q[a] > bhi[a] {
						bhi[a] = q[a]
					}
				}
				ed.Voxels++
			}
		}
	}
	if ed.Voxels == 0 {
		return nil
	}
	if blo[2] == bhi[2] {
		ed.Slice = blo[2]
	}
	ed.Rect = image.Rect(blo[0], blo[1], bhi[0]+1, bhi[1]+1)
	ed.FirstSlice, ed.LastSlice = blo[2], bhi[2]
	return ed
}
