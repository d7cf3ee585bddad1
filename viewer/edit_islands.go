package viewer

import (
	"fmt"
	"image"

	"liverseg/scan"
)

// KeepLargest keeps the largest 3D connected component of the editor's label (voxels connected
// through their 6 face neighbours) and makes every other component background: what the
// inference post-processing does, for a label edited by hand. Of equal components the first in
// volume order is kept. It is one undo step over the whole volume (Slice -1, PlaneName ""), nil
// when there was at most one component.
func (e *Editor) KeepLargest() (*Edit, error) {
	e.EndStroke()
	comps := e.components()
	if len(comps) < 2 {
		return nil, nil
	}
	best := 0
	for n, c := range comps {
		if c.size > comps[best].size {
			best = n
		}
	}
	for n, c := range comps {
		if n != best {
			e.clearComponent(c.seed)
		}
	}
	return e.finishVolume(ToolKeepLargest), nil
}

// RemoveIslands makes background every 3D connected component (6-connected) of the editor's label
// with fewer than minVoxels voxels. It is one undo step over the whole volume (Slice -1, PlaneName
// ""), nil when none was that small.
func (e *Editor) RemoveIslands(minVoxels int) (*Edit, error) {
	e.EndStroke()
	if minVoxels < 0 {
		return nil, fmt.Errorf("viewer: island size %d", minVoxels)
	}
	for _, c := range e.components() {
		if c.size < minVoxels {
			e.clearComponent(c.seed)
		}
	}
	return e.finishVolume(ToolRemoveIslands), nil
}

type component struct{ seed, size int }

// components finds the 6-connected components of the label: a first voxel (lowest offset) and a
// size each. Connectivity does not depend on axis order, so it walks volume order directly,
// from the label's voxels (the rows each slice keeps) through their neighbours; the visited
// voxels are marked in a bitset over each stored slice's rectangle (every labelled voxel lies in
// it), so its memory follows the liver, not the volume. The queue is iterative, never recursion.
func (e *Editor) components() []component {
	m, l := e.mask, e.label
	seen := newVoxelBits(m)
	var comps []component
	var queue []int32
	cols, sl := m.Dims[0], m.SliceLen()
	for k := 0; k < m.Dims[2]; k++ {
		r := m.Bounds(k)
		for j := r.Min.Y; j < r.Max.Y; j++ {
			x0, row := m.Row(k, j)
			for x, v := range row {
				if v != l || !seen.markIJK(x0+x, j, k) {
					continue
				}
				start := k*sl + j*cols + x0 + x
				queue = append(queue[:0], int32(start))
				size := 0
				for len(queue) > 0 {
					o := int(queue[len(queue)-1])
					queue = queue[:len(queue)-1]
					size++
					e.neighbours(o, func(n, i, j, k int) {
						if m.AtIJK(i, j, k) == l && seen.markIJK(i, j, k) {
							queue = append(queue, int32(n))
						}
					})
				}
				comps = append(comps, component{seed: start, size: size})
			}
		}
	}
	return comps
}

// clearComponent makes background the component holding seed. Clearing a voxel is what marks it
// done, so it needs no visited set.
func (e *Editor) clearComponent(seed int) {
	m, l := e.mask, e.label
	e.change(seed, l, 0)
	queue := []int32{int32(seed)}
	for len(queue) > 0 {
		o := int(queue[len(queue)-1])
		queue = queue[:len(queue)-1]
		e.neighbours(o, func(n, i, j, k int) {
			if m.AtIJK(i, j, k) == l {
				e.change(n, l, 0)
				queue = append(queue, int32(n))
			}
		})
	}
}

// neighbours calls f with the volume offset and the column, row and slice of each face
// neighbour of offset o inside the volume.
func (e *Editor) neighbours(o int, f func(n, i, j, k int)) {
	d := e.vol.Dims
	cols, plane := d[0], d[0]*d[1]
	i, j, k := o%cols, (o/cols)%d[1], o/plane
	if i > 0 {
		f(o-1, i-1, j, k)
	}
	if i < cols-1 {
		f(o+1, i+1, j, k)
	}
	if j > 0 {
		f(o-cols, i, j-1, k)
	}
	if j < d[1]-1 {
		f(o+cols, i, j+1, k)
	}
	if k > 0 {
		f(o-plane, i, j, k-1)
	}
	if k < d[2]-1 {
		f(o+plane, i, j, k+1)
	}
}

// voxelBits marks voxels of a mask's stored slices, one bit each over the slice's rectangle as
// it was when made (the mask must not grow meanwhile); voxels outside it cannot be marked.
type voxelBits struct {
	rects []image.Rectangle
	bits  [][]uint64
}

func newVoxelBits(m *scan.Mask) *voxelBits {
	b := &voxelBits{rects: make([]image.Rectangle, m.Dims[2]), bits: make([][]uint64, m.Dims[2])}
	for k := range b.rects {
		r := m.Bounds(k)
		b.rects[k], b.bits[k] = r, make([]uint64, (r.Dx()*r.Dy()+63)/64)
	}
	return b
}

// markIJK marks voxel (i, j, k), which must lie in slice k's rectangle; it says whether it was
// unmarked.
func (b *voxelBits) markIJK(i, j, k int) bool {
	r := b.rects[k]
	n := (j-r.Min.Y)*r.Dx() + i - r.Min.X
	w, bit := &b.bits[k][n>>6], uint64(1)<<(n&63)
	if *w&bit != 0 {
		return false
	}
	*w |= bit
	return true
}
