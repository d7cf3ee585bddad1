package mesh

import (
	"errors"
	"math"
	"testing"

	"liverseg/scan"
)

// ballMM is a mask of a ball of radius r mm centred at c (voxel indices) on v's grid.
func ballMM(v *scan.Volume, c [3]float64, r float64) *scan.Mask {
	return maskOf(v.Dims, func(x, y, z int) bool {
		dx, dy, dz := (float64(x)-c[0])*v.Spacing[0], (float64(y)-c[1])*v.Spacing[1], (float64(z)-c[2])*v.Spacing[2]
		return dx*dx+dy*dy+dz*dz <= r*r
	})
}

// The truth's own surface is at distance 0 where the surface runs along the grid, and within a
// quarter of the largest spacing where it steps (the distances are those of voxel centres, whose
// nearest boundary voxel may lie along another axis); concentric balls 3 mm larger or smaller are
// 3 mm outside or inside, on an anisotropic grid.
func TestSignedDistanceBalls(t *testing.T) {
	v := unitVolume([3]int{48, 44, 26})
	v.Spacing = [3]float64{0.8, 0.8, 1.6}
	c := [3]float64{24.2, 21.7, 12.9}
	truth := ballMM(v, c, 12)
	self, err := Build(truth, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := SignedDistance(self, truth, v)
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	var abs float64
	for i, x := range d {
		if math.Abs(float64(x)) < 1e-3 {
			zero++
		}
		abs += math.Abs(float64(x))
		if math.Abs(float64(x)) > 1.6/4 {
			t.Fatalf("vertex %d of the truth's own surface: %v mm", i, x)
		}
	}
	t.Logf("the truth's own surface: %d of %d vertices within 0.001 mm, mean |d| %.3f mm", zero, len(d), abs/float64(len(d)))
	if zero < len(d)/2 || abs/float64(len(d)) > 0.1 {
		t.Fatalf("the truth's own surface: %d of %d vertices at 0, mean |d| %.3f mm", zero, len(d), abs/float64(len(d)))
	}
	for _, r := range []float64{15, 9} {
		pred, err := Build(ballMM(v, c, r), v, Options{Smooth: 5})
		if err != nil {
			t.Fatal(err)
		}
		d, err := SignedDistance(pred, truth, v)
		if err != nil {
			t.Fatal(err)
		}
		// Against the distance to the truth's own surface, triangle by triangle (every
		// seventh vertex: brute force is slow).
		var off float64
		n := 0
		for i, x := range d {
			if i%7 != 0 {
				continue
			}
			n++
			p := pred.Vertices[i]
			exact := surfaceDistance(self, [3]float64{float64(p[0]), float64(p[1]), float64(p[2])})
			off += math.Abs(float64(x) - exact)
			if math.Abs(float64(x)-exact) > 1.6/4 {
				t.Fatalf("ball of %v mm, vertex %d: %v mm, %v mm to the truth's triangles", r, i, x, exact)
			}
		}
		t.Logf("ball of %v mm: mean |d - distance to the truth's triangles| %.3f mm", r, off/float64(n))
		if off/float64(n) > 0.1 {
			t.Fatalf("ball of %v mm: mean |d - distance to the truth's triangles| %.3f mm", r, off/float64(n))
		}
		want := r - 12
		var sum float64
		for i, x := range d {
			sum += float64(x)
			// Each ball's voxels round its surface by up to half a slice.
			if math.Abs(float64(x)-want) > 1.6 {
				t.Fatalf("ball of %v mm, vertex %d at %v: %v mm, want about %v", r, i, pred.Vertices[i], x, want)
			}
		}
		mean := sum / float64(len(d))
		t.Logf("ball of %v mm against 12 mm: mean %.3f mm", r, mean)
		if math.Abs(mean-want) > 0.3 {
			t.Fatalf("ball of %v mm: mean %.3f mm, want %v", r, mean, want)
		}
	}
}

// On flipped and permuted axes, the distances are those of the same voxels on plain axes.
func TestSignedDistanceGeometry(t *testing.T) {
	dims := [3]int{20, 18, 16}
	plain := unitVolume(dims)
	plain.Spacing = [3]float64{0.7, 0.9, 1.5}
	truth := ballMM(plain, [3]float64{9, 9, 8}, 6)
	pm := ballMM(plain, [3]float64{11, 8, 8}, 5)
	pred, _ := Build(pm, plain, Options{})
	want, err := SignedDistance(pred, truth, plain)
	if err != nil {
		t.Fatal(err)
	}
	odd := *plain
	odd.Direction = [3][3]float64{{0, -1, 0}, {0, 0, 1}, {-1, 0, 0}}
	odd.Origin = [3]float64{120, -40, 300}
	pred2, _ := Build(pm, &odd, Options{})
	got, err := SignedDistance(pred2, truth, &odd)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-3 {
			t.Fatalf("vertex %d: %v mm, %v on plain axes", i, got[i], want[i])
		}
	}
}

func TestSignedDistanceErrors(t *testing.T) {
	v := unitVolume([3]int{8, 8, 8})
	pred, _ := Build(ball(v.Dims, 2), v, Options{})
	if _, err := SignedDistance(pred, scan.NewMask(v.Dims), v); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty truth: %v, want ErrEmpty", err)
	}
	if _, err := SignedDistance(pred, scan.NewMask([3]int{8, 8, 7}), v); !errors.Is(err, scan.ErrGeometry) {
		t.Fatalf("truth of other dims: %v, want ErrGeometry", err)
	}
}
