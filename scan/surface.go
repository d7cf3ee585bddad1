package scan

// Surface distances between a truth and a prediction, as LiTS (ASSD, HD), the Decathlon and
// nnU-Net (NSD) report them: where the overlap figures say how much of the liver agrees, these say
// how far the borders stray, in millimetres.

import (
	"fmt"
	"math"
	"slices"
)

// NSDTolerance is the tolerance, in mm, of the normalised surface Dice that eval reports.
const NSDTolerance = 2.0

// SurfaceFigures are the distances between the surfaces of a truth and a prediction. Where one
// mask is empty there is no surface to measure from: the figures are nil and Reason says why.
type SurfaceFigures struct {
	HD95   *float64 `json:"hd95_mm"` // the larger of the two directed 95th percentiles of distance
	ASSD   *float64 `json:"assd_mm"` // the mean distance over both surfaces' voxels
	NSD2mm *float64 `json:"nsd_2mm"` // the share of both surfaces' voxels within NSDTolerance of the other
	Reason string   `json:"surface_reason,omitempty"`
}

// CompareSurfaces measures the surfaces of truth and pred (same Dims) against each other.
// A mask's surface is its voxels with a 6-neighbour outside the mask or outside the volume;
// each surface voxel's distance is the exact Euclidean distance, through spacing (mm along the
// columns, rows and slices), to the nearest surface voxel of the other mask. The distances are
// those of the voxel grid: on a gantry-tilted (sheared) series they ignore the shear.
func CompareSurfaces(truth, pred *Mask, spacing [3]float64) (SurfaceFigures, error) {
	if !truth.Valid() || !pred.Valid() || truth.Dims != pred.Dims {
		return SurfaceFigures{}, fmt.Errorf("%w: truth is %s, prediction is %s", ErrGeometry, DimsString(truth.Dims), DimsString(pred.Dims))
	}
	for _, s := range spacing {
		if !(s > 0) || math.IsInf(s, 0) {
			return SurfaceFigures{}, fmt.Errorf("%w: voxel spacing %v mm: surface distances need a positive spacing on every axis", ErrGeometry, spacing)
		}
	}
	box, ok := boundingBox(truth)
	pbox, pok := boundingBox(pred)
	switch {
	case !ok && !pok:
		return SurfaceFigures{Reason: "no liver in the truth nor in the prediction: no surface to measure"}, nil
	case !ok:
		return SurfaceFigures{Reason: "no liver in the truth: no surface to measure from"}, nil
	case !pok:
		return SurfaceFigures{Reason: "no liver in the prediction: no surface to measure"}, nil
	}
	box = box.union(pbox)
	ts, ps := surfaceVoxels(truth, box), surfaceVoxels(pred, box)
	// Distances from the prediction's surface to the truth's, and back.
	dp := distancesTo(ts, ps, box, spacing)
	dt := distancesTo(ps, ts, box, spacing)

	hd95 := max(percentile(dp, 95), percentile(dt, 95))
	var sum float64
	within := 0
	for _, d := range [][]float32{dp, dt} {
		for _, x := range d {
			sum += float64(x)
			if float64(x) <= NSDTolerance {
				within++
			}
		}
	}
	n := float64(len(dp) + len(dt))
	assd, nsd := sum/n, float64(within)/n
	return SurfaceFigures{HD95: &hd95, ASSD: &assd, NSD2mm: &nsd}, nil
}

// box is a box of voxels, lo inclusive, hi exclusive, in (column, row, slice).
type box struct{ lo, hi [3]int }

func (b box) dims() [3]int { return [3]int{b.hi[0] - b.lo[0], b.hi[1] - b.lo[1], b.hi[2] - b.lo[2]} }

func (b box) union(o box) box {
	for a := range 3 {
		b.lo[a], b.hi[a] = min(b.lo[a], o.lo[a]), max(b.hi[a], o.hi[a])
	}
	return b
}

// boundingBox is the smallest box holding every voxel of m; false when m is empty.
func boundingBox(m *Mask) (box, bool) {
	b := box{lo: m.Dims}
	found := false
	for z := range m.Dims[2] {
		r := m.LiverBounds(z)
		if r.Empty() {
			continue
		}
		lo, hi := [3]int{r.Min.X, r.Min.Y, z}, [3]int{r.Max.X, r.Max.Y, z + 1}
		for a := range 3 {
			b.lo[a], b.hi[a] = min(b.lo[a], lo[a]), max(b.hi[a], hi[a])
		}
		found = true
	}
	return b, found
}

// surfaceVoxels lists m's surface voxels (see CompareSurfaces) as offsets into the box: int32,
// since a 1000-slice liver has millions of them and a box holds fewer than 2^31 voxels
// (MaxVoxels).
func surfaceVoxels(m *Mask, b box) []int32 {
	nx, ny, nz := m.Dims[0], m.Dims[1], m.Dims[2]
	bd := b.dims()
	in := func(x, y, z int) bool {
		return x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz && m.AtIJK(x, y, z) != 0
	}
	var out []int32
	for z := b.lo[2]; z < b.hi[2]; z++ {
		for y := b.lo[1]; y < b.hi[1]; y++ {
			for x := b.lo[0]; x < b.hi[0]; x++ {
				if !in(x, y, z) {
					continue
				}
				if in(x-1, y, z) && in(x+1, y, z) && in(x, y-1, z) && in(x, y+1, z) && in(x, y, z-1) && in(x, y, z+1) {
					continue
				}
				out = append(out, int32((x-b.lo[0])+bd[0]*((y-b.lo[1])+bd[1]*(z-b.lo[2]))))
			}
		}
	}
	return out
}

// distancesTo is, for each voxel of from (offsets into the box, ascending), the distance in mm
// to the nearest voxel of to. Every voxel of both lies in the box, so the distance transform of
// the box alone is exact. It takes the transform a slice at a time (SquaredDistanceSlices): a
// 1000-slice liver's box is 130-200 MB of float32, a slice of it a few hundred KB. The
// distances are float32, as the transform's squared distances are.
func distancesTo(to, from []int32, b box, spacing [3]float64) []float32 {
	d := make([]float32, len(from))
	bd := b.dims()
	area := bd[0] * bd[1]
	i := 0
	SquaredDistanceSlices(to, bd, spacing, func(z int, sq []float32) {
		for ; i < len(from) && int(from[i])/area == z; i++ {
			d[i] = float32(math.Sqrt(float64(sq[int(from[i])%area])))
		}
	})
	return d
}

// SquaredDistanceSlices calls visit(z, sq) for every slice z of a grid of dims, in order, with sq
// the exact squared Euclidean distance, in mm², from every voxel of slice z (dims[0]*dims[1],
// columns fastest) to the nearest of the feature voxels (offsets into the grid), through
// spacing; +Inf everywhere where there is no feature. It is SquaredDistances a slice at a time,
// without the grid: the pass along the slices comes first, straight from each column's features
// (the nearest above and below, found as z advances), then the passes along the rows and the
// columns of the slice, which need that slice only. The separable transform is exact in any
// order of the axes. sq is reused from one call of visit to the next.
func SquaredDistanceSlices(features []int32, dims [3]int, spacing [3]float64, visit func(z int, sq []float32)) {
	area := dims[0] * dims[1]
	// The features by column: start[c]..start[c+1] index zs, each column's slices ascending.
	start := make([]int32, area+1)
	for _, o := range features {
		start[int(o)%area+1]++
	}
	for c := range area {
		start[c+1] += start[c]
	}
	zs := make([]int32, len(features))
	fill := slices.Clone(start[:area])
	for _, o := range features {
		c := int(o) % area
		zs[fill[c]] = o / int32(area)
		fill[c]++
	}
	for c := range area {
		if col := zs[start[c]:start[c+1]]; !slices.IsSorted(col) {
			slices.Sort(col)
		}
	}
	next := fill // reused: next[c] is the first feature of column c at or beyond the slice
	copy(next, start[:area])
	sq := make([]float32, area)
	longest := max(dims[0], dims[1])
	line, out := make([]float64, longest), make([]float64, longest)
	env := newEnvelope(longest)
	inf := float32(math.Inf(1))
	for z := range dims[2] {
		for c := range area {
			lo, hi := start[c], start[c+1]
			n := next[c]
			for n < hi && int(zs[n]) < z {
				n++
			}
			next[c] = n
			best := math.Inf(1)
			if n < hi {
				d := float64(int(zs[n])-z) * spacing[2]
				best = d * d
			}
			if n > lo {
				d := float64(z-int(zs[n-1])) * spacing[2]
				best = min(best, d*d)
			}
			sq[c] = inf
			if !math.IsInf(best, 1) {
				sq[c] = float32(best)
			}
		}
		// Along the columns (stride dims[0]), then along the rows.
		for a, stride := range [2]int{dims[0], 1} {
			length, lines, step := dims[1], dims[0], 1
			if a == 1 {
				length, lines, step = dims[0], dims[1], dims[0]
			}
			for l := range lines {
				s := l * step
				for i := range length {
					line[i] = float64(sq[s+i*stride])
				}
				env.transform(line[:length], out[:length], spacing[1-a])
				for i := range length {
					sq[s+i*stride] = float32(out[i])
				}
			}
		}
		visit(z, sq)
	}
}

// envelope is the scratch of the 1D transform: the parabolas of the lower envelope (v) and the
// boundaries between them (z).
type envelope struct {
	v []int
	z []float64
}

func newEnvelope(n int) *envelope { return &envelope{v: make([]int, n), z: make([]float64, n+1)} }

// transform sets out[q] to min over p of (q*s - p*s)² + f[p], for samples s mm apart; +Inf where
// f is +Inf everywhere.
func (e *envelope) transform(f, out []float64, s float64) {
	k := -1
	for q := range f {
		if math.IsInf(f[q], 1) {
			continue
		}
		x := float64(q) * s
		var cross float64
		for k >= 0 {
			p := e.v[k]
			xp := float64(p) * s
			// Where the parabola of q overtakes that of p.
			cross = ((f[q] + x*x) - (f[p] + xp*xp)) / (2 * (x - xp))
			if cross > e.z[k] {
				break
			}
			k--
		}
		k++
		e.v[k] = q
		if k == 0 {
			e.z[0] = math.Inf(-1)
		} else {
			e.z[k] = cross
		}
		e.z[k+1] = math.Inf(1)
	}
	if k < 0 {
		for q := range out {
			out[q] = math.Inf(1)
		}
		return
	}
	k = 0
	for q := range out {
		x := float64(q) * s
		for e.z[k+1] < x {
			k++
		}
		d := x - float64(e.v[k])*s
		out[q] = d*d + f[e.v[k]]
	}
}

// percentile is the p-th percentile of d with linear interpolation between the closest ranks
// (numpy's default), as the reference implementations compute HD95. It sorts d in place (a
// 1000-slice surface has millions of distances: no copy).
func percentile[F float32 | float64](d []F, p float64) float64 {
	slices.Sort(d)
	pos := p / 100 * float64(len(d)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(d)-1)
	return float64(d[lo]) + float64(d[hi]-d[lo])*(pos-float64(lo))
}
