package view3d

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"liverseg/scan"
)

var update = flag.Bool("update", false, "rewrite the golden images under testdata/")

// checkGolden compares img with testdata/name pixel for pixel (or writes it, with -update).
func checkGolden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./viewer/view3d -run Golden -update writes it)", err)
	}
	dec, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want := image.NewRGBA(dec.Bounds())
	draw.Draw(want, want.Rect, dec, dec.Bounds().Min, draw.Src)
	if want.Rect.Size() != img.Rect.Size() {
		t.Fatalf("%s: size %v, golden %v", name, img.Rect.Size(), want.Rect.Size())
	}
	if n := diffPixels(img, want); n > 0 {
		t.Errorf("%s: %d pixels differ from the golden image", name, n)
	}
}

// goldenVolume is a CT grid around the sphere of the golden image: 80 × 80 × 50 voxels of
// 1.2 × 1.2 × 2 mm centred on (10, -20, 30).
func goldenVolume() *scan.Volume {
	v := &scan.Volume{
		Dims:      [3]int{80, 80, 50},
		Spacing:   [3]float64{1.2, 1.2, 2},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
	v.Origin = [3]float64{10 - 1.2*39.5, -20 - 1.2*39.5, 30 - 2*24.5}
	return v
}

// TestGoldenSphere: a sphere coloured by a signed distance (red lobes outside, blue inside,
// white between), the three planes (axial red, coronal green, sagittal blue, the axial one
// lightly filled), turned to show all three, with the orientation marker.
func TestGoldenSphere(t *testing.T) {
	c, r := [3]float64{10, -20, 30}, 40.0
	m := sphere(24, c, r)
	dist := make([]float32, len(m.Vertices))
	for i, p := range m.Vertices {
		x, y, z := (float64(p[0])-c[0])/r, (float64(p[1])-c[1])/r, (float64(p[2])-c[2])/r
		dist[i] = float32(8 * x * math.Cos(2*z) * (0.6 - y))
	}
	v := NewView(nil)
	mustSet(t, v.Scene, "prediction", Surface{Mesh: m, Colors: DistanceScale{Limit: 5}.Colors(nil, dist), Opacity: 1})
	vol := goldenVolume()
	for _, p := range []struct {
		plane scan.Plane
		slice int
		color color.RGBA
		fill  float64
	}{
		{scan.Axial, 30, color.RGBA{R: 220, G: 60, B: 60, A: 255}, 0.15},
		{scan.Coronal, 35, color.RGBA{R: 60, G: 200, B: 80, A: 255}, 0},
		{scan.Sagittal, 45, color.RGBA{R: 70, G: 120, B: 240, A: 255}, 0},
	} {
		corners, err := PlaneCorners(vol, p.plane, p.slice)
		if err != nil {
			t.Fatal(err)
		}
		v.Planes = append(v.Planes, PlaneMark{Corners: corners, Color: p.color, Fill: p.fill})
	}
	v.Reset()
	v.Camera.Rotate(50, 30)
	v.Camera.ZoomBy(-2.5) // out, to show the planes whole
	checkGolden(t, "sphere200.png", render(v, 200, 200))
}

func TestGoldenLegend(t *testing.T) {
	bg := color.RGBA{R: 18, G: 20, B: 26, A: 255}
	for _, l := range []struct {
		name string
		w, h int
	}{{"legend_upright.png", 90, 160}, {"legend_lying.png", 220, 48}} {
		img := image.NewRGBA(image.Rect(0, 0, l.w, l.h))
		if err := (DistanceScale{Limit: 5}).Legend(img, bg); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, l.name, img)
	}
}
