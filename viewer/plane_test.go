package viewer

// Tests of the coronal and sagittal renderers: every pixel is the voxel scan's FromPlane names,
// at the patient position the plane's drawing convention puts it, on volumes stored in any of
// the 48 axis orders and directions; the overlays are exactly those of an axial render of the
// same voxels laid out in that plane.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"liverseg/scan"
)

// storedDirections are the 48 ways a scanner can store the same patient: each volume axis along
// one patient axis (a permutation), forward or reversed. name says which.
func storedDirections() (names []string, dirs [][3][3]float64) {
	perms := [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	for _, perm := range perms {
		for signs := 0; signs < 8; signs++ {
			var dir [3][3]float64
			for ax := 0; ax < 3; ax++ {
				dir[ax][perm[ax]] = 1
				if signs&(1<<ax) != 0 {
					dir[ax][perm[ax]] = -1
				}
			}
			names = append(names, fmt.Sprintf("perm%v signs%03b", perm, signs))
			dirs = append(dirs, dir)
		}
	}
	return names, dirs
}

func mustPlaneRenderer(t testing.TB, v *scan.Volume, p scan.Plane) *Renderer {
	t.Helper()
	r, err := NewPlaneRenderer(v, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// planeAxesLPS is, per plane, the patient direction (LPS unit vector) its columns, rows and
// slices run toward, written out from the convention (scan.Plane's comment) rather than taken
// from scan: coronal and sagittal rows run toward the feet so that superior is at the top.
var planeAxesLPS = map[scan.Plane][3][3]float64{
	scan.Axial:    {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	scan.Coronal:  {{1, 0, 0}, {0, 0, -1}, {0, 1, 0}},
	scan.Sagittal: {{0, 1, 0}, {0, 0, -1}, {1, 0, 0}},
}

// identityGrey is a window under which HU 0..255 is grey 0..255 exactly, so that a pixel names
// the voxel it shows on a volume whose HU is the voxel's offset.
var identityGrey = Window{Center: 127.5, Width: 255}

// offsetVol stores each voxel's volume offset as its HU (fewer than 256 voxels).
func offsetVol(dims [3]int, dir [3][3]float64, spacing [3]float64) *scan.Volume {
	v := &scan.Volume{Voxels: make([]int16, dims[0]*dims[1]*dims[2]), Dims: dims, Spacing: spacing, Direction: dir}
	for o := range v.Voxels {
		v.Voxels[o] = int16(o)
	}
	return v
}

// checkPlaneGeometry renders every slice of every plane of v (whose HU is the voxel offset) and
// checks each pixel: it shows every voxel once, the one FromPlane names; stepping a column, a row
// or a slice moves the patient position by the plane's spacing toward the direction the plane's
// convention says (so the pixel (0,0) of slice 0 is the corner it must be); Probe names the same
// voxel; Size, Slices, PixelSpacing and Aspect match.
func checkPlaneGeometry(t *testing.T, v *scan.Volume) {
	t.Helper()
	d := v.Dims
	pos := func(o int) [3]float64 { // patient position of a voxel, mm, origin 0
		idx := [3]int{o % d[0], o / d[0] % d[1], o / (d[0] * d[1])}
		var p [3]float64
		for a := 0; a < 3; a++ {
			for ax := 0; ax < 3; ax++ {
				p[a] += float64(idx[ax]) * v.Spacing[ax] * v.Direction[ax][a]
			}
		}
		return p
	}
	axial := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	for _, p := range scan.Planes {
		r := mustPlaneRenderer(t, v, p)
		r.Window = identityGrey
		if r.Plane() != p || r.AxialCanonical() != axial || r.Canonical() != axial.Plane(p) {
			t.Fatalf("%v: Plane %v, canonical views not the plane's", p, r.Plane())
		}
		w, h := r.Size()
		n := r.Slices()
		if w*h*n != v.Len() {
			t.Fatalf("%v: %dx%d x %d slices for %d voxels", p, w, h, n, v.Len())
		}
		dx, dy := r.PixelSpacing()
		ds := r.Canonical().Spacing[2]
		if a := r.Aspect(); math.Abs(a-dy/dx) > 1e-12 {
			t.Errorf("%v: Aspect %v, want %v", p, a, dy/dx)
		}
		seen := make([]bool, v.Len())
		var p0 [3]float64
		for s := 0; s < n; s++ {
			img := mustRender(t, r, s)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					c := px(img, x, y)
					o := int(c.R)
					if c != grey(c.R) || o >= v.Len() || seen[o] {
						t.Fatalf("%v slice %d pixel (%d,%d) = %v: not a voxel shown once", p, s, x, y, c)
					}
					seen[o] = true
					if want := axial.Offset(axial.FromPlane(p, x, y, s)); o != want {
						t.Fatalf("%v slice %d pixel (%d,%d) shows voxel %d, FromPlane says %d", p, s, x, y, o, want)
					}
					if x == 0 && y == 0 && s == 0 {
						p0 = pos(o)
					}
					e := planeAxesLPS[p]
					got := pos(o)
					for a := 0; a < 3; a++ {
						want := p0[a] + float64(x)*dx*e[0][a] + float64(y)*dy*e[1][a] + float64(s)*ds*e[2][a]
						if math.Abs(got[a]-want) > 1e-9 {
							t.Fatalf("%v slice %d pixel (%d,%d): patient position %v, want %c = %v", p, s, x, y, got, "LPS"[a], want)
						}
					}
					i, j, k, hu, ok := r.Probe(s, x, y)
					if !ok || v.Index(i, j, k) != o || int(hu) != o {
						t.Fatalf("%v Probe(%d,%d,%d) = %d,%d,%d hu %d ok %v; the pixel shows voxel %d", p, s, x, y, i, j, k, hu, ok, o)
					}
				}
			}
		}
		if _, _, _, _, ok := r.Probe(n, 0, 0); ok {
			t.Errorf("%v: Probe of slice %d of %d ok", p, n, n)
		}
	}
}

// TestPlanesEveryOrientation: every plane of a volume stored in each of the 48 orders and
// directions, with a different spacing on each axis, shows the voxel scan.FromPlane names at the
// position the plane's convention puts it.
func TestPlanesEveryOrientation(t *testing.T) {
	names, dirs := storedDirections()
	for n, dir := range dirs {
		t.Run(names[n], func(t *testing.T) {
			checkPlaneGeometry(t, offsetVol([3]int{4, 3, 5}, dir, [3]float64{0.7, 1.3, 2.5}))
		})
	}
}

// TestPlanesTwoSlices: a series of two axial slices still has coronal and sagittal views, two
// rows high, drawn at their physical aspect.
func TestPlanesTwoSlices(t *testing.T) {
	v := offsetVol([3]int{6, 5, 2}, identity, [3]float64{0.8, 0.8, 5})
	checkPlaneGeometry(t, v)
	for p, want := range map[scan.Plane][3]int{scan.Coronal: {6, 2, 5}, scan.Sagittal: {5, 2, 6}} {
		r := mustPlaneRenderer(t, v, p)
		if w, h := r.Size(); w != want[0] || h != want[1] || r.Slices() != want[2] {
			t.Errorf("%v: %dx%d, %d slices; want %v", p, w, h, r.Slices(), want)
		}
		if a := r.Aspect(); math.Abs(a-5/0.8) > 1e-12 {
			t.Errorf("%v: Aspect %v, want %v", p, a, 5/0.8)
		}
	}
	// Stored in any order: the axis of two voxels may become any of the planes' axes.
	names, dirs := storedDirections()
	for i, dir := range dirs {
		t.Run(names[i], func(t *testing.T) { checkPlaneGeometry(t, offsetVol([3]int{3, 4, 2}, dir, [3]float64{1, 1, 3})) })
	}
}

// TestPlanesTilted: a gantry-tilted series (slices stacked along a direction 15 degrees from the
// head-foot axis) renders in every plane, voxel for voxel as the nearest canonical turn, with
// Oblique saying how far off the letters are.
func TestPlanesTilted(t *testing.T) {
	a := 15 * math.Pi / 180
	dir := [3][3]float64{{1, 0, 0}, {0, math.Cos(a), -math.Sin(a)}, {0, math.Sin(a), math.Cos(a)}}
	v := offsetVol([3]int{5, 4, 3}, dir, [3]float64{0.7, 0.7, 2})
	axial := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	for _, p := range scan.Planes {
		r := mustPlaneRenderer(t, v, p)
		r.Window = identityGrey
		if o := r.Orientation(); math.Abs(o.Oblique-15) > 1e-9 {
			t.Errorf("%v: Oblique %v, want 15", p, o.Oblique)
		}
		w, h := r.Size()
		for s := 0; s < r.Slices(); s++ {
			img := mustRender(t, r, s)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if got, want := int(px(img, x, y).R), axial.Offset(axial.FromPlane(p, x, y, s)); got != want {
						t.Fatalf("%v slice %d pixel (%d,%d) shows voxel %d, want %d", p, s, x, y, got, want)
					}
				}
			}
		}
	}
}

func TestPlaneOrientationLetters(t *testing.T) {
	// Stored with every axis reversed: the letters are the plane's, whatever the storage.
	v := codedVol(2, 3, 4, [3][3]float64{{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}}, [3]float64{1, 1, 1})
	for p, want := range map[scan.Plane]Orientation{
		scan.Axial:    {Left: "R", Right: "L", Top: "A", Bottom: "P"},
		scan.Coronal:  {Left: "R", Right: "L", Top: "S", Bottom: "I"},
		scan.Sagittal: {Left: "A", Right: "P", Top: "S", Bottom: "I"},
	} {
		if o := mustPlaneRenderer(t, v, p).Orientation(); o != want {
			t.Errorf("%v: %+v, want %+v", p, o, want)
		}
	}
	if _, err := NewPlaneRenderer(v, scan.Plane(3)); err == nil {
		t.Error("plane 3 accepted")
	}
}

// TestPlanesExactPixels: the colours of a few voxels, worked out by hand, in a coronal and a
// sagittal slice of an axial series: fill, difference and the uncertainty band.
func TestPlanesExactPixels(t *testing.T) {
	// 4 columns (R to L), 3 rows (A to P), 2 slices (I to S), HU 40: grey 128 in the abdomen window.
	v := newVol(4, 3, 2, 40)
	truth, pred := scan.NewMask(v.Dims), scan.NewMask(v.Dims)
	truth.Set(v.Index(1, 2, 0), 1) // posterior row, inferior slice
	truth.Set(v.Index(3, 2, 1), 1) // posterior row, superior slice
	pred.Set(v.Index(1, 2, 0), 1)
	pred.Set(v.Index(0, 2, 1), 1)
	probs := make([]uint8, v.Len())
	probs[v.Index(2, 2, 1)] = 128
	red := color.RGBA{255, 0, 0, 255}
	yellow := color.RGBA{255, 255, 0, 255}

	// Coronal slice 2 (the posterior row): columns R to L, the superior slice on the top row.
	r := mustPlaneRenderer(t, v, scan.Coronal)
	r.Truth = Overlay{Mask: truth, Mode: Fill, Color: red, Opacity: 1}
	img := mustRender(t, r, 2)
	checkPattern(t, img, map[rune]color.RGBA{'#': red, '.': grey(bg)},
		"...#",
		".#..")
	r.Difference = Difference{Enabled: true, Agree: ColorAgree, FalsePositive: ColorFalsePositive, FalseNegative: ColorFalseNegative, Opacity: 1}
	r.Prediction = Overlay{Mask: pred, Mode: Outline, Color: red, Opacity: 1}
	r.Uncertainty = Uncertainty{Prob: probOf(v, probs), Mode: UncertaintyBand, Color: yellow, Opacity: 1}
	img = mustRender(t, r, 2)
	checkPattern(t, img, map[rune]color.RGBA{'a': ColorAgree, 'n': ColorFalseNegative, 'p': ColorFalsePositive, 'u': yellow, '.': grey(bg)},
		"p.un",
		".a..")
	// Slices 0 and 1 (anterior rows) hold none of it.
	img = mustRender(t, r, 1)
	checkPattern(t, img, map[rune]color.RGBA{'.': grey(bg)}, "....", "....")

	// Sagittal slice 1 (column 1): columns A to P, the superior slice on top.
	r = mustPlaneRenderer(t, v, scan.Sagittal)
	r.Truth = Overlay{Mask: truth, Mode: Fill, Color: red, Opacity: 1}
	img = mustRender(t, r, 1)
	checkPattern(t, img, map[rune]color.RGBA{'#': red, '.': grey(bg)},
		"...",
		"..#")
	// Sagittal slice 2 (column 2): the uncertain voxel, posterior and superior.
	r.Uncertainty = Uncertainty{Prob: probOf(v, probs), Mode: UncertaintyBand, Color: yellow, Opacity: 1}
	img = mustRender(t, r, 2)
	checkPattern(t, img, map[rune]color.RGBA{'u': yellow, '.': grey(bg)},
		"..u",
		"...")
}

// turnedVolume lays the voxels of plane p of v (and of the masks and map that go with it) out as
// an axial series whose slices are p's: an axial render of it is what a render of p must give.
func turnedVolume(v *scan.Volume, p scan.Plane, truth, pred *scan.Mask, probs []uint8) (*scan.Volume, *scan.Mask, *scan.Mask, []uint8) {
	axial := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	pc := axial.Plane(p)
	out := &scan.Volume{Voxels: make([]int16, v.Len()), Dims: pc.Dims, Spacing: pc.Spacing, Direction: identity}
	ot, op, opr := scan.NewMask(pc.Dims), scan.NewMask(pc.Dims), make([]uint8, v.Len())
	for s := 0; s < pc.Dims[2]; s++ {
		for y := 0; y < pc.Dims[1]; y++ {
			for x := 0; x < pc.Dims[0]; x++ {
				src := axial.Offset(axial.FromPlane(p, x, y, s))
				dst := out.Index(x, y, s)
				out.Voxels[dst] = v.Voxels[src]
				ot.Set(dst, truth.At(src))
				op.Set(dst, pred.At(src))
				opr[dst] = probs[src]
			}
		}
	}
	return out, ot, op, opr
}

// TestPlanesOverlaysExact: on volumes stored in all 48 ways, every overlay setting renders a
// coronal or sagittal slice byte for byte as an axial render of the same voxels laid out in that
// plane (turnedVolume), whose pixels the axial tests check one by one.
func TestPlanesOverlaysExact(t *testing.T) {
	settings := []struct {
		name string
		set  func(r *Renderer)
	}{
		{"truth fill, prediction outline, heat", func(r *Renderer) {
			r.Truth.Mode, r.Prediction.Mode, r.Uncertainty.Mode = Fill, Outline, UncertaintyHeat
		}},
		{"truth outline, prediction fill, band", func(r *Renderer) {
			r.Truth.Mode, r.Prediction.Mode, r.Uncertainty.Mode = Outline, Fill, UncertaintyBand
			r.Truth.Opacity = 1
		}},
		{"difference over heat", func(r *Renderer) {
			r.Truth.Mode, r.Uncertainty.Mode = Outline, UncertaintyHeat
			r.Difference.Enabled = true
		}},
	}
	rng := rand.New(rand.NewPCG(22, 2))
	names, dirs := storedDirections()
	for n, dir := range dirs {
		v := &scan.Volume{Voxels: make([]int16, 7*6*5), Dims: [3]int{7, 6, 5}, Spacing: [3]float64{0.7, 0.9, 2}, Direction: dir}
		truth, pred := scan.NewMask(v.Dims), scan.NewMask(v.Dims)
		probs := make([]uint8, v.Len())
		for o := range v.Voxels {
			v.Voxels[o] = int16(rng.IntN(400) - 100)
			truth.Set(o, uint8(rng.IntN(3)/2)) // a third set, so that outlines have insides
			if rng.IntN(2) == 0 {
				truth.Set(o, 1)
			}
			pred.Set(o, uint8(rng.IntN(2)))
			if rng.IntN(2) == 0 {
				probs[o] = uint8(rng.IntN(256))
			}
		}
		for _, p := range []scan.Plane{scan.Coronal, scan.Sagittal} {
			tv, tt, tp, tprobs := turnedVolume(v, p, truth, pred, probs)
			for _, st := range settings {
				r := mustPlaneRenderer(t, v, p)
				r.Truth.Mask, r.Prediction.Mask, r.Uncertainty.Prob = truth, pred, probOf(v, probs)
				st.set(r)
				ref := mustRenderer(t, tv)
				ref.Truth.Mask, ref.Prediction.Mask, ref.Uncertainty.Prob = tt, tp, probOf(tv, tprobs)
				st.set(ref)
				for s := 0; s < r.Slices(); s++ {
					got, want := cloneRGBA(mustRender(t, r, s)), mustRender(t, ref, s)
					if !bytes.Equal(got.Pix, want.Pix) {
						t.Fatalf("%s %v %s slice %d: differs from the axial render of the turned voxels", names[n], p, st.name, s)
					}
				}
				// Compose draws the same panels.
				if _, err := r.Compose(nil, 0, 1, color.RGBA{A: 255}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestPlanesProbCheckedAgainstAxial: a plane renderer takes the map kept in the volume's axial
// slices and refuses one kept in another turn.
func TestPlanesProbCheckedAgainstAxial(t *testing.T) {
	v := newVol(4, 3, 2, 0)
	flipped := newVol(4, 3, 2, 0)
	flipped.Direction = [3][3]float64{{-1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	for _, p := range scan.Planes {
		r := mustPlaneRenderer(t, v, p)
		r.Uncertainty = Uncertainty{Prob: probOf(v, make([]uint8, 24)), Mode: UncertaintyHeat}
		if _, err := r.Render(0); err != nil {
			t.Errorf("%v: the volume's own map refused: %v", p, err)
		}
		r.Uncertainty.Prob = probOf(flipped, make([]uint8, 24))
		if _, err := r.Render(0); err == nil {
			t.Errorf("%v: a map kept in other slices accepted", p)
		}
	}
}

// TestPlaneCompareNumbersPlaneSlices: Compare numbers its per-slice figures by the renderer's
// plane's slices.
func TestPlaneCompareNumbersPlaneSlices(t *testing.T) {
	v := newVol(4, 3, 2, 0)
	v.Direction = [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, -1}} // stored head first
	truth, pred := scan.NewMask(v.Dims), scan.NewMask(v.Dims)
	truth.Set(v.Index(3, 1, 0), 1) // column 3, row 1, the superior slice
	pred.Set(v.Index(3, 1, 0), 1)
	pred.Set(v.Index(0, 2, 1), 1) // a false positive: column 0, row 2, the inferior slice
	for p, want := range map[scan.Plane][2][]int{
		// slices with truth, slices with a false positive
		scan.Axial:    {{1}, {0}},
		scan.Coronal:  {{1}, {2}},
		scan.Sagittal: {{3}, {0}},
	} {
		r := mustPlaneRenderer(t, v, p)
		m, err := r.Compare(truth, pred)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Slices) != r.Slices() {
			t.Fatalf("%v: %d slice figures for %d slices", p, len(m.Slices), r.Slices())
		}
		var withTruth, withFP []int
		for k, s := range m.Slices {
			if s.Slice != k {
				t.Fatalf("%v: figure %d numbered %d", p, k, s.Slice)
			}
			if s.TruthVoxel > 0 {
				withTruth = append(withTruth, k)
			}
			if s.FalsePos > 0 {
				withFP = append(withFP, k)
			}
		}
		if fmt.Sprint(withTruth) != fmt.Sprint(want[0]) || fmt.Sprint(withFP) != fmt.Sprint(want[1]) {
			t.Errorf("%v: truth on slices %v, false positives on %v; want %v, %v", p, withTruth, withFP, want[0], want[1])
		}
	}
}

// Used by the RenderEdit tests below: the pixels an image has that are not the marker.
var marker = color.RGBA{1, 2, 3, 4}

func poisoned(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fillRect(img, marker)
	return img
}
