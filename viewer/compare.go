package viewer

import (
	"liverseg/scan"
)

// Compare scores pred against truth like scan.Compare, but numbers the per-slice figures by the
// renderer's slices (of its plane), the slice the viewer shows: a series stored head first, or acquired
// sagittally, still lists the slice the reviewer lands on. The volume figures (and the original
// study's per-slice means) are scan.Compare's, which do not depend on the orientation.
func (r *Renderer) Compare(truth, pred *scan.Mask) (*scan.Metrics, error) {
	if err := r.checkMask(truth, "truth"); err != nil {
		return nil, err
	}
	if err := r.checkMask(pred, "prediction"); err != nil {
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
	// The plane's slice runs across the stored slices: count again, a row of the plane at a time
	// (each a line through the volume), so that no slice is copied whole.
	m.Slices = make([]scan.SliceMetrics, n)
	w, h := c.Dims[0], c.Dims[1]
	t, p := make([]uint8, w), make([]uint8, w)
	for k := 0; k < n; k++ {
		shift := int32(c.Offset(0, 0, k) - r.base)
		var cf scan.Confusion
		for j := 0; j < h; j++ {
			offsLine(truth, r.offs, shift, j*w, t)
			offsLine(pred, r.offs, shift, j*w, p)
			for i := range t {
				cf.Add(t[i], p[i])
			}
		}
		m.Slices[k] = cf.SliceFigures(k)
	}
	return m, nil
}
