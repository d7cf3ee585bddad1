package viewer

import (
	"fmt"
	"image"
)

// RenderEdit brings dst, which holds canonical slice k as RenderTo drew it, up to date after ed
// changed a mask drawn on it: it redraws only ed.Rect grown by one pixel (a changed pixel turns
// its 4-neighbours' outlines on or off), so painting costs a few hundred pixels, not a slice. It
// does nothing when ed is nil or did not touch slice k. The settings must be those dst was drawn
// with; after any other change, Render the whole slice.
func (r *Renderer) RenderEdit(dst *image.RGBA, k int, ed *Edit) error {
	if ed == nil || k < ed.FirstSlice || k > ed.LastSlice {
		return nil
	}
	return r.RenderRect(dst, k, ed.Rect.Inset(-1))
}

// RenderRect redraws the pixels of rect (slice pixel coordinates, clipped to the slice) of
// canonical slice k into dst, whose bounds must be Size() as for RenderTo; the other pixels of dst
// are left as they are. Each redrawn pixel is exactly what RenderTo gives it (a test holds the two
// together).
func (r *Renderer) RenderRect(dst *image.RGBA, k int, rect image.Rectangle) error {
	w, h := r.Size()
	if k < 0 || k >= r.canon.Dims[2] {
		return fmt.Errorf("viewer: %w: %d of %d", ErrSlice, k, r.canon.Dims[2])
	}
	if dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("viewer: destination is %dx%d, slice is %dx%d", dst.Rect.Dx(), dst.Rect.Dy(), w, h)
	}
	rect = rect.Intersect(image.Rect(0, 0, w, h))
	if rect.Empty() {
		return nil
	}
	var truth, pred, prob []uint8
	if r.Truth.Mask != nil && (r.Truth.Mode != Off || r.Difference.Enabled) {
		if err := r.checkDims(r.Truth.Mask.Dims, len(r.Truth.Mask.Voxels), "truth mask"); err != nil {
			return err
		}
		truth = r.Truth.Mask.Voxels
	}
	if r.Prediction.Mask != nil && (r.Prediction.Mode != Off || r.Difference.Enabled) {
		if err := r.checkDims(r.Prediction.Mask.Dims, len(r.Prediction.Mask.Voxels), "prediction mask"); err != nil {
			return err
		}
		pred = r.Prediction.Mask.Voxels
	}
	if r.Uncertainty.Prob != nil && r.Uncertainty.Mode != UncertaintyOff {
		p := r.Uncertainty.Prob
		if err := r.checkDims(p.Dims, len(p.Voxels), "probability map"); err != nil {
			return err
		}
		prob = p.Voxels
		r.buildUncertainty()
	}
	if !r.lutValid || r.lutWin != r.Window {
		r.buildLUT()
	}
	shift := int32(r.canon.Offset(0, 0, k) - r.base)
	x0, x1 := rect.Min.X, rect.Max.X
	n := x1 - x0
	vox := r.vol.Voxels
	for j := rect.Min.Y; j < rect.Max.Y; j++ {
		pix := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x0, dst.Rect.Min.Y+j):][:4*n]
		row := r.offs[j*w+x0 : j*w+x1]
		for i, o := range row {
			o += shift
			g := uint32(r.lut[uint16(vox[o])])
			p := pix[4*i : 4*i+4 : 4*i+4]
			if prob == nil {
				p[0], p[1], p[2], p[3] = uint8(g), uint8(g), uint8(g), 255
				continue
			}
			u := &r.unc[prob[o]]
			a := u[3]
			p[0] = uint8((u[0]*a + g*(256-a)) >> 8)
			p[1] = uint8((u[1]*a + g*(256-a)) >> 8)
			p[2] = uint8((u[2]*a + g*(256-a)) >> 8)
			p[3] = 255
		}
	}
	if r.Difference.Enabled {
		if truth != nil || pred != nil {
			r.differenceRect(dst, truth, pred, shift, rect)
		}
		return nil
	}
	if truth != nil && r.Truth.Mode != Off {
		r.maskRect(dst, truth, shift, r.Truth, rect)
	}
	if pred != nil && r.Prediction.Mode != Off {
		r.maskRect(dst, pred, shift, r.Prediction, rect)
	}
	return nil
}

// maskRect is drawMask restricted to rect.
func (r *Renderer) maskRect(dst *image.RGBA, m []uint8, shift int32, ov Overlay, rect image.Rectangle) {
	w, h := r.Size()
	a := alpha256(ov.Opacity)
	if a == 0 {
		return
	}
	offs := r.offs
	x0, n := rect.Min.X, rect.Dx()
	for j := rect.Min.Y; j < rect.Max.Y; j++ {
		pix := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x0, dst.Rect.Min.Y+j):][:4*n]
		for di := 0; di < n; di++ {
			i := x0 + di
			idx := j*w + i
			if m[offs[idx]+shift] == 0 {
				continue
			}
			if ov.Mode == Outline {
				inner := i > 0 && i < w-1 && j > 0 && j < h-1 &&
					m[offs[idx-1]+shift] != 0 && m[offs[idx+1]+shift] != 0 &&
					m[offs[idx-w]+shift] != 0 && m[offs[idx+w]+shift] != 0
				if inner {
					continue
				}
			}
			blend(pix[4*di:4*di+4:4*di+4], ov.Color, a)
		}
	}
}

// differenceRect is drawDifference restricted to rect.
func (r *Renderer) differenceRect(dst *image.RGBA, truth, pred []uint8, shift int32, rect image.Rectangle) {
	w, _ := r.Size()
	d := r.Difference
	a := alpha256(d.Opacity)
	if a == 0 {
		return
	}
	x0, n := rect.Min.X, rect.Dx()
	for j := rect.Min.Y; j < rect.Max.Y; j++ {
		pix := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x0, dst.Rect.Min.Y+j):][:4*n]
		row := r.offs[j*w+x0 : j*w+x0+n]
		for i, o := range row {
			o += shift
			t := truth != nil && truth[o] != 0
			p := pred != nil && pred[o] != 0
			switch {
			case t && p:
				blend(pix[4*i:4*i+4:4*i+4], d.Agree, a)
			case p:
				blend(pix[4*i:4*i+4:4*i+4], d.FalsePositive, a)
			case t:
				blend(pix[4*i:4*i+4:4*i+4], d.FalseNegative, a)
			}
		}
	}
}
