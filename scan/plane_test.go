package scan

import "testing"

// TestPlaneOffsets checks, for every axis order and direction a volume may be stored in, that
// each plane's offsets are the axial view's voxels reached through ToPlane/FromPlane, and that
// the plane's axes run toward the patient directions its doc names.
func TestPlaneOffsets(t *testing.T) {
	dims := [3]int{4, 3, 5}
	// want[p][a] is the LPS axis plane p's axis a runs along, and its sign.
	want := [3][3]struct {
		lps  int
		sign float64
	}{
		Axial:    {{0, 1}, {1, 1}, {2, 1}},
		Coronal:  {{0, 1}, {2, -1}, {1, 1}},
		Sagittal: {{1, 1}, {2, -1}, {0, 1}},
	}
	for _, dir := range storedDirections() {
		c := NewCanonical(dims, [3]float64{1, 2, 3}, dir)
		pos := func(o int) [3]float64 {
			vi, vj, vk := o%dims[0], o/dims[0]%dims[1], o/(dims[0]*dims[1])
			var p [3]float64
			for a := 0; a < 3; a++ {
				p[a] = float64(vi)*dir[0][a] + float64(vj)*dir[1][a] + float64(vk)*dir[2][a]
			}
			return p
		}
		for _, p := range Planes {
			pc := c.Plane(p)
			seen := make(map[int]bool)
			buf := make([]int, pc.Dims[0]*pc.Dims[1])
			for s := 0; s < pc.Dims[2]; s++ {
				pc.SliceOffsets(s, buf)
				for y := 0; y < pc.Dims[1]; y++ {
					for x := 0; x < pc.Dims[0]; x++ {
						o := pc.Offset(x, y, s)
						if buf[y*pc.Dims[0]+x] != o {
							t.Fatalf("%v: SliceOffsets and Offset differ at %d,%d,%d", p, x, y, s)
						}
						i, j, k := c.FromPlane(p, x, y, s)
						if c.Offset(i, j, k) != o {
							t.Fatalf("dir %v %v: (%d,%d,%d) is offset %d, FromPlane gives axial (%d,%d,%d) = %d",
								dir, p, x, y, s, o, i, j, k, c.Offset(i, j, k))
						}
						if x2, y2, s2 := c.ToPlane(p, i, j, k); x2 != x || y2 != y || s2 != s {
							t.Fatalf("%v: ToPlane(FromPlane(%d,%d,%d)) = %d,%d,%d", p, x, y, s, x2, y2, s2)
						}
						seen[o] = true
					}
				}
			}
			if len(seen) != dims[0]*dims[1]*dims[2] {
				t.Fatalf("%v reaches %d voxels of %d", p, len(seen), dims[0]*dims[1]*dims[2])
			}
			p0 := pos(pc.Offset(0, 0, 0))
			for a, step := range [3][3]int{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} {
				p1 := pos(pc.Offset(step[0], step[1], step[2]))
				w := want[p][a]
				if d := (p1[w.lps] - p0[w.lps]) * w.sign; d <= 0 {
					t.Fatalf("dir %v %v: axis %d does not run along %+v", dir, p, a, w)
				}
				if pc.Spacing[a] != c.Spacing[planeAxes[p].axis[a]] {
					t.Fatalf("%v: spacing %v", p, pc.Spacing)
				}
			}
		}
		if c.Plane(Axial) != c {
			t.Fatal("Plane(Axial) is not the axial view")
		}
	}
}

func TestParsePlane(t *testing.T) {
	for _, p := range Planes {
		q, err := ParsePlane(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePlane(%q) = %v, %v", p.String(), q, err)
		}
	}
	if _, err := ParsePlane("oblique"); err == nil {
		t.Fatal("oblique parsed")
	}
}

// TestFromVolume: FromVolume undoes Offset in every storage order, and VoxelOf undoes Position
// on a tilted geometry.
func TestFromVolume(t *testing.T) {
	dims := [3]int{4, 3, 5}
	for _, dir := range storedDirections() {
		c := NewCanonical(dims, [3]float64{1, 1, 1}, dir)
		for i := 0; i < c.Dims[0]; i++ {
			for j := 0; j < c.Dims[1]; j++ {
				for k := 0; k < c.Dims[2]; k++ {
					o := c.Offset(i, j, k)
					vox := [3]int{o % dims[0], o / dims[0] % dims[1], o / (dims[0] * dims[1])}
					if a, b, d := c.FromVolume(vox); a != i || b != j || d != k {
						t.Fatalf("dir %v: FromVolume(%v) = %d,%d,%d, want %d,%d,%d", dir, vox, a, b, d, i, j, k)
					}
				}
			}
		}
	}
	v := &Volume{Dims: dims, Spacing: [3]float64{0.7, 0.8, 2.5}, Origin: [3]float64{-100, 50, 300},
		Direction: [3][3]float64{{1, 0, 0}, {0, 0.96592583, -0.25881905}, {0, 0, 1}}}
	want := [3]float64{1.5, 2.25, 3}
	got, ok := v.VoxelOf(v.Position(want[0], want[1], want[2]))
	for a := range got {
		if !ok || got[a]-want[a] > 1e-9 || want[a]-got[a] > 1e-9 {
			t.Fatalf("VoxelOf(Position(%v)) = %v, %v", want, got, ok)
		}
	}
	v.Spacing[2] = 0
	if _, ok := v.VoxelOf([3]float64{}); ok {
		t.Fatal("VoxelOf of a flat geometry")
	}
}
