package viewer

import (
	"image"
	"image/color"
	"math"
	"testing"

	"liverseg/scan"
)

// codedVol stores 1000*k + 100*j + i in voxel (i, j, k), so each voxel's HU names its volume
// indices (for fewer than 10 columns and rows).
func codedVol(cols, rows, slices int, dir [3][3]float64, spacing [3]float64) *scan.Volume {
	v := &scan.Volume{
		Voxels:    make([]int16, cols*rows*slices),
		Dims:      [3]int{cols, rows, slices},
		Spacing:   spacing,
		Direction: dir,
	}
	for k := 0; k < slices; k++ {
		for j := 0; j < rows; j++ {
			for i := 0; i < cols; i++ {
				v.Voxels[v.Index(i, j, k)] = int16(1000*k + 100*j + i)
			}
		}
	}
	return v
}

func TestProbeFlipped(t *testing.T) {
	// Columns run toward the patient's right and slices toward the feet (head-first order): the
	// canonical view flips both.
	dir := [3][3]float64{{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}}
	const cols, rows, slices = 5, 3, 4
	v := codedVol(cols, rows, slices, dir, [3]float64{0.7, 0.8, 2.5})
	r := mustRenderer(t, v)
	if w, h := r.Size(); w != cols || h != rows || r.Slices() != slices {
		t.Fatalf("size %dx%d, %d slices", w, h, r.Slices())
	}
	for k := 0; k < slices; k++ {
		for y := 0; y < rows; y++ {
			for x := 0; x < cols; x++ {
				i, j, kv, hu, ok := r.Probe(k, x, y)
				wi, wj, wk := cols-1-x, y, slices-1-k
				if !ok || i != wi || j != wj || kv != wk || hu != int16(1000*wk+100*wj+wi) {
					t.Fatalf("Probe(%d,%d,%d) = %d,%d,%d hu %d ok %v; want %d,%d,%d hu %d",
						k, x, y, i, j, kv, hu, ok, wi, wj, wk, 1000*wk+100*wj+wi)
				}
			}
		}
	}
	for _, c := range [][3]int{{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}, {slices, 0, 0}, {0, cols, 0}, {0, 0, rows}} {
		if _, _, _, _, ok := r.Probe(c[0], c[1], c[2]); ok {
			t.Errorf("Probe%v outside the volume says ok", c)
		}
	}
	// The rendered pixel is the probed voxel: with a window wide enough for every code, each
	// pixel is Gray of the HU that Probe reports for it.
	r.Window = Window{Center: 2000, Width: 5000}
	for k := 0; k < slices; k++ {
		img := mustRender(t, r, k)
		for y := 0; y < rows; y++ {
			for x := 0; x < cols; x++ {
				_, _, _, hu, _ := r.Probe(k, x, y)
				if got, want := px(img, x, y), grey(r.Window.Gray(hu)); got != want {
					t.Fatalf("slice %d pixel (%d,%d) = %v, want %v (hu %d)", k, x, y, got, want, hu)
				}
			}
		}
	}
	if a := r.Aspect(); math.Abs(a-0.8/0.7) > 1e-12 {
		t.Errorf("Aspect = %v, want %v", a, 0.8/0.7)
	}
}

func TestProbeTransposed(t *testing.T) {
	// Stored with rows running left-right and columns running anterior-posterior: canonical
	// column x is volume row x, canonical row y is volume column y.
	dir := [3][3]float64{{0, 1, 0}, {1, 0, 0}, {0, 0, 1}}
	const cols, rows, slices = 3, 5, 2
	v := codedVol(cols, rows, slices, dir, [3]float64{2, 0.5, 3})
	r := mustRenderer(t, v)
	if w, h := r.Size(); w != rows || h != cols {
		t.Fatalf("size %dx%d, want %dx%d", w, h, rows, cols)
	}
	i, j, k, hu, ok := r.Probe(1, 4, 2)
	if !ok || i != 2 || j != 4 || k != 1 || hu != 1000+400+2 {
		t.Errorf("Probe(1,4,2) = %d,%d,%d hu %d ok %v; want 2,4,1 hu 1402", i, j, k, hu, ok)
	}
	// canonical columns are volume rows (0.5 mm), canonical rows volume columns (2 mm).
	if a := r.Aspect(); a != 4 {
		t.Errorf("Aspect = %v, want 4", a)
	}
	// An overlay is drawn through the same turn.
	m := scan.NewMask(v.Dims)
	m.Set(v.Index(2, 4, 1), 1)
	r.Prediction = Overlay{Mask: m, Mode: Fill, Color: color.RGBA{255, 0, 0, 255}, Opacity: 1}
	img := mustRender(t, r, 1)
	for y := 0; y < cols; y++ {
		for x := 0; x < rows; x++ {
			red := px(img, x, y) == color.RGBA{255, 0, 0, 255}
			if red != (x == 4 && y == 2) {
				t.Errorf("pixel (%d,%d) red=%v", x, y, red)
			}
		}
	}
}

func TestOrientation(t *testing.T) {
	r := mustRenderer(t, codedVol(2, 2, 2, [3][3]float64{{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}}, [3]float64{1, 1, 1}))
	o := r.Orientation()
	if o.Left != "R" || o.Right != "L" || o.Top != "A" || o.Bottom != "P" || o.Oblique != 0 {
		t.Errorf("Orientation = %+v", o)
	}
}

func TestAspectUnknownSpacing(t *testing.T) {
	r := mustRenderer(t, codedVol(2, 2, 1, identity, [3]float64{0, 1, 1}))
	if a := r.Aspect(); a != 1 {
		t.Errorf("Aspect with zero spacing = %v, want 1", a)
	}
}

func TestScaleBar(t *testing.T) {
	tests := []struct {
		mmPerPixel float64
		maxPixels  int
		mm         float64
		pixels     int
		ok         bool
	}{
		{0.7, 100, 50, 71, true},
		{0.5, 100, 50, 100, true},
		{0.78, 64, 20, 26, true},
		{2, 100, 200, 100, true},
		{1, 99, 50, 50, true},
		{10, 5, 50, 5, true},
		{0.01, 50, 1, 100, true}, // even 1 mm is too long: 1 mm anyway
		{0.3, 40, 10, 33, true},
		{0, 100, 0, 0, false},
		{-1, 100, 0, 0, false},
		{math.NaN(), 100, 0, 0, false},
		{1, 0, 0, 0, false},
	}
	for _, tc := range tests {
		mm, pixels, ok := ScaleBar(tc.mmPerPixel, tc.maxPixels)
		if mm != tc.mm || pixels != tc.pixels || ok != tc.ok {
			t.Errorf("ScaleBar(%v, %d) = %v mm, %d px, %v; want %v, %d, %v",
				tc.mmPerPixel, tc.maxPixels, mm, pixels, ok, tc.mm, tc.pixels, tc.ok)
		}
	}
}

func TestCompose(t *testing.T) {
	v := newVol(3, 2, 1, 40)
	r := mustRenderer(t, v)
	blue, red := color.RGBA{0, 0, 255, 255}, color.RGBA{255, 0, 0, 255}
	r.Truth = Overlay{Mask: maskFrom("#..", "..."), Mode: Off, Color: blue, Opacity: 1}
	r.Prediction = Overlay{Mask: maskFrom("..#", "..."), Mode: Fill, Color: red, Opacity: 1}
	r.Difference.Enabled = true
	bgc := color.RGBA{1, 2, 3, 255}
	img, err := r.Compose(nil, 0, 1, bgc)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 11 || img.Rect.Dy() != 2 {
		t.Fatalf("composite is %v, want 11x2", img.Rect)
	}
	g := grey(bg)
	checkPattern(t, img, map[rune]color.RGBA{'.': g, 'x': bgc, 't': blue, 'p': red},
		"...xt..x..p",
		"...x...x...")
	// The settings are as they were.
	if r.Truth.Mode != Off || !r.Difference.Enabled {
		t.Errorf("Compose changed settings: truth mode %v, difference %v", r.Truth.Mode, r.Difference.Enabled)
	}
	again, err := r.Compose(img, 0, 1, bgc)
	if err != nil || again != img {
		t.Errorf("Compose did not reuse its destination: %v", err)
	}
}

func TestSideBySide(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 2, 2))
	b := image.NewRGBA(image.Rect(5, 5, 6, 8)) // 1x3, not at the origin
	a.SetRGBA(1, 1, color.RGBA{9, 9, 9, 255})
	b.SetRGBA(5, 7, color.RGBA{7, 7, 7, 255})
	bgc := color.RGBA{0, 0, 0, 255}
	img, err := SideBySide(nil, 2, bgc, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 5 || img.Rect.Dy() != 3 {
		t.Fatalf("size %v, want 5x3", img.Rect)
	}
	if got := img.RGBAAt(1, 1); got != (color.RGBA{9, 9, 9, 255}) {
		t.Errorf("a's pixel: %v", got)
	}
	if got := img.RGBAAt(4, 2); got != (color.RGBA{7, 7, 7, 255}) {
		t.Errorf("b's pixel: %v", got)
	}
	if got := img.RGBAAt(1, 2); got != bgc {
		t.Errorf("below a: %v, want background", got)
	}
	if _, err := SideBySide(nil, 0, bgc); err == nil {
		t.Error("no panels accepted")
	}
}
