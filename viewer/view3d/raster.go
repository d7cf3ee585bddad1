package view3d

import (
	"image"
	"math"
)

// The rasteriser: triangles with edge functions in fixed point (subBits fractional bits a
// pixel), sampled at pixel centres with the top-left rule, so that triangles sharing an edge
// cover each of its pixels exactly once (a translucent surface shows no seams); depth is the
// reciprocal of the distance from the eye, which is linear across the screen, larger nearer.

const (
	subBits  = 4
	subPixel = 1 << subBits
	// guard is how far (pixels) off the image a vertex may project and still be drawn: the
	// edge functions' products stay far inside int64.
	guard = 1 << 20
	// noVertex marks a vertex that is not drawn (behind the eye or far off the image).
	noVertex = math.MinInt32
)

// vertex is a mesh vertex placed on the screen for one frame.
type vertex struct {
	x, y    int32   // pixel coordinates × subPixel; x == noVertex: not drawn
	z       float32 // 1 / depth (mm)
	r, g, b float32 // shaded colour, 0–255
}

// target is the image and depth buffer a frame is drawn into.
type target struct {
	pix    []uint8 // the image's pixels from its first one
	stride int
	w, h   int
	depth  []float32 // w*h, 1/depth, 0: nothing drawn
}

// triangle draws a, b, c (in order: counter-clockwise seen from outside the surface) when cull
// is false or it faces the eye. alpha 1 draws it opaque, writing depth; below 1 it blends over
// what is there, depth-tested, without writing depth, and with onSurface only over a surface
// (a plane tints the surfaces behind it, not the background).
func (t *target) triangle(a, b, c *vertex, cull bool, alpha float32, onSurface bool) {
	if a.x == noVertex || b.x == noVertex || c.x == noVertex {
		return
	}
	x0, y0 := int64(a.x), int64(a.y)
	x1, y1 := int64(b.x), int64(b.y)
	x2, y2 := int64(c.x), int64(c.y)
	area := (x1-x0)*(y2-y0) - (x2-x0)*(y1-y0)
	// The screen's y runs down, so a triangle that is counter-clockwise seen from outside has
	// a negative area when its outside faces the eye.
	if area == 0 || (cull && area > 0) {
		return
	}
	if area < 0 {
		b, c = c, b
		x1, y1, x2, y2 = x2, y2, x1, y1
		area = -area
	}
	minX := (min(x0, x1, x2) - subPixel/2 + subPixel - 1) >> subBits
	maxX := (max(x0, x1, x2) - subPixel/2) >> subBits
	minY := (min(y0, y1, y2) - subPixel/2 + subPixel - 1) >> subBits
	maxY := (max(y0, y1, y2) - subPixel/2) >> subBits
	minX, minY = max(minX, 0), max(minY, 0)
	maxX, maxY = min(maxX, int64(t.w-1)), min(maxY, int64(t.h-1))
	if minX > maxX || minY > maxY {
		return
	}
	// edge functions at the first pixel centre, and their steps a pixel right and a pixel down
	px, py := minX<<subBits+subPixel/2, minY<<subBits+subPixel/2
	w0 := edge(x1, y1, x2, y2, px, py) // opposite a
	w1 := edge(x2, y2, x0, y0, px, py) // opposite b
	w2 := edge(x0, y0, x1, y1, px, py) // opposite c
	dx0, dy0 := (y1-y2)<<subBits, (x2-x1)<<subBits
	dx1, dy1 := (y2-y0)<<subBits, (x0-x2)<<subBits
	dx2, dy2 := (y0-y1)<<subBits, (x1-x0)<<subBits
	// plane equations of the attributes, per pixel
	fa := float32(area)
	ex1, ey1 := float32(x1-x0), float32(y1-y0)
	ex2, ey2 := float32(x2-x0), float32(y2-y0)
	gx := func(v0, v1, v2 float32) float32 { return ((v1-v0)*ey2 - (v2-v0)*ey1) / fa * subPixel }
	gy := func(v0, v1, v2 float32) float32 { return ((v2-v0)*ex1 - (v1-v0)*ex2) / fa * subPixel }
	ox, oy := float32(px-x0)/subPixel, float32(py-y0)/subPixel
	zx, zy := gx(a.z, b.z, c.z), gy(a.z, b.z, c.z)
	rx, ry := gx(a.r, b.r, c.r), gy(a.r, b.r, c.r)
	grx, gry := gx(a.g, b.g, c.g), gy(a.g, b.g, c.g)
	bx, by := gx(a.b, b.b, c.b), gy(a.b, b.b, c.b)
	z0 := a.z + zx*ox + zy*oy
	r0 := a.r + rx*ox + ry*oy
	g0 := a.g + grx*ox + gry*oy
	b0 := a.b + bx*ox + by*oy
	// the top-left rule: a pixel centre on an edge belongs to the triangle only when the edge
	// is a top or a left one
	w0 += bias(x1, y1, x2, y2)
	w1 += bias(x2, y2, x0, y0)
	w2 += bias(x0, y0, x1, y1)
	floor := float32(0) // the least depth buffer value blended over: 0 is the background
	if onSurface {
		floor = math.SmallestNonzeroFloat32
	}
	for y := minY; y <= maxY; y++ {
		e0, e1, e2 := w0, w1, w2
		z, r, g, bl := z0, r0, g0, b0
		zi := int(y)*t.w + int(minX)
		pi := int(y)*t.stride + int(minX)*4
		if alpha >= 1 {
			for x := minX; x <= maxX; x++ {
				if e0|e1|e2 >= 0 && z > t.depth[zi] {
					t.depth[zi] = z
					p := t.pix[pi : pi+4 : pi+4]
					p[0], p[1], p[2], p[3] = toByte(r), toByte(g), toByte(bl), 255
				}
				e0, e1, e2 = e0+dx0, e1+dx1, e2+dx2
				z, r, g, bl = z+zx, r+rx, g+grx, bl+bx
				zi++
				pi += 4
			}
		} else {
			for x := minX; x <= maxX; x++ {
				if e0|e1|e2 >= 0 && z > t.depth[zi] && t.depth[zi] >= floor {
					p := t.pix[pi : pi+4 : pi+4]
					p[0] = blend(p[0], r, alpha)
					p[1] = blend(p[1], g, alpha)
					p[2] = blend(p[2], bl, alpha)
				}
				e0, e1, e2 = e0+dx0, e1+dx1, e2+dx2
				z, r, g, bl = z+zx, r+rx, g+grx, bl+bx
				zi++
				pi += 4
			}
		}
		w0, w1, w2 = w0+dy0, w1+dy1, w2+dy2
		z0, r0, g0, b0 = z0+zy, r0+ry, g0+gry, b0+by
	}
}

// edge is twice the signed area of (a, b, p): positive when p is on the inner side of edge a→b
// of a triangle whose area is positive.
func edge(ax, ay, bx, by, px, py int64) int64 {
	return (bx-ax)*(py-ay) - (by-ay)*(px-ax)
}

// bias is 0 for a top or left edge a→b of a positive-area triangle (y down), -1 otherwise, so
// that an edge function plus its bias is >= 0 exactly at the pixels the triangle owns.
func bias(ax, ay, bx, by int64) int64 {
	dx, dy := bx-ax, by-ay
	if dy < 0 || (dy == 0 && dx > 0) {
		return 0
	}
	return -1
}

func toByte(v float32) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

func blend(dst uint8, src, alpha float32) uint8 {
	d := float32(dst)
	return toByte(d + (src-d)*alpha)
}

// line draws the segment between pixel coordinates (x0, y0) and (x1, y1), whose 1/depth are z0
// and z1, width pixels wide, where it is not behind what is drawn (within a small tolerance,
// so that a line on a surface shows), writing its depth.
func (t *target) line(x0, y0, z0, x1, y1, z1 float64, col [3]uint8, width int) {
	steep := math.Abs(y1-y0) > math.Abs(x1-x0)
	walkLine(x0, y0, x1, y1, image.Rect(0, 0, t.w, t.h), func(px, py int, f float64) {
		z := float32(z0 + f*(z1-z0))
		for k := 0; k < width; k++ {
			off := k - (width-1)/2
			if steep {
				t.plot(px+off, py, z, col)
			} else {
				t.plot(px, py+off, z, col)
			}
		}
	})
}

// walkLine calls pixel for each pixel of the segment (ax, ay)–(bx, by) (pixel coordinates)
// inside clip: one a column or a row along its longer extent, at the pixel centres, with f
// the fraction of the way from a to b. A segment reaching far off the image costs no more
// than one across it.
func walkLine(ax, ay, bx, by float64, clip image.Rectangle, pixel func(px, py int, f float64)) {
	dx, dy := bx-ax, by-ay
	steep := math.Abs(dy) > math.Abs(dx)
	majorLo, majorHi, minorLo, minorHi := clip.Min.X, clip.Max.X, clip.Min.Y, clip.Max.Y
	if steep { // walk rows: swap the axes
		ax, ay, bx, by, dx, dy = ay, ax, by, bx, dy, dx
		majorLo, majorHi, minorLo, minorHi = minorLo, minorHi, majorLo, majorHi
	}
	emit := func(i, j int, f float64) {
		if i < majorLo || i >= majorHi || j < minorLo || j >= minorHi {
			return
		}
		if steep {
			i, j = j, i
		}
		pixel(i, j, f)
	}
	if dx == 0 {
		emit(int(math.Floor(ax)), int(math.Floor(ay)), 0)
		return
	}
	lo := math.Max(math.Min(ax, bx), float64(majorLo))
	hi := math.Min(math.Max(ax, bx), float64(majorHi))
	for i := int(math.Ceil(lo - 0.5)); i <= int(math.Floor(hi-0.5)); i++ {
		f := (float64(i) + 0.5 - ax) / dx
		emit(i, int(math.Floor(ay+f*dy)), f)
	}
}

// lineTolerance is how far (relative depth) behind a surface a line still shows.
const lineTolerance = 2e-3

func (t *target) plot(x, y int, z float32, col [3]uint8) {
	if x < 0 || y < 0 || x >= t.w || y >= t.h {
		return
	}
	zi := y*t.w + x
	if z*(1+lineTolerance) < t.depth[zi] {
		return
	}
	t.depth[zi] = max(t.depth[zi], z)
	p := t.pix[y*t.stride+x*4 : y*t.stride+x*4+4]
	p[0], p[1], p[2], p[3] = col[0], col[1], col[2], 255
}
