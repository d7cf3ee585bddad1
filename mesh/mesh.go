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
