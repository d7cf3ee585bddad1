package view3d

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The orientation marker: the patient's axes from a corner of the view, each end lettered
// (R/L, A/P, S/I) and turned with the camera, so the reader knows the view at any angle.

// glyphW and glyphH are the cell of basicfont.Face7x13, the one font the view draws with.
const (
	glyphW      = 7
	glyphH      = 13
	glyphAscent = 11
)

// drawText writes s with its cell's top-left corner at (x, y), blending the glyphs' coverage
// itself: a font.Drawer would allocate for every call, a render draws a few letters a frame.
func drawText(dst *image.RGBA, s string, x, y int, c color.RGBA) {
	face := basicfont.Face7x13
	dot := fixed.P(x, y+glyphAscent)
	for _, r := range s {
		dr, mask, mp, advance, ok := face.Glyph(dot, r)
		dot.X += advance
		alpha, isAlpha := mask.(*image.Alpha)
		if !ok || !isAlpha {
			continue
		}
		clip := dr.Intersect(dst.Rect)
		for py := clip.Min.Y; py < clip.Max.Y; py++ {
			for px := clip.Min.X; px < clip.Max.X; px++ {
				a := float32(alpha.AlphaAt(mp.X+px-dr.Min.X, mp.Y+py-dr.Min.Y).A) / 255
				if a == 0 {
					continue
				}
				p := dst.Pix[dst.PixOffset(px, py):]
				p[0], p[1], p[2] = blend(p[0], float32(c.R), a), blend(p[1], float32(c.G), a), blend(p[2], float32(c.B), a)
			}
		}
	}
}

// axisEnds are the patient's directions (LPS) and their letters.
var axisEnds = [6]struct {
	dir    [3]float64
	letter string
	color  color.RGBA
}{
	{[3]float64{-1, 0, 0}, "R", color.RGBA{R: 230, G: 90, B: 90, A: 255}},
	{[3]float64{1, 0, 0}, "L", color.RGBA{R: 230, G: 90, B: 90, A: 255}},
	{[3]float64{0, -1, 0}, "A", color.RGBA{R: 110, G: 200, B: 110, A: 255}},
	{[3]float64{0, 1, 0}, "P", color.RGBA{R: 110, G: 200, B: 110, A: 255}},
	{[3]float64{0, 0, 1}, "S", color.RGBA{R: 110, G: 150, B: 240, A: 255}},
	{[3]float64{0, 0, -1}, "I", color.RGBA{R: 110, G: 150, B: 240, A: 255}},
}

// markerEnd is where an axis end of the marker lies: pixel coordinates, z toward the reader
// (-1 to 1), and its index in axisEnds.
type markerEnd struct {
	x, y, z float64
	i       int
}

// markerSize is the half-length (pixels) of the marker's axes in an image of r.
func markerSize(r image.Rectangle) int { return max(24, min(64, min(r.Dx(), r.Dy())/9)) }

// markerCentre is where the marker's axes meet: the image's bottom-left corner.
func markerCentre(r image.Rectangle) (x, y float64) {
	size := markerSize(r)
	return float64(r.Min.X + size + glyphW + 4), float64(r.Max.Y - size - glyphH - 4)
}

// markerEnds places the six axis ends, farthest from the reader first.
func markerEnds(r image.Rectangle, pr *projection) [6]markerEnd {
	size := float64(markerSize(r))
	cx, cy := markerCentre(r)
	var ends [6]markerEnd
	for i, e := range axisEnds {
		var v [3]float64
		for k := 0; k < 3; k++ {
			v[k] = pr.rot[k][0]*e.dir[0] + pr.rot[k][1]*e.dir[1] + pr.rot[k][2]*e.dir[2]
		}
		ends[i] = markerEnd{x: cx + v[0]*size, y: cy - v[1]*size, z: v[2], i: i}
	}
	for i := 1; i < len(ends); i++ { // insertion sort: six ends, no allocation
		for j := i; j > 0 && ends[j].z < ends[j-1].z; j-- {
			ends[j], ends[j-1] = ends[j-1], ends[j]
		}
	}
	return ends
}

// drawMarker draws the axes in the image's bottom-left corner, the ends pointing away from
// the reader first and dimmed, the letters of the near ends last.
func drawMarker(dst *image.RGBA, pr *projection) {
	r := dst.Rect
	if size := markerSize(r); r.Dx() < 3*size || r.Dy() < 3*size {
		return
	}
	cx, cy := markerCentre(r)
	for _, e := range markerEnds(r, pr) {
		c := axisEnds[e.i].color
		if e.z < -0.05 {
			c = dim(c)
		}
		drawLine(dst, cx, cy, e.x, e.y, c)
		// the letter just beyond the end, away from the centre
		dx, dy := e.x-cx, e.y-cy
		l := math.Hypot(dx, dy)
		if l < 1e-9 {
			dx, dy, l = 0, -1, 1
		}
		lx := e.x + dx/l*glyphW - glyphW/2
		ly := e.y + dy/l*glyphH*0.7 - glyphH/2
		drawText(dst, axisEnds[e.i].letter, int(math.Round(lx)), int(math.Round(ly)), c)
	}
}

func dim(c color.RGBA) color.RGBA {
	return color.RGBA{R: c.R / 2, G: c.G / 2, B: c.B / 2, A: 255}
}

// drawLine draws a one-pixel line on dst (no depth), clipped to it.
func drawLine(dst *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	walkLine(x0, y0, x1, y1, dst.Rect, func(x, y int, _ float64) { dst.SetRGBA(x, y, c) })
}
