package viewer

import "fmt"

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
// size each. Connectivity does not depend on axis order, so it walks volume order directly.
// A bitset marks visited voxels (one bit a voxel, not a label image of ints: 5 MB rather than
// 160 MB for a 512x512x150 case); the queue is iterative, never recursion.
func (e *Editor) components() []component {
	m, l := e.mask.Voxels, e.label
	seen := make([]uint64, (len(m)+63)/64)
	var comps []component
	var queue []int32
	for start, v := range m {
		if v != l || seen[start>>6]&(1<<(start&63)) != 0 {
			continue
		}
		seen[start>>6] |= 1 << (start & 63)
		queue = append(queue[:0], int32(start))
		size := 0
		for len(queue) > 0 {
			o := int(queue[len(queue)-1])
			queue = queue[:len(queue)-1]
			size++
			e.neighbours(o, func(n int) {
				if m[n] == l && seen[n>>6]&(1<<(n&63)) == 0 {
					seen[n>>6] |= 1 << (n & 63)
					queue = append(queue, int32(n))
				}
			})
		}
		comps = append(comps, component{seed: start, size: size})
	}
	return comps
}

// clearComponent makes background the component holding seed. Clearing a voxel is what marks it
// done, so it needs no visited set.
func (e *Editor) clearComponent(seed int) {
	m, l := e.mask.Voxels, e.label
	e.set(seed, 0)
	queue := []int32{int32(seed)}
	for len(queue) > 0 {
		o := int(queue[len(queue)-1])
		queue = queue[:len(queue)-1]
		e.neighbours(o, func(n int) {
			if m[n] == l {
				e.set(n, 0)
				queue = append(queue, int32(n))
			}
		})
	}
}

// neighbours calls f with the volume offset of each face neighbour of offset o inside the volume.
func (e *Editor) neighbours(o int, f func(int)) {
	d := e.vol.Dims
	cols, plane := d[0], d[0]*d[1]
	i, j, k := o%cols, (o/cols)%d[1], o/plane
	if i > 0 {
		f(o - 1)
	}
	if i < cols-1 {
		f(o + 1)
	}
	if j > 0 {
		f(o - cols)
	}
	if j < d[1]-1 {
		f(o + cols)
	}
	if k > 0 {
		f(o - plane)
	}
	if k < d[2]-1 {
		f(o + plane)
	}
}
