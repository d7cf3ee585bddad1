package viewer

// Slices redrawn by a model: the AI click tool replaces the label of the clicked slice with what
// the interactive model drew (ApplySlice, one undo step a click), then the slices the change
// propagates to join that step as they arrive (ExtendStep), so that one undo takes back a click
// and everything it did.

import (
	"errors"
	"fmt"
	"slices"

	"liverseg/scan"
)

// Tool names of the AI click tool, as Edit.Tool carries them.
const (
	ToolAIClickPositive = "ai-click-positive" // a "liver here" click
	ToolAIClickNegative = "ai-click-negative" // a "not liver here" click
)

// ErrNotLatest: ExtendStep was given a step that is no longer the latest of the history (another
// step, an undo or a brush stroke came in between), or none.
var ErrNotLatest = errors.New("the step is no longer the latest")

// ApplySlice replaces the label of slice k of the current plane by slice (w x h bytes of the
// plane's pixels, row by row, as Size gives them): the editor's label where slice is nonzero,
// background where it is zero; voxels holding another label value are left alone, as
// AcceptPrediction leaves them. It is one undo step of tool (nil when the label already agreed)
// and marks slice k edited.
func (e *Editor) ApplySlice(k int, slice []uint8, tool string) (*Edit, error) {
	e.EndStroke()
	v := e.view
	if err := e.checkSliceData(v, k, slice); err != nil {
		return nil, err
	}
	if tool == "" {
		return nil, fmt.Errorf("viewer: a slice applied without a tool name")
	}
	e.rec.reset()
	e.writeSlice(v, k, slice)
	return e.finish(tool, v, k), nil
}

// ExtendStep replaces the label of slice k of the current plane as ApplySlice does, as part of
// step, which must be the latest step of the history (else ErrNotLatest, and nothing changes):
// the step then holds both (one undo takes back both). It returns the step as it now is (it
// replaces step in the history; nil, and the step is gone, when the two cancel out) and change,
// the voxels this call changed alone (nil when none; pushed nowhere): what an autosave journal
// appends. The step's Slice becomes -1 when it spans several slices; its Rect and slices grow.
func (e *Editor) ExtendStep(step *Edit, k int, slice []uint8) (merged, change *Edit, err error) {
	h := &e.hist
	if step == nil || e.Stroking() || len(h.undo) == 0 || h.undo[len(h.undo)-1] != step {
		return step, nil, ErrNotLatest
	}
	v := e.view
	if v.plane != step.Plane || step.wholeVolume {
		return step, nil, fmt.Errorf("viewer: a %s step extended in the %s plane", step.PlaneName(), v.plane)
	}
	if err := e.checkSliceData(v, k, slice); err != nil {
		return step, nil, err
	}
	e.rec.reset()
	e.writeSlice(v, k, slice)
	change = e.rec.edit(e.mask, e.axial)
	e.rec.reset()
	if change == nil {
		return step, nil, nil
	}
	change.Tool, change.Plane, change.Slice = step.Tool, v.plane, k
	change.Rect, change.FirstSlice, change.LastSlice = change.BoundsIn(v.plane)

	merged = mergeEdits(step, change, e.mask)
	h.bytes -= step.Size()
	h.undo = h.undo[:len(h.undo)-1]
	if merged == nil {
		return nil, change, nil
	}
	merged.Tool, merged.Plane, merged.Slice = step.Tool, step.Plane, step.Slice
	merged.Rect, merged.FirstSlice, merged.LastSlice = merged.BoundsIn(step.Plane)
	if merged.FirstSlice != merged.LastSlice {
		merged.Slice = -1
	}
	h.undo = append(h.undo, merged)
	h.bytes += merged.Size()
	h.trim()
	return merged, change, nil
}

func (e *Editor) checkSliceData(v *planeView, k int, slice []uint8) error {
	if err := v.checkSlice(k); err != nil {
		return err
	}
	if w, h := v.size(); len(slice) != w*h {
		return fmt.Errorf("viewer: a slice of %d pixels for a %dx%d %s slice", len(slice), w, h, v.plane)
	}
	return nil
}

// writeSlice writes slice into slice k of plane v through the recorder (see ApplySlice).
func (e *Editor) writeSlice(v *planeView, k int, slice []uint8) {
	l := e.label
	e.rewrite(v, k, func(p int, cur uint8) uint8 {
		switch {
		case cur != 0 && cur != l:
			return cur // another structure's voxel: the liver's model does not overwrite it
		case slice[p] != 0:
			return l
		}
		return 0
	})
}

// mergeEdits is the step of a followed by b on mask m (as it is after both): every voxel of
// either, with its value before a (before b where a did not touch it), dropped where m holds that
// value again; nil when none is left. Both edits' voxels are ascending, so one merge pass does it
// (a propagation's step grows by a slice at a time: no sort of the whole step each time).
func mergeEdits(a, b *Edit, m *scan.Mask) *Edit {
	ao, ab := a.expand()
	bo, bb := b.expand()
	ed := &Edit{dims: a.dims, axial: a.axial}
	end := int32(-1)
	add := func(off int32, before uint8) {
		now := m.At(int(off))
		if now == before {
			return
		}
		if off == end {
			ed.spans[len(ed.spans)-1].n++
		} else {
			ed.spans = append(ed.spans, span{off: off, n: 1})
		}
		end = off + 1
		ed.before = append(ed.before, before)
		ed.after = append(ed.after, now)
		ed.labelled += nonzeroDelta(before, now)
		ed.Voxels++
	}
	i, j := 0, 0
	for i < len(ao) || j < len(bo) {
		switch {
		case j == len(bo) || (i < len(ao) && ao[i] < bo[j]):
			add(ao[i], ab[i])
			i++
		case i == len(ao) || bo[j] < ao[i]:
			add(bo[j], bb[j])
			j++
		default: // both: the value before a
			add(ao[i], ab[i])
			i++
			j++
		}
	}
	if ed.Voxels == 0 {
		return nil
	}
	ed.spans = slices.Clip(ed.spans)
	ed.setBox()
	return ed
}

// expand lists the Edit's voxels ascending with their values before it.
func (ed *Edit) expand() ([]int32, []uint8) {
	offs := make([]int32, 0, ed.Voxels)
	for _, s := range ed.spans {
		for o := s.off; o < s.off+s.n; o++ {
			offs = append(offs, o)
		}
	}
	return offs, ed.before
}
