package viewer

import (
	"liverseg/scan"
)

// Compare scores pred against truth like scan.Compare, but numbers the per-slice figures by the
// renderer's slices (of its plane), the slice the viewer shows: a series stored head first, or acquired
// sagittally, still lists the slice the reviewer lands on. The volume figures (and the original
// study's per-slice means) are scan.Compare's, which do not depend on the orientation.
func (r *Renderer) Compare(truth, pred *scan.Mask) (*scan.Metrics, error) {
	if err := r.checkDims(truth.Dims, len(truth.Voxels), "truth"); err != nil {
		return nil, err
	}
	if err := r.checkDims(pred.Dims, len(pred.Voxels), "prediction"); err != nil {
		return nil, err
	}
	m, err := scan.Compare(truth, pred, r.vol.VoxelVolumeML())
	if err != nil {
		return nil, err
	}
	c := r.canon
	n := c.Dims[2]
	if c.Axis[2] == 2 {
		// The plane's slices are volume slices, perhaps in reverse order: renumber only.
		out := make([]scan.SliceMetrics, n)
		for _, s := range m.Slices {
			k := s.Slice
			if c.Flip[2] {
				k = n - 1 - k
			}
			s.Slice = k
			out[k] = s
		}
		m.Slices = out
		return m, nil
	}
	// The plane's slice runs across the stored slices: count again through the offsets.
	m.Slices = make([]scan.SliceMetrics, n)
	offs := make([]int, c.Dims[0]*c.Dims[1])
	for k := 0; k < n; k++ {
		c.SliceOffsets(k, offs)
		var cf scan.Confusion
		for _, o := range offs {
			cf.Add(truth.Voxels[o], pred.Voxels[o])
		}
		m.Slices[k] = cf.SliceFigures(k)
	}
	return m, nil
}
