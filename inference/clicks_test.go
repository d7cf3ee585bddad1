package inference

import (
	"errors"
	"math"
	"testing"
)

// TestClickGeometry: the input pixel spacing is the slice's spacing times its size over the
// input size, per axis; positions scale with the sizes; an unknown spacing is 1 mm.
func TestClickGeometry(t *testing.T) {
	c := DefaultContract()
	c.InputW, c.InputH = 256, 128
	g := NewClickGeometry(c, 512, 512, 0.7, 0.8)
	if g.SX != 1.4 || math.Abs(g.SY-3.2) > 1e-12 {
		t.Errorf("input spacing %v x %v mm, want 1.4 x 3.2", g.SX, g.SY)
	}
	if p := g.ToInput([2]float64{100.5, 50.25}); p != [2]float64{50.25, 12.5625} {
		t.Errorf("ToInput = %v", p)
	}
	if g := NewClickGeometry(c, 256, 128, 0, math.NaN()); g.SX != 1 || g.SY != 1 {
		t.Errorf("unknown spacing gives %v x %v mm, want 1 x 1", g.SX, g.SY)
	}
}

// TestDrawClicks: exact values at known pixels on anisotropic input pixels (0.5 mm columns, 2 mm
// rows), for the disk and the Gaussian, the maximum over two clicks, and clicks that draw
// nothing (far outside, NaN).
func TestDrawClicks(t *testing.T) {
	g := ClickGeometry{Cols: 40, Rows: 30, W: 40, H: 30, SX: 0.5, SY: 2}
	n := g.W * g.H
	dst, d2 := make([]float32, n), make([]float64, n)
	at := func(x, y int) float32 { return dst[y*g.W+x] }
	// A click on the centre of pixel (10, 10), radius 2 mm: 4 columns or 1 row.
	if err := g.DrawClicks(dst, d2, [][2]float64{{10.5, 10.5}}, ClickDisk, 2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x, y int
		want float32
	}{
		{10, 10, 1}, {14, 10, 1}, {6, 10, 1}, {15, 10, 0}, {5, 10, 0}, // 2 mm along the row: in; 2.5: out
		{10, 11, 1}, {10, 9, 1}, {10, 12, 0}, // a row is 2 mm
		{11, 11, 0}, // sqrt(0.25 + 4) > 2
	} {
		if got := at(c.x, c.y); got != c.want {
			t.Errorf("disk at (%d, %d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	sum := float32(0)
	for _, v := range dst {
		sum += v
	}
	if sum != 9+2 { // row 10: columns 6..14; rows 9 and 11: column 10
		t.Errorf("disk covers %v pixels, want 11", sum)
	}

	// Two Gaussian clicks; each pixel takes the nearer one.
	if err := g.DrawClicks(dst, d2, [][2]float64{{10.5, 10.5}, {30, 20}}, ClickGaussian, 2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x, y int
		d2   float64 // mm² to the nearest click
	}{
		{10, 10, 0}, {12, 10, 1}, {10, 11, 4}, {13, 12, 2.25 + 16},
		{30, 20, 0.0625 + 1}, {29, 19, 0.0625 + 1}, // the second click sits on a pixel corner
	} {
		want := float32(math.Exp(-c.d2 / 8))
		if got := at(c.x, c.y); math.Abs(float64(got-want)) > 1e-7 {
			t.Errorf("gaussian at (%d, %d) = %v, want %v", c.x, c.y, got, want)
		}
	}
	// Cut off beyond 5.26 radii: 10.52 mm, 5 rows out is 10 mm (kept), 6 rows 12 mm (dropped).
	if at(10, 15) == 0 || at(10, 16) != 0 {
		t.Errorf("gaussian cut-off: %v at 10 mm, %v at 12 mm", at(10, 15), at(10, 16))
	}

	// Clicks far outside the input or NaN draw nothing (and the map is cleared first).
	if err := g.DrawClicks(dst, d2, [][2]float64{{-1e6, 5}, {math.NaN(), 3}, {5, 1e9}}, ClickDisk, 2); err != nil {
		t.Fatal(err)
	}
	for i, v := range dst {
		if v != 0 {
			t.Fatalf("pixel %d = %v after clicks outside", i, v)
		}
	}
	if err := g.DrawClicks(dst, d2, nil, "spray", 2); err != nil {
		t.Errorf("no clicks in an unknown encoding: %v", err) // nothing to draw
	}
	if err := g.DrawClicks(dst, d2, [][2]float64{{1, 1}}, "spray", 2); !errors.Is(err, ErrContract) {
		t.Errorf("unknown encoding: %v, want ErrContract", err)
	}
	if err := g.DrawClicks(dst[:10], d2, nil, ClickDisk, 2); err == nil {
		t.Error("a short map: no error")
	}
}
