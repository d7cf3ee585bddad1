package view3d

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// TestWalkLine: a line is one pixel a column (or a row, when steep), with no gaps or repeats,
// each within half a pixel of the true line: long lines clipped to the image once missed
// pixels where the sample fell just short of a pixel's edge.
func TestWalkLine(t *testing.T) {
	for i := 0; i < 300; i++ {
		f := float64(i)
		ax, ay := -1074.4+f*0.37, 333.5+20*math.Sin(f)
		bx, by := 1843.1-f*1.3, 378.7+300*math.Cos(0.3*f)
		if i%2 == 1 { // steep ones too
			ax, ay, bx, by = ay, ax, by, bx
		}
		steep := math.Abs(by-ay) > math.Abs(bx-ax)
		seen := map[int]bool{}
		walkLine(ax, ay, bx, by, everywhere, func(px, py int, _ float64) {
			major, minor := px, py
			x, y := float64(px)+0.5, float64(py)+0.5
			if steep {
				major, minor = py, px
				x, y = y, x
				_ = minor
			}
			if seen[major] {
				t.Fatalf("segment %d: pixel %d twice", i, major)
			}
			seen[major] = true
			// distance along the minor axis from the true line at this pixel's centre
			a0, a1, b0, b1 := ax, ay, bx, by
			if steep {
				a0, a1, b0, b1 = ay, ax, by, bx
			}
			want := a1 + (x-a0)/(b0-a0)*(b1-a1)
			if math.Abs(want-y) > 0.5+1e-9 {
				t.Fatalf("segment %d: pixel (%d,%d) is %.2f from the line", i, px, py, want-y)
			}
		})
		lo, hi := math.Min(ax, bx), math.Max(ax, bx)
		if steep {
			lo, hi = math.Min(ay, by), math.Max(ay, by)
		}
		for p := int(math.Ceil(lo - 0.5)); p <= int(math.Floor(hi-0.5)); p++ {
			if !seen[p] {
				t.Fatalf("segment %d: pixel %d missed", i, p)
			}
		}
	}
	n := 0
	walkLine(3.2, 4.7, 3.2, 4.7, everywhere, func(px, py int, _ float64) {
		if px != 3 || py != 4 {
			t.Fatalf("a point at (%d,%d)", px, py)
		}
		n++
	})
	if n != 1 {
		t.Fatalf("a point drawn %d times", n)
	}
	// clipped: only the pixels inside, the same ones as unclipped
	clip := image.Rect(0, 0, 800, 600)
	var all, in []image.Point
	walkLine(-1074.4, 333.5, 1843.1, 378.7, everywhere, func(px, py int, _ float64) {
		if p := image.Pt(px, py); p.In(clip) {
			all = append(all, p)
		}
	})
	walkLine(-1074.4, 333.5, 1843.1, 378.7, clip, func(px, py int, _ float64) { in = append(in, image.Pt(px, py)) })
	if len(in) != 800 || len(all) != len(in) || in[0] != all[0] || in[799] != all[799] {
		t.Fatalf("clipped line: %d pixels, %d unclipped inside", len(in), len(all))
	}
}

// everywhere is a clip rectangle that clips nothing the tests draw.
var everywhere = image.Rect(-1e6, -1e6, 1e6, 1e6)

// TestPlaneMarks: an outline in front of a surface shows over it, one behind it is hidden; a
// plane's fill tints the surface behind it and never the background.
func TestPlaneMarks(t *testing.T) {
	red := color.RGBA{R: 255, A: 255}
	c := [3]float64{0, 0, 0}
	// a coronal-like plane (constant y) through the sphere's centre, and one behind it
	square := func(y, half float64) [4][3]float64 {
		return [4][3]float64{{-half, y, half}, {half, y, half}, {half, y, -half}, {-half, y, -half}}
	}
	v := NewView(nil)
	mustSet(t, v.Scene, "s", Surface{Mesh: sphere(16, c, 30), Color: bone, Opacity: 1})
	v.Camera = DefaultCamera(c, 60)
	plain := render(v, 120, 120)

	// through the centre, 20 mm across: its outline lies inside the sphere, hidden
	v.Planes = []PlaneMark{{Corners: square(0, 10), Color: red}}
	if n := diffPixels(plain, render(v, 120, 120)); n != 0 {
		t.Fatalf("an outline inside the sphere changed %d pixels", n)
	}
	// in front of the sphere (y = -40, anterior): all of its outline shows
	v.Planes = []PlaneMark{{Corners: square(-40, 10), Color: red, Width: 1}}
	img := render(v, 120, 120)
	for _, corner := range v.Planes[0].Corners {
		x, y, _, _ := v.Project(corner)
		if got := img.RGBAAt(int(x), int(y)); got != red && img.RGBAAt(int(x)-1, int(y)-1) != red {
			t.Fatalf("corner at (%.1f, %.1f): %v, want the outline", x, y, got)
		}
	}
	// a fill through the centre, wider than the sphere, seen from 60° to the side: the front
	// half stays as it was, the part of the back half in sight is tinted, the background
	// around the sphere is not
	v.Camera.Yaw = math.Pi / 3
	v.Planes = []PlaneMark{{Corners: square(0, 100), Color: red, Fill: 0.5, Width: 1}}
	filled := render(v, 120, 120)
	v.Planes[0].Fill = 0
	outlined := render(v, 120, 120)
	if filled.RGBAAt(60, 60) != outlined.RGBAAt(60, 60) {
		t.Error("the sphere's front, in front of the plane, is tinted")
	}
	tinted := 0
	for y := 0; y < 120; y++ {
		for x := 0; x < 120; x++ {
			a, b := filled.RGBAAt(x, y), outlined.RGBAAt(x, y)
			if a == b {
				continue
			}
			if v.depth[y*120+x] == 0 {
				t.Fatalf("background pixel (%d,%d) tinted: %v, was %v", x, y, a, b)
			}
			if a.R <= b.R {
				t.Fatalf("pixel (%d,%d) tinted %v from %v, not toward red", x, y, a, b)
			}
			tinted++
		}
	}
	if tinted < 50 {
		t.Fatalf("%d pixels tinted", tinted)
	}
}
