package view3d

import (
	"errors"
	"image"
	"image/color"
	"math"
	"testing"
)

func TestDistanceScale(t *testing.T) {
	s := DistanceScale{Limit: 4}
	if c := s.Color(0); c != (color.RGBA{R: 0xf7, G: 0xf7, B: 0xf7, A: 255}) {
		t.Errorf("0 mm: %v, want near-white", c)
	}
	red, blue := color.RGBA{R: 0xb2, G: 0x18, B: 0x2b, A: 255}, color.RGBA{R: 0x21, G: 0x66, B: 0xac, A: 255}
	for _, d := range []float64{4, 4.0001, 50, math.Inf(1)} {
		if c := s.Color(d); c != red {
			t.Errorf("%v mm (outside): %v, want %v", d, c, red)
		}
	}
	for _, d := range []float64{-4, -50, math.Inf(-1)} {
		if c := s.Color(d); c != blue {
			t.Errorf("%v mm (inside): %v, want %v", d, c, blue)
		}
	}
	if c := s.Color(math.NaN()); c != NoDistance {
		t.Errorf("NaN: %v", c)
	}
	// outside grows redder, inside bluer, step by step
	prev := s.Color(0)
	for d := 0.25; d <= 4; d += 0.25 {
		c, in := s.Color(d), s.Color(-d)
		if !(c.R > c.B && c.B <= prev.B) || !(in.B > in.R) {
			t.Fatalf("%v mm: outside %v (before %v), inside %v", d, c, prev, in)
		}
		prev = c
	}
	// a zero scale saturates at the default limit
	if (DistanceScale{}).Color(DefaultDistanceLimit) != red || (DistanceScale{}).Color(DefaultDistanceLimit/2) == red {
		t.Error("the zero scale does not saturate at DefaultDistanceLimit")
	}
	got := s.Colors(make([]color.RGBA, 1), []float32{-4, 0, 4})
	if len(got) != 3 || got[0] != blue || got[2] != red {
		t.Errorf("Colors: %v", got)
	}
}

func TestLegend(t *testing.T) {
	bg := color.RGBA{R: 1, G: 2, B: 3, A: 255}
	s := DistanceScale{Limit: 5}
	for _, size := range []image.Point{{79, 200}, {80, 119}, {199, 60}, {300, 43}} {
		if err := s.Legend(image.NewRGBA(image.Rectangle{Max: size}), bg); !errors.Is(err, ErrTooSmall) {
			t.Errorf("%v: %v, want ErrTooSmall", size, err)
		}
	}
	// upright: red (outside) at the top of the bar, blue at its bottom, at an offset rectangle
	img := image.NewRGBA(image.Rect(10, 20, 100, 180))
	if err := s.Legend(img, bg); err != nil {
		t.Fatal(err)
	}
	top, bottom := img.RGBAAt(10+6+7, 20+glyphH+8), img.RGBAAt(10+6+7, 180-glyphH-9)
	if !(top.R > 150 && top.B < 80) || !(bottom.B > 150 && bottom.R < 80) {
		t.Errorf("bar's top %v, bottom %v", top, bottom)
	}
	if img.RGBAAt(99, 179) != bg {
		t.Errorf("corner %v, want the background", img.RGBAAt(99, 179))
	}
	if got := []string{mmLabel(2.5), mmLabel(0), mmLabel(-5), number(-2.5), number(5), number(0)}; got[0] != "+2.5 mm" ||
		got[1] != "0" || got[2] != "-5 mm" || got[3] != "-2.5" || got[4] != "+5" || got[5] != "0" {
		t.Errorf("labels %q", got)
	}
}
