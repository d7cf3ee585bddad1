package mesh

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"liverseg/scan"
)

// unitVolume is a volume of dims with 1 mm voxels at the origin, axes along L, P, S: voxel
// indices are LPS millimetres.
func unitVolume(dims [3]int) *scan.Volume {
	return &scan.Volume{Dims: dims, Spacing: [3]float64{1, 1, 1}, Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
}

func maskOf(dims [3]int, set func(x, y, z int) bool) *scan.Mask {
	m := scan.NewMask(dims)
	for z := range dims[2] {
		for y := range dims[1] {
			for x := range dims[0] {
				if set(x, y, z) {
					m.SetIJK(x, y, z, scan.Liver)
				}
			}
		}
	}
	return m
}

// checkInsideOut: every voxel centre of a unit-spaced volume is inside the surface (winding 1)
// exactly where the mask is set, and outside (winding 0) elsewhere.
func checkInsideOut(t *testing.T, s *Mesh, m *scan.Mask) {
	t.Helper()
	d := m.Dims
	for z := range d[2] {
		for y := range d[1] {
			for x := range d[0] {
				w := winding(s, [3]float64{float64(x), float64(y), float64(z)})
				want := 0.0
				if m.AtIJK(x, y, z) != 0 {
					want = 1
				}
				if math.Abs(w-want) > 1e-3 {
					t.Fatalf("voxel (%d,%d,%d): winding number %.4f, want %v", x, y, z, w, want)
				}
			}
		}
	}
}

func TestOneVoxel(t *testing.T) {
	for _, dims := range [][3]int{{1, 1, 1}, {3, 3, 3}} {
		v := unitVolume(dims)
		v.Spacing = [3]float64{0.7, 0.9, 2.5}
		m := maskOf(dims, func(x, y, z int) bool { return x == dims[0]/2 && y == dims[1]/2 && z == dims[2]/2 })
		s, err := Build(m, v, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkSurface(t, s)
		// An octahedron through the six face centres of the voxel: a sixth of its volume.
		if len(s.Vertices) != 6 || len(s.Triangles) != 8 {
			t.Fatalf("%d vertices, %d triangles; want the octahedron's 6 and 8", len(s.Vertices), len(s.Triangles))
		}
		want := 0.7 * 0.9 * 2.5 / 6
		if got := s.Volume(); math.Abs(got-want) > 1e-6 {
			t.Fatalf("dims %v: volume %v mm³, want %v", dims, got, want)
		}
	}
}

// A mask filling the whole volume touches every border: the surface closes outside it.
func TestBorderTouching(t *testing.T) {
	dims := [3]int{4, 3, 2}
	m := maskOf(dims, func(x, y, z int) bool { return true })
	s, err := Build(m, unitVolume(dims), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkSurface(t, s)
	if e := euler(s); e != 2 {
		t.Fatalf("Euler characteristic %d, want 2 (one closed piece)", e)
	}
	checkInsideOut(t, s, m)
	// Box faces lie on the voxels' outer faces; only the edges and corners are bevelled.
	if v := s.Volume(); v > 24 || v < 24-0.5*(4+3+2)*4/2 {
		t.Fatalf("volume %v, want a little under 24", v)
	}
}

// Voxels that touch only along an edge or at a corner: separate closed pieces, never a pinch.
func TestDiagonalContacts(t *testing.T) {
	cases := map[string][][3]int{
		"edge":           {{0, 0, 0}, {1, 1, 0}},
		"corner":         {{0, 0, 0}, {1, 1, 1}},
		"checkerboard":   {{0, 0, 0}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}},
		"anti-checker":   {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}},
		"ring of corner": {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 1, 1}, {0, 1, 1}, {0, 0, 1}},
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			dims := [3]int{2, 2, 2}
			m := scan.NewMask(dims)
			for _, p := range set {
				m.SetIJK(p[0], p[1], p[2], 1)
			}
			s, err := Build(m, unitVolume(dims), Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkSurface(t, s)
			checkInsideOut(t, s, m)
			if s.Volume() <= 0 {
				t.Fatalf("volume %v", s.Volume())
			}
		})
	}
}

// Every one of the 256 corner configurations, alone in a 2x2x2 volume: closed, manifold, outward.
func TestAllCubeCases(t *testing.T) {
	dims := [3]int{2, 2, 2}
	for c := 1; c < 256; c++ {
		m := scan.NewMask(dims)
		for k := range 8 {
			if c>>k&1 == 1 {
				m.Set(k, 1)
			}
		}
		s, err := Build(m, unitVolume(dims), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if f := surfaceFault(s); f != "" {
			t.Fatalf("case %08b: %s", c, f)
		}
		checkInsideOut(t, s, m)
	}
}

// Random masks, dense and sparse, touching the borders: always a closed, consistently wound
// manifold that holds exactly the set voxels' centres.
func TestRandomMasks(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 5))
	for i := range 60 {
		dims := [3]int{1 + r.IntN(7), 1 + r.IntN(7), 1 + r.IntN(6)}
		p := 0.2 + 0.6*r.Float64()
		m := maskOf(dims, func(x, y, z int) bool { return r.Float64() < p })
		s, err := Build(m, unitVolume(dims), Options{})
		if errors.Is(err, ErrEmpty) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if f := surfaceFault(s); f != "" {
			t.Fatalf("mask %d (%v, p %.2f): %s", i, dims, p, f)
		}
		checkInsideOut(t, s, m)
		// The coarser grid and smoothing keep the topology's guarantees.
		s, err = Build(m, unitVolume(dims), Options{Step: 2, Smooth: 3})
		if err != nil {
			t.Fatal(err)
		}
		if f := surfaceFault(s); f != "" {
			t.Fatalf("mask %d (%v, p %.2f), step 2: %s", i, dims, p, f)
		}
	}
}

// ball is a mask of a ball of radius r voxels in a volume of dims, centred off the grid.
func ball(dims [3]int, r float64) *scan.Mask {
	c := [3]float64{float64(dims[0])/2 + 0.3, float64(dims[1])/2 - 0.2, float64(dims[2])/2 + 0.1}
	return maskOf(dims, func(x, y, z int) bool {
		dx, dy, dz := float64(x)-c[0], float64(y)-c[1], float64(z)-c[2]
		return dx*dx+dy*dy+dz*dz <= r*r
	})
}

// voxelCount is the number of m's set voxels.
func voxelCount(m *scan.Mask) int { return int(scan.VolumeML(m, 1)) }

// A large ball: the enclosed volume is that of its voxels within 1 %, and Taubin smoothing keeps
// it (within 1 %) while making the surface smaller (the steps gone).
func TestBallVolume(t *testing.T) {
	dims := [3]int{40, 36, 30}
	m := ball(dims, 13)
	v := unitVolume(dims)
	v.Spacing = [3]float64{0.8, 0.8, 1.6}
	want := float64(voxelCount(m)) * 0.8 * 0.8 * 1.6
	s, err := Build(m, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkSurface(t, s)
	if e := euler(s); e != 2 {
		t.Fatalf("Euler characteristic %d, want 2", e)
	}
	if got := s.Volume(); math.Abs(got-want) > 0.01*want {
		t.Fatalf("volume %.1f mm³, voxels %.1f mm³", got, want)
	}
	sm, err := Build(m, v, Options{Smooth: 10})
	if err != nil {
		t.Fatal(err)
	}
	checkSurface(t, sm)
	if got := sm.Volume(); math.Abs(got-want) > 0.01*want {
		t.Fatalf("smoothed volume %.1f mm³, voxels %.1f mm³", got, want)
	}
	if sm.Area() >= s.Area() {
		t.Fatalf("smoothing left the area at %.1f mm² (unsmoothed %.1f)", sm.Area(), s.Area())
	}
	t.Logf("ball: %d voxels, %.1f mm³; surface %.1f mm³ (%d triangles), smoothed %.1f mm³", voxelCount(m), want, s.Volume(), len(s.Triangles), sm.Volume())
}

// A coarser step: fewer triangles, still closed, the volume still close; MaxTriangles keeps to
// its budget.
func TestStep(t *testing.T) {
	dims := [3]int{50, 50, 40}
	m := ball(dims, 18)
	v := unitVolume(dims)
	want := float64(voxelCount(m))
	full, err := Build(m, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int{2, 3, 5} {
		s, err := Build(m, v, Options{Step: step})
		if err != nil {
			t.Fatal(err)
		}
		checkSurface(t, s)
		if len(s.Triangles)*step*step > 2*len(full.Triangles) {
			t.Errorf("step %d: %d triangles, full %d", step, len(s.Triangles), len(full.Triangles))
		}
		// Averaging blocks blurs the ball a little, which a threshold at one half shrinks.
		if got := s.Volume(); math.Abs(got-want) > 0.02*float64(step)*want {
			t.Errorf("step %d: volume %.0f, voxels %.0f", step, got, want)
		}
		t.Logf("step %d: %d triangles (full %d), volume %.0f, voxels %.0f", step, len(s.Triangles), len(full.Triangles), s.Volume(), want)
	}
	for _, budget := range []int{100, 1000, 5000} {
		s, err := Build(m, v, Options{MaxTriangles: budget})
		if err != nil {
			t.Fatal(err)
		}
		checkSurface(t, s)
		if len(s.Triangles) > budget {
			t.Errorf("budget %d: %d triangles", budget, len(s.Triangles))
		}
	}
	// A mask thinner than the step's blocks falls back to a finer grid rather than vanish.
	one := maskOf(dims, func(x, y, z int) bool { return x == 7 && y == 8 && z == 9 })
	s, err := Build(one, v, Options{Step: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkSurface(t, s)
	if len(s.Triangles) == 0 {
		t.Fatal("a one-voxel mask vanished at step 4")
	}
}

func TestBuildErrors(t *testing.T) {
	v := unitVolume([3]int{4, 4, 4})
	if _, err := Build(scan.NewMask(v.Dims), v, Options{}); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty mask: %v, want ErrEmpty", err)
	}
	if _, err := Build(scan.NewMask([3]int{4, 4, 3}), v, Options{}); !errors.Is(err, scan.ErrGeometry) {
		t.Fatalf("mask of other dims: %v, want ErrGeometry", err)
	}
}

// On a volume with permuted, flipped and sheared (gantry-tilted) axes, every vertex lands where
// v.Position puts its voxel coordinates, and the surface stays wound outward in LPS.
func TestGeometry(t *testing.T) {
	dims := [3]int{9, 8, 7}
	m := maskOf(dims, func(x, y, z int) bool { return (x-4)*(x-4)+(y-3)*(y-3)+2*(z-3)*(z-3) < 10 || (x == 8 && y == 0) })
	ref, err := Build(m, unitVolume(dims), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tilt := 0.3
	geoms := map[string]*scan.Volume{
		"permuted": {Direction: [3][3]float64{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}},
		"flipped":  {Direction: [3][3]float64{{-1, 0, 0}, {0, 1, 0}, {0, 0, 1}}},
		"mirrored": {Direction: [3][3]float64{{0, 1, 0}, {1, 0, 0}, {0, 0, -1}}},
		"sagittal": {Direction: [3][3]float64{{0, 1, 0}, {0, 0, -1}, {-1, 0, 0}}},
		// Gantry tilt: the slice axis leans in y, the direction matrix is not orthogonal.
		"tilted": {Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, math.Sin(tilt), math.Cos(tilt)}}},
	}
	for name, g := range geoms {
		t.Run(name, func(t *testing.T) {
			g.Dims, g.Spacing, g.Origin = dims, [3]float64{0.7, 0.8, 2}, [3]float64{-100, 30.5, 812}
			s, err := Build(m, g, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkSurface(t, s)
			if len(s.Vertices) != len(ref.Vertices) {
				t.Fatalf("%d vertices, %d on the unit grid", len(s.Vertices), len(ref.Vertices))
			}
			for i, p := range ref.Vertices {
				want := g.Position(float64(p[0]), float64(p[1]), float64(p[2]))
				for a := range 3 {
					if math.Abs(float64(s.Vertices[i][a])-want[a]) > 1e-3 {
						t.Fatalf("vertex %d at %v, Position says %v", i, s.Vertices[i], want)
					}
				}
			}
			det := math.Abs(det3(g.Affine()))
			if got, want := s.Volume(), ref.Volume()*det; math.Abs(got-want) > 1e-3*want {
				t.Fatalf("volume %v, want %v (positive: wound outward)", got, want)
			}
		})
	}
}

// Normals point outward: on a ball, along the direction from the centre.
func TestNormals(t *testing.T) {
	dims := [3]int{30, 30, 30}
	s, err := Build(ball(dims, 10), unitVolume(dims), Options{Smooth: 5})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := s.Bounds()
	c := [3]float32{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2}
	for i, n := range s.Normals() {
		p := s.Vertices[i]
		d := [3]float32{p[0] - c[0], p[1] - c[1], p[2] - c[2]}
		l := float32(math.Sqrt(float64(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])))
		if cos := (n[0]*d[0] + n[1]*d[1] + n[2]*d[2]) / l; cos < 0.8 {
			t.Fatalf("vertex %d at %v: normal %v, %.2f off the radius", i, p, n, cos)
		}
		if nl := n[0]*n[0] + n[1]*n[1] + n[2]*n[2]; math.Abs(float64(nl)-1) > 1e-4 {
			t.Fatalf("normal %v not unit", n)
		}
	}
}
