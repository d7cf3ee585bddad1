package viewer

import (
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"liverseg/scan"
)

var update = flag.Bool("update", false, "rewrite the golden images under testdata/")

// benchVolume is a synthetic abdomen: air outside a body disc of soft tissue (HU 40 with a gentle
// gradient), a liver ellipse (HU 90 ± a ripple) whose size changes from slice to slice, a truth mask
// of that ellipse and a prediction shifted and slightly larger.
func benchVolume(cols, rows, slices int) (*scan.Volume, *scan.Mask, *scan.Mask) {
	v := &scan.Volume{
		Voxels:    make([]int16, cols*rows*slices),
		Dims:      [3]int{cols, rows, slices},
		Spacing:   [3]float64{0.75, 0.75, 2},
		Direction: identity,
	}
	truth, pred := scan.NewMask(v.Dims), scan.NewMask(v.Dims)
	fc, fr := float64(cols), float64(rows)
	for k := 0; k < slices; k++ {
		s := 1 - 0.3*float64(k)/float64(max(slices-1, 1))
		for j := 0; j < rows; j++ {
			for i := 0; i < cols; i++ {
				x, y := (float64(i)+0.5)/fc-0.5, (float64(j)+0.5)/fr-0.5
				o := v.Index(i, j, k)
				hu := int16(-1000)
				if x*x+y*y < 0.2 {
					hu = int16(20 + 40*(y+0.5))
				}
				lx, ly := (x+0.1)/(0.25*s), (y+0.05)/(0.18*s)
				if lx*lx+ly*ly < 1 {
					hu = int16(90 + (i+2*j)%7 - 3)
					truth.Set(o, 1)
				}
				qx, qy := (x+0.07)/(0.27*s), (y+0.07)/(0.19*s)
				if qx*qx+qy*qy < 1 {
					pred.Set(o, 1)
				}
				v.Voxels[o] = hu
			}
		}
	}
	return v, truth, pred
}

// uncertainProb is a probability map that falls from 1 to 0 across the prediction's edge.
func uncertainProb(v *scan.Volume, pred *scan.Mask) *scan.Prob {
	voxels := make([]uint8, v.Len())
	cols, rows := v.Dims[0], v.Dims[1]
	for k := 0; k < v.Dims[2]; k++ {
		for j := 0; j < rows; j++ {
			for i := 0; i < cols; i++ {
				// count the prediction in the 5x5 neighbourhood
				n, in := 0, 0
				for dj := -2; dj <= 2; dj++ {
					for di := -2; di <= 2; di++ {
						ii, jj := i+di, j+dj
						if ii < 0 || jj < 0 || ii >= cols || jj >= rows {
							continue
						}
						n++
						if pred.At(v.Index(ii, jj, k)) != 0 {
							in++
						}
					}
				}
				voxels[v.Index(i, j, k)] = uint8(255 * in / n)
			}
		}
	}
	return probOf(v, voxels)
}

// probOf is the probability map of v from dense volume-ordered bytes.
func probOf(v *scan.Volume, voxels []uint8) *scan.Prob {
	p, err := scan.ProbFromVoxels(v.Dims, scan.NewCanonical(v.Dims, v.Spacing, v.Direction), voxels)
	if err != nil {
		panic(err) // the tests' own volumes: a wrong size is a bug of the test
	}
	return p
}

func checkGolden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			f.Close()
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./viewer -run Golden -update to write it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("%s: size %v, golden %v", name, img.Bounds(), want.Bounds())
	}
	bad := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			got := img.RGBAAt(x, y)
			w := color.RGBAModel.Convert(want.At(x, y)).(color.RGBA)
			if got != w {
				if bad < 5 {
					t.Errorf("%s: pixel (%d,%d) = %v, golden %v", name, x, y, got, w)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d pixels differ from the golden image", name, bad)
	}
}

func goldenRenderer(t *testing.T) *Renderer {
	v, truth, pred := benchVolume(64, 64, 3)
	r := mustRenderer(t, v)
	r.Window = WindowLiver
	r.Truth = Overlay{Mask: truth, Mode: Outline, Color: ColorTruth, Opacity: 1}
	r.Prediction = Overlay{Mask: pred, Mode: Fill, Color: ColorPrediction, Opacity: 0.4}
	r.Uncertainty.Prob = uncertainProb(v, pred)
	return r
}

func TestGoldenComposite(t *testing.T) {
	r := goldenRenderer(t)
	img, err := r.Compose(nil, 1, 2, color.RGBA{0, 0, 0, 255})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "composite64.png", img)
}

func TestGoldenOverlays(t *testing.T) {
	r := goldenRenderer(t)
	r.Window = WindowAbdomen
	both := mustRender(t, r, 1)
	both = cloneRGBA(both)

	r.Difference.Enabled = true
	r.Difference.Opacity = 0.6
	diff := cloneRGBA(mustRender(t, r, 1))

	r.Difference.Enabled = false
	r.Truth.Mode, r.Prediction.Mode = Off, Off
	r.Uncertainty.Mode = UncertaintyHeat
	r.Uncertainty.Opacity = 0.8
	heat := cloneRGBA(mustRender(t, r, 1))

	r.Uncertainty.Mode = UncertaintyBand
	band := cloneRGBA(mustRender(t, r, 1))

	img, err := SideBySide(nil, 2, color.RGBA{0, 0, 0, 255}, both, diff, heat, band)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "overlays64.png", img)
}

func cloneRGBA(m *image.RGBA) *image.RGBA {
	c := image.NewRGBA(m.Rect)
	copy(c.Pix, m.Pix)
	return c
}
