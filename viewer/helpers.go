package viewer

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"liverseg/scan"
)

// Probe maps display pixel (x, y) of slice k of the renderer's plane to the volume voxel (i, j,
// kVol) under it (volume indices, as stored) and that voxel's HU. ok is false outside the slice
// or the volume.
func (r *Renderer) Probe(k, x, y int) (i, j, kVol int, hu int16, ok bool) {
	c := r.canon
	if x < 0 || y < 0 || k < 0 || x >= c.Dims[0] || y >= c.Dims[1] || k >= c.Dims[2] {
		return 0, 0, 0, 0, false
	}
	off := c.Offset(x, y, k)
	cols, rows := r.vol.Dims[0], r.vol.Dims[1]
	i = off % cols
	j = (off / cols) % rows
	kVol = off / (cols * rows)
	return i, j, kVol, r.vol.Voxels[off], true
}

// Aspect is the physical height over width of one display pixel: the spacing between the plane's
// rows over the spacing between its columns (a coronal or sagittal row is a slice apart: on a CT
// of 0.78 mm pixels and 1.6 mm slices the aspect is about 2). A GUI draws each pixel Aspect times as tall as
// it is wide. It is 1 when a spacing is unknown (zero or not finite).
func (r *Renderer) Aspect() float64 {
	sx, sy := r.canon.Spacing[0], r.canon.Spacing[1]
	if !(sx > 0) || !(sy > 0) || math.IsInf(sx, 0) || math.IsInf(sy, 0) {
		return 1
	}
	return sy / sx
}

// PixelSpacing is the mm between the plane's columns and between its rows.
func (r *Renderer) PixelSpacing() (dx, dy float64) { return r.canon.Spacing[0], r.canon.Spacing[1] }

// Orientation names the patient directions at the edges of a view.
type Orientation struct {
	Left, Right, Top, Bottom string
	// Oblique is the largest angle (degrees) between a canonical axis and the patient axis it
	// stands for; a GUI may mark the letters approximate when it is more than a few degrees.
	Oblique float64
}

// Orientation is the letters at the edges of the renderer's plane, drawn as scan.Plane says:
// axial R, L, A (top), P; coronal R, L, S (top), I; sagittal A, P, S (top), I.
func (r *Renderer) Orientation() Orientation {
	o := Orientation{Oblique: r.canon.MaxAngle}
	switch r.plane {
	case scan.Coronal:
		o.Left, o.Right, o.Top, o.Bottom = "R", "L", "S", "I"
	case scan.Sagittal:
		o.Left, o.Right, o.Top, o.Bottom = "A", "P", "S", "I"
	default:
		o.Left, o.Right, o.Top, o.Bottom = "R", "L", "A", "P"
	}
	return o
}

// scaleSteps are the lengths a scale bar may have, in mm.
var scaleSteps = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}

// ScaleBar picks the longest round length (1, 2, 5, 10, 20, 50, 100 ... mm) whose bar is at most
// maxPixels long at mmPerPixel screen pixels, and returns it with its length in pixels (rounded).
// When even 1 mm is longer than maxPixels it returns 1 mm. ok is false for a mmPerPixel or
// maxPixels that is not positive.
func ScaleBar(mmPerPixel float64, maxPixels int) (mm float64, pixels int, ok bool) {
	if !(mmPerPixel > 0) || math.IsInf(mmPerPixel, 0) || maxPixels <= 0 {
		return 0, 0, false
	}
	mm = scaleSteps[0]
	for _, s := range scaleSteps {
		if s/mmPerPixel <= float64(maxPixels)+1e-9 {
			mm = s
		}
	}
	return mm, int(math.Round(mm / mmPerPixel)), true
}

// Compose draws slice k three times side by side into dst: the image alone, the image
// with the truth overlay, the image with the prediction overlay (each with its own mode; Fill
// when its mode is Off), gap pixels of background between panels. dst is reused when its size
// is right, else a new image is made; the result is returned. The uncertainty overlay and the
// difference mode are not drawn in the panels.
func (r *Renderer) Compose(dst *image.RGBA, k, gap int, background color.RGBA) (*image.RGBA, error) {
	if gap < 0 {
		gap = 0
	}
	w, h := r.Size()
	width := 3*w + 2*gap
	if dst == nil || dst.Rect.Dx() != width || dst.Rect.Dy() != h {
		dst = image.NewRGBA(image.Rect(0, 0, width, h))
	}
	if gap > 0 {
		fillRect(dst, background)
	}
	truth, pred, diff := r.Truth, r.Prediction, r.Difference.Enabled
	defer func() { r.Truth, r.Prediction, r.Difference.Enabled = truth, pred, diff }()
	r.Difference.Enabled = false
	if r.Truth.Mode == Off {
		r.Truth.Mode = Fill
	}
	if r.Prediction.Mode == Off {
		r.Prediction.Mode = Fill
	}
	for p, ls := range [3]layers{0, layerTruth, layerPrediction} {
		sub := panel(dst, p*(w+gap), w, h)
		if err := r.render(&sub, k, ls, image.Rect(0, 0, w, h)); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// SideBySide places panels left to right, top-aligned, gap pixels apart, on background, into
// dst (reused when its size is right, else made) and returns it.
func SideBySide(dst *image.RGBA, gap int, background color.RGBA, panels ...*image.RGBA) (*image.RGBA, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("viewer: no panels")
	}
	if gap < 0 {
		gap = 0
	}
	width, height := gap*(len(panels)-1), 0
	for _, p := range panels {
		width += p.Rect.Dx()
		height = max(height, p.Rect.Dy())
	}
	if dst == nil || dst.Rect.Dx() != width || dst.Rect.Dy() != height {
		dst = image.NewRGBA(image.Rect(0, 0, width, height))
	}
	fillRect(dst, background)
	x := 0
	for _, p := range panels {
		w, h := p.Rect.Dx(), p.Rect.Dy()
		for y := 0; y < h; y++ {
			s := p.Pix[p.PixOffset(p.Rect.Min.X, p.Rect.Min.Y+y):][:4*w]
			d := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x, dst.Rect.Min.Y+y):][:4*w]
			copy(d, s)
		}
		x += w + gap
	}
	return dst, nil
}

// panel is a view of the w x h rectangle of dst starting x pixels from its left edge, sharing
// its pixels, with bounds starting at (0, 0).
func panel(dst *image.RGBA, x, w, h int) image.RGBA {
	off := dst.PixOffset(dst.Rect.Min.X+x, dst.Rect.Min.Y)
	return image.RGBA{Pix: dst.Pix[off:], Stride: dst.Stride, Rect: image.Rect(0, 0, w, h)}
}

func fillRect(dst *image.RGBA, c color.RGBA) {
	w := dst.Rect.Dx()
	for y := dst.Rect.Min.Y; y < dst.Rect.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(dst.Rect.Min.X, y):][:4*w]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
		}
	}
}
