package viewer

import (
	"fmt"
	"math"
	"slices"
)

// Interpolate fills the slices of the current plane between consecutive key slices of that plane
// (keys, in any order, at least two distinct; EditedSlices gives the plane's edited ones) with a
// shape interpolated from the label on the keys: shape-based interpolation. On each key slice the signed distance (mm, through the pixel spacing) to the
// label's edge is taken, negative inside: minus the distance to the nearest pixel outside for a
// pixel inside, the distance to the nearest pixel inside for one outside. A slice between keys a
// and b, at t = (k-a)/(b-a), is inside where (1-t)*d_a + t*d_b <= 0. So identical keys copy
// through, and a shape that moves or grows does so linearly. A key slice without the label ends
// the shape: the slices between it and its neighbour key come out empty.
//
// The slices between keys are rewritten: inside pixels get the editor's label, outside pixels
// holding it become background; voxels of other label values are left alone. The key slices themselves
// are not changed. It is one undo step (Slice -1, in the current plane), nil when nothing changed.
func (e *Editor) Interpolate(keys []int) (*Edit, error) {
	e.EndStroke()
	ks := slices.Clone(keys)
	slices.Sort(ks)
	ks = slices.Compact(ks)
	v := e.view
	for _, k := range ks {
		if err := v.checkSlice(k); err != nil {
			return nil, err
		}
	}
	if len(ks) < 2 {
		return nil, fmt.Errorf("viewer: interpolation needs two key slices or more, got %d", len(ks))
	}
	w, h := v.size()
	sx, sy := v.pixelSpacing()
	sd := newSignedDistance(w, h, sx, sy)
	da, db := make([]float64, w*h), make([]float64, w*h)
	sd.compute(e, v, ks[0], da)
	for n := 1; n < len(ks); n++ {
		a, b := ks[n-1], ks[n]
		sd.compute(e, v, b, db)
		for k := a + 1; k < b; k++ {
			t := float64(k-a) / float64(b-a)
			e.rewrite(v, k, func(p int, cur uint8) uint8 {
				switch {
				case cur != 0 && cur != e.label:
					return cur // another structure's voxel: interpolating this label leaves it alone
				case (1-t)*da[p]+t*db[p] <= 0:
					return e.label
				}
				return 0
			})
		}
		da, db = db, da
	}
	return e.finish(ToolInterpolate, v, -1), nil
}

// farMM stands for "no pixel of that kind on the slice": far enough that it dominates any
// interpolation, finite so that sums never make NaN.
const farMM = 1e9

// signedDistance holds the buffers of a 2D Euclidean distance transform with anisotropic pixel
// spacing (Felzenszwalb and Huttenlocher's lower envelope of parabolas, one axis then the other:
// exact, linear in the pixels).
type signedDistance struct {
	w, h   int
	sx, sy float64
	in     []bool
	g      []float64 // squared distances after the first pass
	d      []float64 // squared distances
	f, out []float64 // one line
	v      []int
	z      []float64
}

func newSignedDistance(w, h int, sx, sy float64) *signedDistance {
	n := max(w, h)
	return &signedDistance{w: w, h: h, sx: sx, sy: sy, in: make([]bool, w*h),
		g: make([]float64, w*h), d: make([]float64, w*h),
		f: make([]float64, n), out: make([]float64, n), v: make([]int, n), z: make([]float64, n+1)}
}

// compute fills dst with the signed distance, in mm, of each pixel of slice k of plane v to the
// edge of the editor's label (negative inside).
func (s *signedDistance) compute(e *Editor, v *planeView, k int, dst []float64) {
	nIn := 0
	for p, l := range e.planeBuf(v, k) {
		s.in[p] = l == e.label
		if s.in[p] {
			nIn++
		}
	}
	switch nIn {
	case 0:
		for p := range dst {
			dst[p] = farMM
		}
		return
	case len(dst):
		// A slice wholly inside: farther inside than any distance on the slice can be, but
		// finite and far smaller than farMM, so an empty key still ends the shape.
		d := -math.Hypot(float64(s.w)*s.sx, float64(s.h)*s.sy)
		for p := range dst {
			dst[p] = d
		}
		return
	}
	s.transform(true) // distance to the nearest inside pixel
	for p := range dst {
		if !s.in[p] {
			dst[p] = math.Sqrt(s.d[p])
		}
	}
	s.transform(false) // distance to the nearest outside pixel
	for p := range dst {
		if s.in[p] {
			dst[p] = -math.Sqrt(s.d[p])
		}
	}
}

// transform leaves in s.d the squared distance (mm²) of each pixel to the nearest pixel whose
// in-ness is seed.
func (s *signedDistance) transform(seed bool) {
	w, h := s.w, s.h
	inf := math.Inf(1)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			if s.in[j*w+i] == seed {
				s.f[i] = 0
			} else {
				s.f[i] = inf
			}
		}
		s.line(w, s.sx*s.sx)
		copy(s.g[j*w:(j+1)*w], s.out[:w])
	}
	for i := 0; i < w; i++ {
		for j := 0; j < h; j++ {
			s.f[j] = s.g[j*w+i]
		}
		s.line(h, s.sy*s.sy)
		for j := 0; j < h; j++ {
			s.d[j*w+i] = s.out[j]
		}
	}
}

// line is the 1D transform of s.f[:n] into s.out[:n]: out[q] = min over p of ws*(q-p)² + f[p],
// ws being the squared spacing. Infinite f are no parabola; a line with none stays infinite.
func (s *signedDistance) line(n int, ws float64) {
	f, v, z := s.f, s.v, s.z
	k := -1
	for q := 0; q < n; q++ {
		if math.IsInf(f[q], 1) {
			continue
		}
		fq := f[q] + ws*float64(q*q)
		for k >= 0 {
			p := v[k]
			x := (fq - (f[p] + ws*float64(p*p))) / (2 * ws * float64(q-p))
			if x > z[k] {
				break
			}
			k--
		}
		if k < 0 {
			k = 0
			v[0], z[0] = q, math.Inf(-1)
		} else {
			p := v[k]
			x := (fq - (f[p] + ws*float64(p*p))) / (2 * ws * float64(q-p))
			k++
			v[k], z[k] = q, x
		}
		z[k+1] = math.Inf(1)
	}
	if k < 0 {
		for q := 0; q < n; q++ {
			s.out[q] = math.Inf(1)
		}
		return
	}
	k = 0
	for q := 0; q < n; q++ {
		for z[k+1] < float64(q) {
			k++
		}
		d := float64(q - v[k])
		s.out[q] = ws*d*d + f[v[k]]
	}
}
