package mesh

import (
	"math"
	"testing"
)

// cube is the unit cube [0,s]³, twelve triangles wound outward.
func cube(s float32) *Mesh {
	v := [][3]float32{{0, 0, 0}, {s, 0, 0}, {s, s, 0}, {0, s, 0}, {0, 0, s}, {s, 0, s}, {s, s, s}, {0, s, s}}
	t := [][3]int32{
		{0, 2, 1}, {0, 3, 2}, // z = 0, normal -z
		{4, 5, 6}, {4, 6, 7}, // z = s, normal +z
		{0, 1, 5}, {0, 5, 4}, // y = 0, normal -y
		{3, 7, 6}, {3, 6, 2}, // y = s, normal +y
		{0, 4, 7}, {0, 7, 3}, // x = 0, normal -x
		{1, 2, 6}, {1, 6, 5}, // x = s, normal +x
	}
	return &Mesh{Vertices: v, Triangles: t}
}

func TestVolumeArea(t *testing.T) {
	m := cube(2)
	if v := m.Volume(); math.Abs(v-8) > 1e-9 {
		t.Fatalf("volume %v, want 8", v)
	}
	if a := m.Area(); math.Abs(a-24) > 1e-9 {
		t.Fatalf("area %v, want 24", a)
	}
	for i := range m.Triangles {
		m.Triangles[i][1], m.Triangles[i][2] = m.Triangles[i][2], m.Triangles[i][1]
	}
	if v := m.Volume(); math.Abs(v+8) > 1e-9 {
		t.Fatalf("inward-wound volume %v, want -8", v)
	}
}
