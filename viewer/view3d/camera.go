package view3d

import "math"

// Camera orbits a centre at a fixed distance, looking at it through a perspective of
// fieldOfView. Yaw 0 and pitch 0 is the radiological default, an anterior view: the patient
// faces the reader, the patient's right on the screen's left, the head up.
type Camera struct {
	Center [3]float64 // LPS mm the camera orbits and looks at
	Radius float64    // mm: the sphere around Center that fills the view at Zoom 1; 0: not framed yet
	Yaw    float64    // radians about the patient's S axis; > 0 turns the patient's front to the screen's right
	Pitch  float64    // radians about the screen's horizontal axis, in [-π/2, π/2]; > 0 looks from above
	Zoom   float64    // 1 fits the sphere; 2 shows it twice as large
}

const (
	fieldOfView = 30 * math.Pi / 180 // a moderate perspective, as 3D Slicer's default
	fitMargin   = 0.92               // of the view's smaller side that the framed sphere fills
	rotateSpeed = math.Pi / 360      // radians a pixel of drag turns: half a degree
	zoomStep    = 1.15               // zoom factor of one wheel step
	minZoom     = 0.25
	maxZoom     = 16
)

// DefaultCamera is the anterior view of the sphere (centre, radius), at zoom 1.
func DefaultCamera(center [3]float64, radius float64) Camera {
	return Camera{Center: center, Radius: radius, Zoom: 1}
}

// FrameBox is the default camera framing the box lo–hi (LPS mm).
func FrameBox(lo, hi [3]float64) Camera {
	d := sub3(hi, lo)
	return DefaultCamera(boxCentre(lo, hi), fitRadius(math.Sqrt(dot3(d, d))/2))
}

// Rotate turns the view by a drag of (dx, dy) pixels: the surface follows the pointer (a drag
// to the right turns the patient's front to the right, a drag down shows the top).
func (c *Camera) Rotate(dx, dy float64) {
	if math.IsNaN(dx) || math.IsNaN(dy) || math.IsInf(dx, 0) || math.IsInf(dy, 0) {
		return
	}
	c.Yaw = math.Remainder(c.Yaw+dx*rotateSpeed, 2*math.Pi)
	c.Pitch = math.Max(-math.Pi/2, math.Min(math.Pi/2, c.Pitch+dy*rotateSpeed))
}

// ZoomBy zooms by wheel steps: > 0 closer, < 0 farther, within 1/4 to 16 times the fit.
func (c *Camera) ZoomBy(steps float64) {
	if math.IsNaN(steps) || math.IsInf(steps, 0) {
		return
	}
	z := c.Zoom
	if !(z > 0) {
		z = 1
	}
	c.Zoom = math.Max(minZoom, math.Min(maxZoom, z*math.Pow(zoomStep, steps)))
}

// rotation is the matrix from LPS directions to the camera's axes (rows: the screen's right,
// its up and the direction toward the reader).
func (c *Camera) rotation() [3][3]float64 {
	// anterior view: right = patient left (+x), up = superior (+z), toward the reader = anterior (-y)
	base := [3][3]float64{{1, 0, 0}, {0, 0, 1}, {0, -1, 0}}
	sy, cy := math.Sincos(c.Yaw)
	yaw := [3][3]float64{{cy, -sy, 0}, {sy, cy, 0}, {0, 0, 1}} // about the patient's S axis
	sp, cp := math.Sincos(c.Pitch)
	pitch := [3][3]float64{{1, 0, 0}, {0, cp, -sp}, {0, sp, cp}} // about the screen's x axis
	return mul3(pitch, mul3(base, yaw))
}

func mul3(a, b [3][3]float64) [3][3]float64 {
	var m [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				m[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return m
}

// projection is a camera fixed for one image: LPS mm to pixel coordinates and back.
type projection struct {
	center   [3]float64
	rot      [3][3]float64 // LPS direction → camera axes
	distance float64       // mm from the eye to the centre
	focal    float64       // pixels per unit of x/depth
	cx, cy   float64       // the image's centre, pixel coordinates
	near     float64       // mm: closer than this to the eye is not drawn
}

// project fixes camera c for an image whose pixels span [x0, x0+w) × [y0, y0+h).
func (c *Camera) project(x0, y0, w, h int) projection {
	r := c.Radius
	if !(r > 0) {
		r = 1
	}
	zoom := c.Zoom
	if !(zoom > 0) {
		zoom = 1
	}
	half := fieldOfView / 2
	return projection{
		center:   c.Center,
		rot:      c.rotation(),
		distance: r / math.Sin(half),
		focal:    zoom * fitMargin * float64(min(w, h)) / 2 / math.Tan(half),
		cx:       float64(x0) + float64(w)/2,
		cy:       float64(y0) + float64(h)/2,
		near:     r * 1e-3,
	}
}

// view is p (LPS mm) in camera coordinates: x right, y up, z toward the reader, the eye at
// the origin (a visible point has z < 0).
func (pr *projection) view(p [3]float64) [3]float64 {
	d := [3]float64{p[0] - pr.center[0], p[1] - pr.center[1], p[2] - pr.center[2]}
	var v [3]float64
	for i := 0; i < 3; i++ {
		v[i] = pr.rot[i][0]*d[0] + pr.rot[i][1]*d[1] + pr.rot[i][2]*d[2]
	}
	v[2] -= pr.distance
	return v
}

// world is the inverse of view.
func (pr *projection) world(v [3]float64) [3]float64 {
	v[2] += pr.distance
	var p [3]float64
	for i := 0; i < 3; i++ {
		p[i] = pr.center[i] + pr.rot[0][i]*v[0] + pr.rot[1][i]*v[1] + pr.rot[2][i]*v[2]
	}
	return p
}

// screen is where camera-space point v lands (pixel coordinates) and its depth (mm in front
// of the eye); ok is false for a point too close to or behind the eye.
func (pr *projection) screen(v [3]float64) (x, y, depth float64, ok bool) {
	depth = -v[2]
	if !(depth >= pr.near) {
		return 0, 0, depth, false
	}
	return pr.cx + pr.focal*v[0]/depth, pr.cy - pr.focal*v[1]/depth, depth, true
}

// ray is the eye (LPS mm) and the unit direction through pixel coordinates (x, y).
func (pr *projection) ray(x, y float64) (eye, dir [3]float64) {
	eye = pr.world([3]float64{0, 0, 0})
	v := [3]float64{(x - pr.cx) / pr.focal, -(y - pr.cy) / pr.focal, -1}
	var l float64
	for i := 0; i < 3; i++ {
		dir[i] = pr.rot[0][i]*v[0] + pr.rot[1][i]*v[1] + pr.rot[2][i]*v[2]
		l += dir[i] * dir[i]
	}
	l = math.Sqrt(l)
	for i := range dir {
		dir[i] /= l
	}
	return eye, dir
}
