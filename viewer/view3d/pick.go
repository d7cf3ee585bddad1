package view3d

import (
	"image"
	"math"
)

// Project is where LPS point p (mm) appears in the last Render's image: pixel coordinates of
// that image (the centre of pixel (i, j) is (i+0.5, j+0.5)) and its depth, mm in front of the
// eye. ok is false before a Render or for a point behind the eye.
func (v *View) Project(p [3]float64) (x, y, depth float64, ok bool) {
	if v.lastRect.Empty() {
		return 0, 0, 0, false
	}
	return v.last.screen(v.last.view(p))
}

// Unproject is the LPS point (mm) at pixel coordinates (x, y) of the last Render's image and
// depth mm in front of the eye: the inverse of Project. ok is false before a Render.
func (v *View) Unproject(x, y, depth float64) (p [3]float64, ok bool) {
	if v.lastRect.Empty() || !(depth > 0) {
		return p, false
	}
	pr := &v.last
	c := [3]float64{(x - pr.cx) / pr.focal * depth, -(y - pr.cy) / pr.focal * depth, -depth}
	return pr.world(c), true
}

// Pick is the surface point (LPS mm) under pixel (x, y) of the last Render's image, the
// nearest to the eye along the ray through the pixel's centre, on the surfaces that Render
// drew (translucent ones too; a closed surface's back faces are not hit, as they are not
// drawn). ok is false where the pixel shows no surface, or before a Render.
func (v *View) Pick(x, y int) (lps [3]float64, ok bool) {
	if !image.Pt(x, y).In(v.lastRect) {
		return lps, false
	}
	eye, dir := v.last.ray(float64(x)+0.5, float64(y)+0.5)
	best := math.Inf(1)
	for _, l := range v.drawn {
		vs := l.s.Mesh.Vertices
		cull := !l.s.TwoSided
		for _, t := range l.s.Mesh.Triangles {
			if d, hit := intersect(eye, dir, vs[t[0]], vs[t[1]], vs[t[2]], cull); hit && d < best {
				best = d
			}
		}
	}
	if math.IsInf(best, 1) {
		return lps, false
	}
	for a := 0; a < 3; a++ {
		lps[a] = eye[a] + best*dir[a]
	}
	return lps, true
}

// intersect is the distance along the ray (eye, unit dir) to triangle a, b, c (Möller–Trumbore),
// with hit false when it misses, lies behind the eye, or (cull) faces away from the eye.
func intersect(eye, dir [3]float64, a, b, c [3]float32, cull bool) (float64, bool) {
	a0, a1, a2 := float64(a[0]), float64(a[1]), float64(a[2])
	e1 := [3]float64{float64(b[0]) - a0, float64(b[1]) - a1, float64(b[2]) - a2}
	e2 := [3]float64{float64(c[0]) - a0, float64(c[1]) - a1, float64(c[2]) - a2}
	p := [3]float64{dir[1]*e2[2] - dir[2]*e2[1], dir[2]*e2[0] - dir[0]*e2[2], dir[0]*e2[1] - dir[1]*e2[0]}
	det := e1[0]*p[0] + e1[1]*p[1] + e1[2]*p[2]
	// det = -dir·(e1×e2): > 0 where the ray meets the triangle's front (its outward normal
	// e1×e2 points back at the eye)
	if det == 0 || (cull && det < 0) || math.IsNaN(det) {
		return 0, false
	}
	inv := 1 / det
	s := [3]float64{eye[0] - a0, eye[1] - a1, eye[2] - a2}
	u := (s[0]*p[0] + s[1]*p[1] + s[2]*p[2]) * inv
	if u < 0 || u > 1 {
		return 0, false
	}
	q := [3]float64{s[1]*e1[2] - s[2]*e1[1], s[2]*e1[0] - s[0]*e1[2], s[0]*e1[1] - s[1]*e1[0]}
	w := (dir[0]*q[0] + dir[1]*q[1] + dir[2]*q[2]) * inv
	if w < 0 || u+w > 1 {
		return 0, false
	}
	d := (e2[0]*q[0] + e2[1]*q[1] + e2[2]*q[2]) * inv
	return d, d > 0
}
