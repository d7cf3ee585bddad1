package view3d

import (
	"image"
	"image/color"
	"math"
)

// View draws a Scene through a Camera into images and answers what lies under a pixel of the
// last one. It is not safe for concurrent use (the GUI renders and picks on one goroutine);
// its Scene is.
type View struct {
	Scene  *Scene
	Camera Camera // Radius 0: framed on the scene at the next Render
	// Planes are the slice planes' outlines, drawn depth-tested over the surfaces.
	Planes []PlaneMark
	// Background is the colour behind the surfaces: dark, as on a workstation.
	Background color.RGBA

	last     projection // the camera of the last Render
	lastRect image.Rectangle
	drawn    []*layer // the surfaces the last Render drew, for Pick
	depth    []float32
	verts    []vertex
}

// PlaneMark is one slice plane's position, drawn as its outline and, when Fill is above 0,
// a tint of the surfaces behind the plane (those in front of it stay clear, so the tint's edge
// is where the plane cuts them; the background is not tinted).
type PlaneMark struct {
	Corners [4][3]float64 // LPS mm, in order around the rectangle (PlaneCorners gives them)
	Color   color.RGBA    // alpha ignored
	Fill    float64       // opacity of the fill, 0–1
	Width   int           // outline width in pixels; 0: 2
}

// DefaultBackground is the workstation-dark background NewView gives a view.
var DefaultBackground = color.RGBA{R: 18, G: 20, B: 26, A: 255}

// NewView is a view of scene (a new empty one when nil) on DefaultBackground.
func NewView(scene *Scene) *View {
	if scene == nil {
		scene = NewScene()
	}
	return &View{Scene: scene, Background: DefaultBackground}
}

// Lighting: a headlight at the eye, Lambert's diffuse term and a little white specular.
const (
	ambient   = 0.18
	diffuse   = 0.74
	specular  = 0.2 // of full white, at the highlight's centre
	shininess = 64  // the exponent, a power of two (computed by squaring)
)

// Reset turns the camera back to the anterior view at zoom 1, framing the visible surfaces
// (or, with none, the planes; with neither, it keeps the centre it had).
func (v *View) Reset() {
	if c, r, ok := v.frame(); ok {
		v.Camera = DefaultCamera(c, r)
		return
	}
	v.Camera = DefaultCamera(v.Camera.Center, v.Camera.Radius)
}

// frame is the sphere a view fits: around the centre of the visible surfaces' box, through
// their farthest vertex (tighter than the box's corners, and still whole at any turn); with
// no surface, around the planes' corners.
func (v *View) frame() (center [3]float64, radius float64, ok bool) {
	sc := v.Scene
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	var lo, hi [3]float64
	if lo, hi, ok = sc.bounds(); ok {
		center = boxCentre(lo, hi)
		var r2 float64
		for _, l := range sc.layers {
			if !sc.drawn(l) {
				continue
			}
			for _, p := range l.s.Mesh.Vertices {
				d := [3]float64{float64(p[0]) - center[0], float64(p[1]) - center[1], float64(p[2]) - center[2]}
				r2 = math.Max(r2, d[0]*d[0]+d[1]*d[1]+d[2]*d[2])
			}
		}
		return center, fitRadius(math.Sqrt(r2)), true
	}
	for _, p := range v.Planes {
		for _, c := range p.Corners {
			if !ok {
				lo, hi, ok = c, c, true
			}
			for a := 0; a < 3; a++ {
				lo[a], hi[a] = math.Min(lo[a], c[a]), math.Max(hi[a], c[a])
			}
		}
	}
	if !ok {
		return center, 0, false
	}
	center = boxCentre(lo, hi)
	return center, fitRadius(math.Sqrt(dot3(sub3(hi, lo), sub3(hi, lo))) / 2), true
}

func boxCentre(lo, hi [3]float64) [3]float64 {
	return [3]float64{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2}
}

// fitRadius is r, or 1 mm for a point or anything not finite.
func fitRadius(r float64) float64 {
	if !(r > 0) || math.IsInf(r, 0) {
		return 1
	}
	return r
}

func sub3(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func dot3(a, b [3]float64) float64    { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// Render draws the scene into dst (all of dst.Rect, any size): the background, the opaque
// surfaces, the planes, the translucent surfaces, then the orientation marker. A camera not
// yet framed (Radius 0) is framed on the scene first. An empty scene with no planes leaves
// only the background (the GUI says why: Scene.Empty).
func (v *View) Render(dst *image.RGBA) {
	rect := dst.Rect
	w, h := rect.Dx(), rect.Dy()
	v.drawn = v.drawn[:0]
	v.lastRect = rect
	if w <= 0 || h <= 0 {
		return
	}
	fillBackground(dst, v.Background)
	if !(v.Camera.Radius > 0) {
		c, r, ok := v.frame()
		if !ok {
			v.lastRect = image.Rectangle{}
			return
		}
		v.Camera = DefaultCamera(c, r)
	}
	pr := v.Camera.project(rect.Min.X, rect.Min.Y, w, h)
	v.last = pr
	if cap(v.depth) < w*h {
		v.depth = make([]float32, w*h)
	}
	t := &target{pix: dst.Pix[dst.PixOffset(rect.Min.X, rect.Min.Y):], stride: dst.Stride, w: w, h: h, depth: v.depth[:w*h]}
	clear(t.depth)
	// the same projection with the image's origin at (0, 0), for the target's own pixels
	local := pr
	local.cx, local.cy = float64(w)/2, float64(h)/2

	v.Scene.mu.RLock()
	for _, l := range v.Scene.layers {
		if v.Scene.drawn(l) {
			v.drawn = append(v.drawn, l)
		}
	}
	v.Scene.mu.RUnlock()
	// layers are never changed once set (Set replaces them), so they are drawn unlocked
	for _, l := range v.drawn {
		if l.s.Opacity >= 1 {
			v.drawSurface(t, &local, l)
		}
	}
	v.drawPlanes(t, &local)
	for _, l := range v.drawn {
		if l.s.Opacity < 1 {
			v.drawSurface(t, &local, l)
		}
	}
	drawMarker(dst, &pr)
}

// drawSurface shades l's vertices for this frame and rasterises its triangles.
func (v *View) drawSurface(t *target, pr *projection, l *layer) {
	m := l.s.Mesh
	if cap(v.verts) < len(m.Vertices) {
		v.verts = make([]vertex, len(m.Vertices))
	}
	verts := v.verts[:len(m.Vertices)]
	shade(verts, pr, l)
	alpha := float32(math.Min(1, l.s.Opacity))
	cull := !l.s.TwoSided
	for _, tri := range m.Triangles {
		t.triangle(&verts[tri[0]], &verts[tri[1]], &verts[tri[2]], cull, alpha, false)
	}
}

// shade places l's vertices on the screen and lights them: a headlight at the eye, so the
// surface facing the reader is brightest whichever way the view is turned.
func shade(out []vertex, pr *projection, l *layer) {
	rot := pr.rot
	cx, cy, cz := pr.center[0], pr.center[1], pr.center[2]
	uniform := l.s.Colors == nil
	base := [3]float64{float64(l.s.Color.R), float64(l.s.Color.G), float64(l.s.Color.B)}
	twoSided := l.s.TwoSided
	for i, p := range l.s.Mesh.Vertices {
		dx, dy, dz := float64(p[0])-cx, float64(p[1])-cy, float64(p[2])-cz
		x := rot[0][0]*dx + rot[0][1]*dy + rot[0][2]*dz
		y := rot[1][0]*dx + rot[1][1]*dy + rot[1][2]*dz
		z := rot[2][0]*dx + rot[2][1]*dy + rot[2][2]*dz - pr.distance
		depth := -z
		if depth < pr.near {
			out[i].x = noVertex
			continue
		}
		inv := 1 / depth
		sx, sy := pr.cx+pr.focal*x*inv, pr.cy-pr.focal*y*inv
		if math.Abs(sx) > guard || math.Abs(sy) > guard {
			out[i].x = noVertex
			continue
		}
		n := l.normals[i]
		nx, ny, nz := float64(n[0]), float64(n[1]), float64(n[2])
		vx := rot[0][0]*nx + rot[0][1]*ny + rot[0][2]*nz
		vy := rot[1][0]*nx + rot[1][1]*ny + rot[1][2]*nz
		vz := rot[2][0]*nx + rot[2][1]*ny + rot[2][2]*nz
		// the light comes from the eye: toward it is -(x, y, z)
		d := -(vx*x + vy*y + vz*z) / math.Sqrt(x*x+y*y+z*z)
		if twoSided {
			d = math.Abs(d)
		}
		d = math.Max(0, d)
		s := d
		for k := 1; k < shininess; k *= 2 {
			s *= s
		}
		light := ambient + diffuse*d
		hi := 255 * specular * s
		c := base
		if !uniform {
			col := l.s.Colors[i]
			c = [3]float64{float64(col.R), float64(col.G), float64(col.B)}
		}
		out[i] = vertex{
			x: int32(math.Floor(sx*subPixel + 0.5)),
			y: int32(math.Floor(sy*subPixel + 0.5)),
			z: float32(inv),
			r: float32(math.Min(255, c[0]*light+hi)),
			g: float32(math.Min(255, c[1]*light+hi)),
			b: float32(math.Min(255, c[2]*light+hi)),
		}
	}
}

// drawPlanes draws each plane's fill (translucent, depth-tested, not hiding what is behind)
// and then its outline.
func (v *View) drawPlanes(t *target, pr *projection) {
	for _, p := range v.Planes {
		var vs [4]vertex
		ok := true
		for i, c := range p.Corners {
			x, y, depth, in := pr.screen(pr.view(c))
			if !in || math.Abs(x) > guard || math.Abs(y) > guard {
				ok = false
				break
			}
			vs[i] = vertex{
				x: int32(math.Floor(x*subPixel + 0.5)), y: int32(math.Floor(y*subPixel + 0.5)),
				z: float32(1 / depth), r: float32(p.Color.R), g: float32(p.Color.G), b: float32(p.Color.B),
			}
		}
		if ok && p.Fill > 0 {
			a := float32(math.Min(1, p.Fill))
			t.triangle(&vs[0], &vs[1], &vs[2], false, a, true)
			t.triangle(&vs[0], &vs[2], &vs[3], false, a, true)
		}
		width := p.Width
		if width <= 0 {
			width = 2
		}
		col := [3]uint8{p.Color.R, p.Color.G, p.Color.B}
		for i := range p.Corners {
			drawSegment(t, pr, p.Corners[i], p.Corners[(i+1)%4], col, width)
		}
	}
}

// drawSegment draws the segment a–b (LPS mm), the part in front of the eye.
func drawSegment(t *target, pr *projection, a, b [3]float64, col [3]uint8, width int) {
	va, vb := pr.view(a), pr.view(b)
	// clip to the near plane (z = -near) in camera space
	if -va[2] < pr.near && -vb[2] < pr.near {
		return
	}
	if -va[2] < pr.near || -vb[2] < pr.near {
		f := (-pr.near - va[2]) / (vb[2] - va[2])
		c := [3]float64{va[0] + f*(vb[0]-va[0]), va[1] + f*(vb[1]-va[1]), -pr.near}
		if -va[2] < pr.near {
			va = c
		} else {
			vb = c
		}
	}
	x0, y0, d0, ok0 := pr.screen(va)
	x1, y1, d1, ok1 := pr.screen(vb)
	if !ok0 || !ok1 {
		return
	}
	t.line(x0, y0, 1/d0, x1, y1, 1/d1, col, width)
}

// fillBackground paints all of dst c, a row at a time by doubling copies.
func fillBackground(dst *image.RGBA, c color.RGBA) {
	r := dst.Rect
	w := r.Dx()
	if w <= 0 {
		return
	}
	first := dst.Pix[dst.PixOffset(r.Min.X, r.Min.Y):][:4*w]
	first[0], first[1], first[2], first[3] = c.R, c.G, c.B, c.A
	for n := 4; n < len(first); n *= 2 {
		copy(first[n:], first[:n])
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		o := dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[o:o+4*w], first)
	}
}
