package viewer

import (
	"errors"
	"image"
	"image/color"
	"math"
	"testing"

	"liverseg/scan"
)

// identity is the LPS direction of a standard axial series: columns toward the patient's left,
// rows toward posterior, slices toward superior.
var identity = [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

func newVol(cols, rows, slices int, hu int16) *scan.Volume {
	v := &scan.Volume{
		Voxels:    make([]int16, cols*rows*slices),
		Dims:      [3]int{cols, rows, slices},
		Spacing:   [3]float64{1, 1, 1},
		Direction: identity,
	}
	for i := range v.Voxels {
		v.Voxels[i] = hu
	}
	return v
}

func mustRenderer(t testing.TB, v *scan.Volume) *Renderer {
	t.Helper()
	r, err := NewRenderer(v)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustRender(t testing.TB, r *Renderer, k int) *image.RGBA {
	t.Helper()
	img, err := r.Render(k)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func px(img *image.RGBA, x, y int) color.RGBA { return img.RGBAAt(x, y) }

func grey(g uint8) color.RGBA { return color.RGBA{g, g, g, 255} }

func TestWindowGray(t *testing.T) {
	tests := []struct {
		name string
		w    Window
		hu   int16
		want uint8
	}{
		{"liver low edge", WindowLiver, 15, 0},
		{"liver below", WindowLiver, 14, 0},
		{"liver air", WindowLiver, -1000, 0},
		{"liver one above low", WindowLiver, 16, 2}, // 255/150 = 1.7 -> 2
		{"liver centre", WindowLiver, 90, 128},      // 127.5 rounds up
		{"liver 60", WindowLiver, 60, 77},           // 45*1.7 = 76.5 -> 77
		{"liver high edge", WindowLiver, 165, 255},
		{"liver bone", WindowLiver, 700, 255},
		{"abdomen low edge", WindowAbdomen, -160, 0},
		{"abdomen water", WindowAbdomen, 0, 102}, // 160/400*255 = 102
		{"abdomen centre", WindowAbdomen, 40, 128},
		{"abdomen high edge", WindowAbdomen, 240, 255},
		{"abdomen min int16", WindowAbdomen, -32768, 0},
		{"abdomen max int16", WindowAbdomen, 32767, 255},
		{"zero width below", Window{Center: 50}, 49, 0},
		{"zero width above", Window{Center: 50}, 51, 255},
		{"negative width treated as 1", Window{Center: 50, Width: -3}, 51, 255},
		{"NaN centre", Window{Center: math.NaN(), Width: 100}, 0, 0},
		{"wide", Window{Center: 0, Width: 2000}, 500, 191}, // 1500/2000*255 = 191.25
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Gray(tc.hu); got != tc.want {
				t.Errorf("Window%+v.Gray(%d) = %d, want %d", tc.w, tc.hu, got, tc.want)
			}
		})
	}
}

func TestRenderWindowLUT(t *testing.T) {
	hus := []int16{-32768, -1000, -160, 0, 15, 40, 90, 165, 240, 1000, 32767}
	v := newVol(len(hus), 1, 1, 0)
	copy(v.Voxels, hus)
	r := mustRenderer(t, v)
	for _, w := range []Window{WindowLiver, WindowAbdomen, {Center: -600, Width: 1500}} {
		r.Window = w
		img := mustRender(t, r, 0)
		for x, hu := range hus {
			if got, want := px(img, x, 0), grey(w.Gray(hu)); got != want {
				t.Errorf("window %+v hu %d: pixel %v, want %v", w, hu, got, want)
			}
		}
	}
	if r.lutBuilds != 3 {
		t.Fatalf("lutBuilds = %d after 3 windows, want 3", r.lutBuilds)
	}
	mustRender(t, r, 0)
	mustRender(t, r, 0)
	if r.lutBuilds != 3 {
		t.Errorf("LUT rebuilt without a window change: %d builds", r.lutBuilds)
	}
	r.Window.Width++
	mustRender(t, r, 0)
	if r.lutBuilds != 4 {
		t.Errorf("LUT not rebuilt after a width change: %d builds", r.lutBuilds)
	}
}

// maskFrom builds a one-slice mask from rows of '#' (set) and '.' (clear).
func maskFrom(rows ...string) *scan.Mask {
	m := scan.NewMask([3]int{len(rows[0]), len(rows), 1})
	for j, row := range rows {
		for i, c := range row {
			if c == '#' {
				m.Set(j*len(row)+i, scan.Liver)
			}
		}
	}
	return m
}

// checkPattern compares every pixel with want[rune] under the rows of a pattern.
func checkPattern(t *testing.T, img *image.RGBA, want map[rune]color.RGBA, rows ...string) {
	t.Helper()
	for y, row := range rows {
		for x, c := range row {
			if got := px(img, x, y); got != want[c] {
				t.Errorf("pixel (%d,%d) [%c] = %v, want %v", x, y, c, got, want[c])
			}
		}
	}
}

// Abdomen window, HU 40: grey 128 everywhere.
const bg = 128

func TestFillExactPixels(t *testing.T) {
	v := newVol(4, 3, 1, 40)
	r := mustRenderer(t, v)
	r.Truth = Overlay{Mask: maskFrom("##..", "#...", "...."), Mode: Fill, Color: color.RGBA{255, 0, 0, 255}, Opacity: 0.5}
	img := mustRender(t, r, 0)
	// a = 128/256: 255*0.5 + 128*0.5 = 191.5 -> 191 (truncated), 128*0.5 = 64.
	checkPattern(t, img, map[rune]color.RGBA{'#': {191, 64, 64, 255}, '.': grey(bg)},
		"##..", "#...", "....")

	// Opacity 1 shows the colour exactly; opacity 0 shows nothing; a mode of Off draws nothing.
	r.Truth.Opacity = 1
	img = mustRender(t, r, 0)
	checkPattern(t, img, map[rune]color.RGBA{'#': {255, 0, 0, 255}, '.': grey(bg)}, "##..", "#...", "....")
	r.Truth.Opacity = 0
	img = mustRender(t, r, 0)
	checkPattern(t, img, map[rune]color.RGBA{'#': grey(bg), '.': grey(bg)}, "##..", "#...", "....")
	r.Truth.Opacity = 1
	r.Truth.Mode = Off
	img = mustRender(t, r, 0)
	checkPattern(t, img, map[rune]color.RGBA{'#': grey(bg), '.': grey(bg)}, "##..", "#...", "....")
}

func TestPredictionOverTruth(t *testing.T) {
	v := newVol(3, 1, 1, 40)
	r := mustRenderer(t, v)
	r.Truth = Overlay{Mask: maskFrom("##."), Mode: Fill, Color: color.RGBA{0, 0, 255, 255}, Opacity: 0.5}
	r.Prediction = Overlay{Mask: maskFrom(".##"), Mode: Fill, Color: color.RGBA{255, 0, 0, 255}, Opacity: 0.5}
	img := mustRender(t, r, 0)
	// truth only: (64, 64, 191); both: truth then prediction over it: r = (255+64)/2 = 159,
	// g = 64/2 = 32, b = 191/2 = 95; prediction only: (191, 64, 64).
	checkPattern(t, img, map[rune]color.RGBA{
		't': {64, 64, 191, 255}, 'b': {159, 32, 95, 255}, 'p': {191, 64, 64, 255},
	}, "tbp")
}

func TestOutlineVsFill(t *testing.T) {
	v := newVol(6, 6, 1, 40)
	r := mustRenderer(t, v)
	shape := []string{
		"......",
		".###..",
		".####.",
		".###..",
		"......",
		"##....",
	}
	red := color.RGBA{255, 0, 0, 255}
	r.Prediction = Overlay{Mask: maskFrom(shape...), Mode: Fill, Color: red, Opacity: 1}
	img := mustRender(t, r, 0)
	fill := map[rune]color.RGBA{'#': red, '.': grey(bg)}
	checkPattern(t, img, fill, shape...)

	r.Prediction.Mode = Outline
	img = mustRender(t, r, 0)
	// Only (2,2) and (3,2) have all four neighbours inside; the two pixels on the image's bottom
	// edge are boundary pixels because the outside of the image is outside the mask.
	checkPattern(t, img, map[rune]color.RGBA{'o': red, 'i': grey(bg), '.': grey(bg)},
		"......",
		".ooo..",
		".oiio.",
		".ooo..",
		"......",
		"oo....",
	)
}

func TestDifferenceColours(t *testing.T) {
	v := newVol(4, 1, 1, 40)
	r := mustRenderer(t, v)
	r.Truth = Overlay{Mask: maskFrom("##.."), Mode: Outline, Color: color.RGBA{1, 2, 3, 255}, Opacity: 1}
	r.Prediction = Overlay{Mask: maskFrom("#.#."), Mode: Fill, Color: color.RGBA{4, 5, 6, 255}, Opacity: 1}
	r.Difference.Enabled = true
	r.Difference.Opacity = 1
	img := mustRender(t, r, 0)
	checkPattern(t, img, map[rune]color.RGBA{
		'a': ColorAgree, 'n': ColorFalseNegative, 'p': ColorFalsePositive, '.': grey(bg),
	}, "anp.")
	if ColorAgree == ColorFalsePositive || ColorAgree == ColorFalseNegative || ColorFalsePositive == ColorFalseNegative {
		t.Error("difference colours are not distinct")
	}

	// Difference works with the overlays' modes off, and with only one mask.
	r.Truth.Mode, r.Prediction.Mode = Off, Off
	img = mustRender(t, r, 0)
	checkPattern(t, img, map[rune]color.RGBA{
		'a': ColorAgree, 'n': ColorFalseNegative, 'p': ColorFalsePositive, '.': grey(bg),
	}, "anp.")
	r.Truth.Mask = nil
	img = mustRender(t, r, 0)
	checkPattern(t, img, map[rune]color.RGBA{'p': ColorFalsePositive, '.': grey(bg)}, "p.p.")

	// Half opacity blends the colour.
	r.Difference.Opacity = 0.5
	img = mustRender(t, r, 0)
	c := ColorFalsePositive
	half := color.RGBA{uint8((uint32(c.R)*128 + bg*128) >> 8), uint8((uint32(c.G)*128 + bg*128) >> 8), uint8((uint32(c.B)*128 + bg*128) >> 8), 255}
	checkPattern(t, img, map[rune]color.RGBA{'p': half, '.': grey(bg)}, "p.p.")
}

func TestUncertainty(t *testing.T) {
	probs := []uint8{0, 63, 64, 128, 191, 192, 255}
	v := newVol(len(probs), 1, 1, 40)
	p := probOf(v, probs)
	r := mustRenderer(t, v)
	r.Uncertainty = Uncertainty{Prob: p, Mode: UncertaintyBand, Color: color.RGBA{255, 255, 0, 255}, Opacity: 1}
	img := mustRender(t, r, 0)
	y := color.RGBA{255, 255, 0, 255}
	checkPattern(t, img, map[rune]color.RGBA{'u': y, '.': grey(bg)}, "..uuu..")

	r.Uncertainty.Mode = UncertaintyHeat
	img = mustRender(t, r, 0)
	// Certain pixels are untouched; p = 128/255 is almost fully red.
	for _, x := range []int{0, 6} {
		if got := px(img, x, 0); got != grey(bg) {
			t.Errorf("heat: certain pixel %d = %v, want grey", x, got)
		}
	}
	if got := px(img, 3, 0); got.R < 250 || got.G > 8 || got.B > 8 {
		t.Errorf("heat at p=0.5: %v, want about red", got)
	}
	// Symmetric: p and 1-p look the same.
	if a, b := px(img, 1, 0), px(img, 5, 0); a != b {
		t.Errorf("heat not symmetric: %v vs %v", a, b)
	}
	// Uncertainty sits under the masks.
	r.Uncertainty.Mode = UncertaintyBand
	r.Prediction = Overlay{Mask: maskOf(t, v.Dims, 0, 0, 0, 1, 0, 0, 0), Mode: Fill, Color: color.RGBA{0, 0, 255, 255}, Opacity: 1}
	img = mustRender(t, r, 0)
	checkPattern(t, img, map[rune]color.RGBA{'u': y, 'b': {0, 0, 255, 255}, '.': grey(bg)}, "..ubu..")
}

func TestRenderErrors(t *testing.T) {
	v := newVol(4, 3, 2, 0)
	r := mustRenderer(t, v)
	if _, err := r.Render(2); !errors.Is(err, ErrSlice) {
		t.Errorf("Render(2) of 2 slices: %v, want ErrSlice", err)
	}
	if _, err := r.Render(-1); !errors.Is(err, ErrSlice) {
		t.Errorf("Render(-1): %v, want ErrSlice", err)
	}
	r.Truth = Overlay{Mask: scan.NewMask([3]int{4, 3, 1}), Mode: Fill, Opacity: 1}
	if _, err := r.Render(0); err == nil {
		t.Error("mask of the wrong size accepted")
	}
	r.Truth = Overlay{}
	small := newVol(3, 1, 1, 0)
	r.Uncertainty = Uncertainty{Prob: probOf(small, make([]uint8, 3)), Mode: UncertaintyHeat}
	if _, err := r.Render(0); err == nil {
		t.Error("probability map of the wrong size accepted")
	}
	flipped := newVol(4, 3, 2, 0)
	flipped.Direction = [3][3]float64{{-1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	r.Uncertainty = Uncertainty{Prob: probOf(flipped, make([]uint8, 24)), Mode: UncertaintyHeat}
	if _, err := r.Render(0); err == nil {
		t.Error("probability map kept in other slices accepted")
	}
	r.Uncertainty = Uncertainty{}
	if err := r.RenderTo(image.NewRGBA(image.Rect(0, 0, 3, 4)), 0); err == nil {
		t.Error("destination of the wrong size accepted")
	}
	if _, err := NewRenderer(&scan.Volume{Dims: [3]int{2, 2, 1}}); err == nil {
		t.Error("volume without voxels accepted")
	}
}

func TestRenderToSubImage(t *testing.T) {
	v := newVol(2, 2, 1, 40)
	r := mustRenderer(t, v)
	big := image.NewRGBA(image.Rect(0, 0, 5, 4))
	sub := big.SubImage(image.Rect(2, 1, 4, 3)).(*image.RGBA)
	if err := r.RenderTo(sub, 0); err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < 5; x++ {
			want := color.RGBA{}
			if x >= 2 && x < 4 && y >= 1 && y < 3 {
				want = grey(bg)
			}
			if got := big.RGBAAt(x, y); got != want {
				t.Errorf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestRenderNoAllocs(t *testing.T) {
	v, truth, pred := benchVolume(64, 64, 4)
	r := mustRenderer(t, v)
	r.Truth = Overlay{Mask: truth, Mode: Fill, Color: ColorTruth, Opacity: 0.4}
	r.Prediction = Overlay{Mask: pred, Mode: Outline, Color: ColorPrediction, Opacity: 1}
	mustRender(t, r, 0)
	k := 0
	if n := testing.AllocsPerRun(20, func() {
		k = (k + 1) % 4
		if _, err := r.Render(k); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Render allocates %v times a call", n)
	}
	var dst *image.RGBA
	dst, _ = r.Compose(dst, 0, 2, color.RGBA{A: 255})
	if n := testing.AllocsPerRun(20, func() {
		if _, err := r.Compose(dst, 1, 2, color.RGBA{A: 255}); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Compose with a reused destination allocates %v times a call", n)
	}
}

// maskOf is the mask of dims holding voxels (dense, in volume order).
func maskOf(t testing.TB, dims [3]int, voxels ...uint8) *scan.Mask {
	t.Helper()
	m, err := scan.MaskFromVoxels(dims, voxels)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
