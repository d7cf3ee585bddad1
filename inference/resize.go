package inference

// Resize resamples a single-channel image (src is sw columns by sh rows, row-major) to dw by dh
// into dst, bilinearly with half-pixel centres: the convention of PyTorch's
// F.interpolate(mode="bilinear", align_corners=False) without antialiasing, so that a model
// trained on tensors resized in PyTorch sees the same pixels here.
func Resize(src []float32, sw, sh int, dst []float32, dw, dh int) {
	xs := axisWeights(sw, dw)
	ys := axisWeights(sh, dh)
	for y, wy := range ys {
		r0 := src[wy.i0*sw : (wy.i0+1)*sw]
		r1 := src[wy.i1*sw : (wy.i1+1)*sw]
		out := dst[y*dw : (y+1)*dw]
		for x, wx := range xs {
			top := r0[wx.i0] + (r0[wx.i1]-r0[wx.i0])*wx.f
			bot := r1[wx.i0] + (r1[wx.i1]-r1[wx.i0])*wx.f
			out[x] = top + (bot-top)*wy.f
		}
	}
}

type weight struct {
	i0, i1 int
	f      float32
}

// axisWeights gives, for each of n output positions, the two source indices and the fraction of
// the second: source x = (x + 0.5) * src/n - 0.5, clamped at the edges.
func axisWeights(src, n int) []weight {
	w := make([]weight, n)
	scale := float64(src) / float64(n)
	for x := range w {
		s := (float64(x)+0.5)*scale - 0.5
		if s < 0 {
			s = 0
		}
		i0 := int(s)
		if i0 > src-1 {
			i0 = src - 1
		}
		i1 := i0 + 1
		if i1 > src-1 {
			i1 = src - 1
		}
		w[x] = weight{i0: i0, i1: i1, f: float32(s - float64(i0))}
	}
	return w
}
