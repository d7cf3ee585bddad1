// Package mesh builds triangle surfaces of label masks (for the 3D view and for export to 3D
// Slicer and printers) and measures them. It is pure Go and imports scan, never Fyne.
package mesh

import "math"

// Mesh is a triangle surface in patient coordinates: DICOM LPS millimetres (x toward the
// patient's left, y toward posterior, z toward the head), the frame the series' own geometry
// gives, so that a mesh lies on its CT in any viewer that reads LPS (3D Slicer does for STL and
// OBJ that say so in their header). Triangles index Vertices and are wound counter-clockwise
// seen from outside (their normals, by the right-hand rule, point out of the mask).
type Mesh struct {
	Vertices  [][3]float32
	Triangles [][3]int32
}

// Volume is the volume the mesh encloses in mm³ (the divergence theorem over its triangles):
// positive for a closed mesh wound outward.
func (m *Mesh) Volume() float64 {
	var v float64
	for _, t := range m.Triangles {
		a, b, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
		ax, ay, az := float64(a[0]), float64(a[1]), float64(a[2])
		bx, by, bz := float64(b[0]), float64(b[1]), float64(b[2])
		cx, cy, cz := float64(c[0]), float64(c[1]), float64(c[2])
		v += ax*(by*cz-bz*cy) - ay*(bx*cz-bz*cx) + az*(bx*cy-by*cx)
	}
	return v / 6
}

// Area is the mesh's surface area in mm².
func (m *Mesh) Area() float64 {
	var s float64
	for _, t := range m.Triangles {
		a, b, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
		ux, uy, uz := float64(b[0]-a[0]), float64(b[1]-a[1]), float64(b[2]-a[2])
		vx, vy, vz := float64(c[0]-a[0]), float64(c[1]-a[1]), float64(c[2]-a[2])
		x, y, z := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
		s += math.Sqrt(x*x+y*y+z*z) / 2
	}
	return s
}

// Normals is the outward unit normal of each vertex: the mean of its triangles' normals weighted
// by their areas, for smooth shading. A vertex of no triangle, or whose triangles cancel, gets
// the zero vector.
func (m *Mesh) Normals() [][3]float32 {
	acc := make([][3]float64, len(m.Vertices))
	for _, t := range m.Triangles {
		a, b, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
		ux, uy, uz := float64(b[0]-a[0]), float64(b[1]-a[1]), float64(b[2]-a[2])
		vx, vy, vz := float64(c[0]-a[0]), float64(c[1]-a[1]), float64(c[2]-a[2])
		// The cross product's length is twice the triangle's area: the weight comes with it.
		n := [3]float64{uy*vz - uz*vy, uz*vx - ux*vz, ux*vy - uy*vx}
		for _, v := range t {
			acc[v][0] += n[0]
			acc[v][1] += n[1]
			acc[v][2] += n[2]
		}
	}
	out := make([][3]float32, len(m.Vertices))
	for i, n := range acc {
		l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
		if l > 0 && !math.IsInf(l, 0) {
			out[i] = [3]float32{float32(n[0] / l), float32(n[1] / l), float32(n[2] / l)}
		}
	}
	return out
}

// Bounds is the smallest box, in LPS mm, that holds every vertex (zero for no vertex).
func (m *Mesh) Bounds() (lo, hi [3]float32) {
	if len(m.Vertices) == 0 {
		return lo, hi
	}
	lo, hi = m.Vertices[0], m.Vertices[0]
	for _, p := range m.Vertices[1:] {
		for a := range 3 {
			lo[a], hi[a] = min(lo[a], p[a]), max(hi[a], p[a])
		}
	}
	return lo, hi
}
