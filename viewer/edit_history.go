package viewer

import (
	"fmt"
	"image"

	"liverseg/scan"
)

// Edit is one undoable step: what one tool application (one click, one brush drag) changed.
// It keeps only the voxels that changed, with their values before and after, so its memory is
// proportional to the change, never to the mask.
type Edit struct {
	Tool        string     // one of the Tool constants
	Plane       scan.Plane // the plane the tool was used in: Slice, Rect and the slices are its own
	wholeVolume bool       // a tool over the whole volume, bounded by no plane (PlaneName "")
	Slice       int        // the slice edited; -1 for a step over several slices or the volume
	Voxels      int        // how many voxels changed

	// Rect bounds the changed voxels in pixels of Plane (columns, rows), on every slice of Plane
	// from FirstSlice to LastSlice (inclusive): what a view of one of those slices redraws
	// (Renderer.RenderEdit). BoundsIn gives the same box in another plane. A step over the whole
	// volume (PlaneName "") has them in the plane that was current when it was made.
	Rect                  image.Rectangle
	FirstSlice, LastSlice int

	axial  *scan.Canonical // the editor's axial view, shared by all its edits
	box    [2][3]int32     // lowest and highest changed voxel, axial canonical coordinates
	dims   [3]int          // of the mask it applies to
	spans  []span          // ascending, non-overlapping, non-adjacent runs of volume offsets
	before []uint8
	after  []uint8
	// labelled is how many more nonzero voxels the mask has after the Edit than before it.
	labelled int64
}

// span is a run of consecutive volume offsets.
type span struct{ off, n int32 }

// editHeader is roughly what an Edit costs besides its arrays (the struct, the three slice
// headers' allocations, the pointer in the history), used for the history's budget. The planes
// added 32 bytes to the struct (the axial view's pointer and the box BoundsIn maps), the label's
// count of nonzero voxels 8 more.
const editHeader = 248

// Size is the memory the Edit holds, in bytes (approximately: arrays plus a fixed overhead).
func (ed *Edit) Size() int64 {
	return editHeader + int64(len(ed.spans))*8 + int64(len(ed.before)+len(ed.after))
}

// Runs gives the voxels the Edit changed with their values after it, ascending by offset: apply
// them with scan.ApplyRuns to redo the Edit on a mask that was as before it (crash recovery). The
// values are copies.
func (ed *Edit) Runs() []scan.MaskRun { return ed.runs(ed.after) }

// UndoRuns gives the same voxels with their values before the Edit: what a journal appends when
// the Edit is undone.
func (ed *Edit) UndoRuns() []scan.MaskRun { return ed.runs(ed.before) }

func (ed *Edit) runs(vals []uint8) []scan.MaskRun {
	rs := make([]scan.MaskRun, len(ed.spans))
	pos := 0
	for i, s := range ed.spans {
		n := int(s.n)
		rs[i] = scan.MaskRun{Offset: int(s.off), Values: append([]uint8(nil), vals[pos:pos+n]...)}
		pos += n
	}
	return rs
}

func (ed *Edit) apply(m *scan.Mask, vals []uint8) error {
	if !m.Valid() || m.Dims != ed.dims {
		return fmt.Errorf("viewer: %s edit is for a %dx%dx%d mask", ed.Tool, ed.dims[0], ed.dims[1], ed.dims[2])
	}
	pos := 0
	for _, s := range ed.spans {
		n := int(s.n)
		m.Write(int(s.off), vals[pos:pos+n])
		pos += n
	}
	return nil
}

// History is an undo and redo stack of Edits. It has no fixed step limit: each step costs only
// what it changed. A byte budget (SetBudget) may cap the total; the oldest steps are forgotten
// first, and the latest step is always kept. The zero value is ready to use, without a budget.
type History struct {
	undo, redo []*Edit
	bytes      int64
	budget     int64
}

// Push adds ed as the latest step and clears the redo stack (a new edit after undo starts a new
// branch). A nil ed (a tool that changed nothing) adds no step.
func (h *History) Push(ed *Edit) {
	if ed == nil {
		return
	}
	for i, r := range h.redo {
		h.bytes -= r.Size()
		h.redo[i] = nil
	}
	h.redo = h.redo[:0]
	h.undo = append(h.undo, ed)
	h.bytes += ed.Size()
	h.trim()
}

// trim forgets the oldest undo steps until the history fits its budget.
func (h *History) trim() {
	if h.budget <= 0 {
		return
	}
	drop := 0
	for h.bytes > h.budget && len(h.undo)-drop > 1 {
		h.bytes -= h.undo[drop].Size()
		h.undo[drop] = nil
		drop++
	}
	if drop > 0 {
		// Copy down rather than reslice, so the array's head does not pin forgotten capacity.
		h.undo = append(h.undo[:0], h.undo[drop:]...)
		clear(h.undo[len(h.undo):cap(h.undo)])
	}
}

// SetBudget caps the bytes the history holds (Bytes); 0 or less means no cap. Steps beyond the
// cap are forgotten at once, oldest first (redo steps are counted but never dropped by the cap).
func (h *History) SetBudget(bytes int64) {
	h.budget = bytes
	h.trim()
}

// Budget is the cap set by SetBudget (0: none).
func (h *History) Budget() int64 { return h.budget }

// Bytes is the memory the steps hold (the sum of their Size).
func (h *History) Bytes() int64 { return h.bytes }

// CanUndo says whether there is a step to undo.
func (h *History) CanUndo() bool { return len(h.undo) > 0 }

// CanRedo says whether there is a step to redo.
func (h *History) CanRedo() bool { return len(h.redo) > 0 }

// Len is the number of steps that can be undone and redone.
func (h *History) Len() (undo, redo int) { return len(h.undo), len(h.redo) }

// Clear forgets every step (after a save that starts a new label version, say).
func (h *History) Clear() {
	clear(h.undo)
	clear(h.redo)
	h.undo, h.redo, h.bytes = h.undo[:0], h.redo[:0], 0
}

// Undo writes the latest step's old values into m and moves it to the redo stack. It returns the
// step, or nil when there is nothing to undo.
func (h *History) Undo(m *scan.Mask) (*Edit, error) {
	if len(h.undo) == 0 {
		return nil, nil
	}
	ed := h.undo[len(h.undo)-1]
	if err := ed.apply(m, ed.before); err != nil {
		return nil, err
	}
	h.undo[len(h.undo)-1] = nil
	h.undo = h.undo[:len(h.undo)-1]
	h.redo = append(h.redo, ed)
	return ed, nil
}

// Redo writes the latest undone step's new values into m and moves it back to the undo stack.
// It returns the step, or nil when there is nothing to redo.
func (h *History) Redo(m *scan.Mask) (*Edit, error) {
	if len(h.redo) == 0 {
		return nil, nil
	}
	ed := h.redo[len(h.redo)-1]
	if err := ed.apply(m, ed.after); err != nil {
		return nil, err
	}
	h.redo[len(h.redo)-1] = nil
	h.redo = h.redo[:len(h.redo)-1]
	h.undo = append(h.undo, ed)
	h.trim()
	return ed, nil
}
