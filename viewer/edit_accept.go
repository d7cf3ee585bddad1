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
	m, l := e.mask.Voxels, e.label
	accept := func(o int) {
		switch cur := m[o]; {
		case cur != 0 && cur != l:
			// Another structure's voxel: the liver prediction does not overwrite it.
		case pred.Voxels[o] != 0:
			e.set(o, l)
		default:
			e.set(o, 0)
		}
	}
	if k == -1 {
		for o := range m {
			accept(o)
		}
		return e.finishVolume(ToolAcceptPrediction), nil
	}
	v := e.view
	if err := v.checkSlice(k); err != nil {
		return nil, err
	}
	shift := v.shift(k)
	for _, o := range v.offs {
		accept(int(o + shift))
	}
	return e.finish(ToolAcceptPrediction, v, k), nil
}
