package viewer

import (
	"fmt"

	"liverseg/scan"
)

// AcceptPrediction copies the prediction pred into the label, on slice k of the current plane
// or, with k = -1, over the whole volume (an Edit whose PlaneName is ""): the editor's label where pred is nonzero, background where it is
// zero; voxels holding another label value are left alone. The label is
// a copy, so later inference runs (which write new prediction masks) never change it. It is one
// undo step, nil when the label already agreed.
func (e *Editor) AcceptPrediction(pred *scan.Mask, k int) (*Edit, error) {
	e.EndStroke()
	if pred == nil {
		return nil, fmt.Errorf("viewer: no prediction")
	}
	if err := e.vol.CheckMask(pred); err != nil {
		return nil, fmt.Errorf("viewer: prediction: %w", err)
	}
	if k == -1 {
		e.acceptVolume(pred)
		return e.finishVolume(ToolAcceptPrediction), nil
	}
	v := e.view
	if err := v.checkSlice(k); err != nil {
		return nil, err
	}
	e.src = offsPlane(pred, v.offs, v.shift(k), v.canon.Dims[0], e.src)
	e.writeSlice(v, k, e.src)
	return e.finish(ToolAcceptPrediction, v, k), nil
}

// acceptVolume accepts pred over the whole volume, a stored slice at a time, through the
// recorder: slices where neither the label nor pred holds a voxel are skipped unread, so the
// cost follows the liver, not the volume.
func (e *Editor) acceptVolume(pred *scan.Mask) {
	m, l := e.mask, e.label
	cols, sl := m.Dims[0], m.SliceLen()
	for k := 0; k < m.Dims[2]; k++ {
		// Outside both rectangles both are 0, and so is the label after.
		r := m.Bounds(k).Union(pred.Bounds(k))
		if r.Empty() {
			continue
		}
		e.plane, e.src = m.SliceInto(k, e.plane), pred.SliceInto(k, e.src)
		m.Grow(k, pred.LiverBounds(k))
		for j := r.Min.Y; j < r.Max.Y; j++ {
			for p := j*cols + r.Min.X; p < j*cols+r.Max.X; p++ {
				cur, want := e.plane[p], uint8(0)
				switch {
				case cur != 0 && cur != l:
					continue // another structure's voxel: the liver prediction does not overwrite it
				case e.src[p] != 0:
					want = l
				}
				if want != cur {
					e.change(k*sl+p, cur, want)
				}
			}
		}
	}
}
