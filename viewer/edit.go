package viewer

// Label editing: the tools an annotator uses to correct a liver mask, and their undo history.
//
// Coordinates. Every slice tool takes positions on slice k of the current plane (SetPlane;
// axial until then, the canonical axial slice the Renderer draws), so the GUI forwards what its
// display maps to without knowing how the scanner stored the volume. Pixel (i, j) is column i,
// row j of the plane's rendered image (edit_plane.go). Continuous positions (brush
// centres, polygon vertices) use image coordinates: pixel (i, j) covers [i, i+1) x [j, j+1) and its
// centre is (i+0.5, j+0.5); a mouse position divided by the display scale is such a position, and
// a polygon with integer vertices covers whole pixels. Tools write the mask in volume order
// through scan.Canonical, so the voxels changed are those Renderer.Probe reports for the pixels.
//
// Ownership. An Editor owns its label mask: NewEditor copies the label it is given, and only the
// Editor's tools, Undo and Redo change it. Inference writes its own masks and never this one;
// AcceptPrediction copies a prediction into the label, as one undoable step.
//
// Steps. Every tool application returns an *Edit, already pushed on the History, or nil when it
// changed nothing (and then pushes nothing). A brush drag (BeginStroke, StrokeTo per mouse event,
// EndStroke) is one step. Edit.Runs and Edit.UndoRuns are what an autosave journal appends after
// an edit or a redo and after an undo; scan.ApplyRuns replays them on recovery. An open stroke's
// voxels are in Mask() but in no step yet: end it (EndStroke) before a checkpoint.
//
// Redrawing. StrokeTo returns the box a drag event can have changed and each Edit its bounds, so
// the GUI redraws a few hundred pixels per event (Renderer.RenderRect, Renderer.RenderEdit), not
// the slice.
//
// An Editor is not safe for concurrent use; the GUI calls it from its event goroutine and hands
// Mask() to a Renderer on the same goroutine.

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"liverseg/scan"
)

// Tool names, as Edit.Tool and the audit log carry them.
const (
	ToolBrush            = "brush"
	ToolEraser           = "eraser"
	ToolThresholdBrush   = "threshold-brush"
	ToolThresholdEraser  = "threshold-eraser"
	ToolLassoFill        = "lasso-fill"
	ToolLassoCut         = "lasso-cut"
	ToolFloodFill        = "flood-fill"
	ToolFloodErase       = "flood-erase"
	ToolInterpolate      = "interpolate"
	ToolKeepLargest      = "keep-largest"
	ToolRemoveIslands    = "remove-islands"
	ToolAcceptPrediction = "accept-prediction"
)

// ErrNoStroke is returned by StrokeTo when no stroke was begun.
var ErrNoStroke = errors.New("no brush stroke in progress")

// Point is a position in image coordinates on a slice of a plane (see the package notes above:
// pixel (i, j) has its centre at (i+0.5, j+0.5)).
type Point struct{ X, Y float64 }

// maxCoord bounds the coordinates tools accept: a drag may leave the image, but a point this far
// out is a bug, and refusing it keeps every later sum finite.
const maxCoord = 1e7

func checkPoint(p Point) error {
	if !(math.Abs(p.X) <= maxCoord) || !(math.Abs(p.Y) <= maxCoord) {
		return fmt.Errorf("viewer: position %v is not finite or lies over %g pixels out", p, maxCoord)
	}
	return nil
}

// HURange limits a tool to voxels whose HU lies in [Lo, Hi], both included.
type HURange struct{ Lo, Hi int16 }

// Contains says whether hu lies in the range.
func (r HURange) Contains(hu int16) bool { return hu >= r.Lo && hu <= r.Hi }

func checkRange(r *HURange) error {
	if r != nil && r.Lo > r.Hi {
		return fmt.Errorf("viewer: HU range %d..%d is empty", r.Lo, r.Hi)
	}
	return nil
}

// Editor applies edit tools to one label mask of one volume and keeps their undo history.
type Editor struct {
	vol   *scan.Volume
	mask  *scan.Mask
	axial *scan.Canonical // the axial view; shared, never changed, with every Edit (BoundsIn)
	hist  History
	label uint8

	views [len(scan.Planes)]*planeView // built when a plane is first chosen
	view  *planeView                   // the current plane's

	rec    recorder
	stroke strokeState

	labelled int64 // nonzero voxels of mask, kept as tools, Undo and Redo change it
	// Slice buffers of the tools, reused (a slice of the label is read into one, never the volume).
	plane, want, src []uint8
	// Row buffers of the brush: the pixels of a row its disc covers, and their labels.
	inRow     []bool
	rowLabels []uint8
}

// NewEditor prepares an editor for a label of v. label is copied (nil starts an empty mask), so
// the caller's mask, a prediction say, is never changed by editing. The painted value starts at
// scan.Liver.
func NewEditor(v *scan.Volume, label *scan.Mask) (*Editor, error) {
	if v == nil || v.Dims[0] <= 0 || v.Dims[1] <= 0 || v.Dims[2] <= 0 || len(v.Voxels) != v.Len() {
		return nil, fmt.Errorf("viewer: bad volume")
	}
	// Edits store offsets as int32 to halve the history's memory.
	if v.Len() > math.MaxInt32 {
		return nil, fmt.Errorf("viewer: volume too large to edit (%d voxels)", v.Len())
	}
	m := scan.NewMask(v.Dims)
	if label != nil {
		if err := v.CheckMask(label); err != nil {
			return nil, fmt.Errorf("viewer: label: %w", err)
		}
		if err := m.CopyFrom(label); err != nil {
			return nil, fmt.Errorf("viewer: label: %w", err)
		}
	}
	c := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	e := &Editor{vol: v, mask: m, axial: &c, label: scan.Liver, labelled: m.Count()}
	if err := e.SetPlane(scan.Axial); err != nil {
		return nil, err
	}
	return e, nil
}

// Mask is the label being edited (the Editor's own; see the package notes). Draw it, save it,
// but change it only through the Editor, or the history no longer matches it.
func (e *Editor) Mask() *scan.Mask { return e.mask }

// Volume is the CT volume the label belongs to.
func (e *Editor) Volume() *scan.Volume { return e.vol }

// Canonical is the turn from volume axes to the current plane's that tool coordinates use:
// Canonical().Offset(i, j, k) is the voxel under pixel (i, j) of slice k. For the axial view
// (which scan's ToPlane and FromPlane need) use Canonical with the plane set to scan.Axial.
func (e *Editor) Canonical() scan.Canonical { return e.view.canon }

// History is the undo history (for its sizes, budget and Clear).
func (e *Editor) History() *History { return &e.hist }

// Label is the value that painting tools write (scan.Liver unless changed).
func (e *Editor) Label() uint8 { return e.label }

// SetLabel changes the value that painting tools write; 0 is refused (it is background, which the
// erasing tools write).
func (e *Editor) SetLabel(v uint8) error {
	if v == 0 {
		return fmt.Errorf("viewer: label value 0 is the background")
	}
	e.EndStroke()
	e.label = v
	return nil
}

// Slices is the number of slices of the current plane.
func (e *Editor) Slices() int { return e.view.canon.Dims[2] }

// Size is the width and height of a slice of the current plane in pixels.
func (e *Editor) Size() (w, h int) { return e.view.size() }

// CursorRadius is the radius, in pixels of the current plane along x (columns) and y (rows), of
// the circle that a brush of radiusMM covers: the ellipse the GUI draws as the cursor (on IRCAD 7
// coronal, 0.78 mm columns and 1.6 mm rows, a flat one). The pixels a stamp paints are those whose
// centres lie inside it (and at least the pixel under the cursor).
func (e *Editor) CursorRadius(radiusMM float64) (rx, ry float64) {
	sx, sy := e.view.pixelSpacing()
	return radiusMM / sx, radiusMM / sy
}

// EditedSlices lists, ascending, the slices of the current plane changed by a slice tool (brush,
// eraser, lasso, flood fill, accept prediction on a slice) used in that plane since the Editor
// was made or the plane's ClearEdited: the key slices a GUI offers to Interpolate. Each plane
// keeps its own: a coronal edit marks a coronal slice, never the axial slices it crosses. Undo
// does not unmark a slice.
func (e *Editor) EditedSlices() []int {
	var ks []int
	for k, ok := range e.view.edited {
		if ok {
			ks = append(ks, k)
		}
	}
	return ks
}

// ClearEdited forgets which slices of the current plane were edited (the other planes' stay).
func (e *Editor) ClearEdited() { clear(e.view.edited) }

// Undo reverts the latest step (ending a brush stroke in progress first, so Ctrl+Z during a drag
// undoes the drag). It returns the step undone, nil when there is none.
func (e *Editor) Undo() (*Edit, error) {
	e.EndStroke()
	ed, err := e.hist.Undo(e.mask)
	if ed != nil {
		e.labelled -= ed.labelled
	}
	return ed, err
}

// Redo re-applies the latest undone step; nil when there is none.
func (e *Editor) Redo() (*Edit, error) {
	e.EndStroke()
	ed, err := e.hist.Redo(e.mask)
	if ed != nil {
		e.labelled += ed.labelled
	}
	return ed, err
}

// LabelledVoxels is the number of nonzero voxels of the label (times the voxel's volume: the
// label's volume). It is kept as the tools, Undo and Redo change the label, so asking for it
// after every edit costs nothing, however many slices the volume has.
func (e *Editor) LabelledVoxels() int64 { return e.labelled }

// planeBuf is slice k of plane v of the label, read into the editor's plane buffer (valid until
// the next call).
func (e *Editor) planeBuf(v *planeView, k int) []uint8 {
	e.plane = offsPlane(e.mask, v.offs, v.shift(k), v.canon.Dims[0], e.plane)
	return e.plane
}

// recorder collects, while a tool runs, the offset and the old and new values of every voxel it
// changes, so that the Edit can keep just those without reading the mask again.
type recorder struct {
	keys   []uint64 // offset<<32 | sequence number (the index into before and after)
	before []uint8
	after  []uint8
	last   int64 // the latest offset recorded, to notice whether keys are already sorted
	sorted bool
}

func (r *recorder) reset() {
	// A volume-wide tool can record millions of voxels; don't keep that much capacity around.
	const keep = 1 << 20
	if cap(r.keys) > keep {
		r.keys, r.before, r.after = nil, nil, nil
	}
	r.keys, r.before, r.after = r.keys[:0], r.before[:0], r.after[:0]
	r.last, r.sorted = -1, true
}

// set writes v at volume offset off, recording the old value when it changes.
func (e *Editor) set(off int, v uint8) {
	d := e.vol.Dims
	k := off / (d[0] * d[1])
	j := off/d[0] - k*d[1]
	e.setVoxel(off, [3]int{off - (k*d[1]+j)*d[0], j, k}, v)
}

// setVoxel is set for the voxel at offset off whose column, row and slice are ijk: a tool that
// knows them (planeView.voxel) saves splitting the offset.
func (e *Editor) setVoxel(off int, ijk [3]int, v uint8) {
	e.put(off, ijk, e.mask.AtIJK(ijk[0], ijk[1], ijk[2]), v)
}

// put is setVoxel for a voxel whose label the caller knows to be old.
func (e *Editor) put(off int, ijk [3]int, old, v uint8) {
	if old != v {
		e.rec.note(off, old, v)
		e.mask.SetIJK(ijk[0], ijk[1], ijk[2], v)
		e.labelled += nonzeroDelta(old, v)
	}
}

// change writes v at volume offset off, whose label the caller knows to be old, recording the
// change when there is one.
func (e *Editor) change(off int, old, v uint8) {
	if old == v {
		return
	}
	e.rec.note(off, old, v)
	e.mask.Set(off, v)
	e.labelled += nonzeroDelta(old, v)
}

// nonzeroDelta is how the count of nonzero voxels changes when a voxel goes from old to v.
func nonzeroDelta(old, v uint8) int64 {
	switch {
	case old == 0 && v != 0:
		return 1
	case old != 0 && v == 0:
		return -1
	}
	return 0
}

// note records that the tool wrote v over old at the voxel at off.
func (r *recorder) note(off int, old, v uint8) {
	if len(r.keys) == 0 {
		r.last, r.sorted = -1, true
	}
	if int64(off) <= r.last {
		r.sorted = false
	}
	r.last = int64(off)
	r.keys = append(r.keys, uint64(off)<<32|uint64(len(r.before)))
	r.before = append(r.before, old)
	r.after = append(r.after, v)
}

// finish turns what the recorder holds into an Edit of a tool used in plane v, pushes it on the
// history and marks v's slice k edited (none for k -1); it returns nil (and pushes nothing) when
// no voxel ends up different, so a click that changes nothing adds no step.
func (e *Editor) finish(tool string, v *planeView, k int) *Edit {
	ed := e.rec.edit(e.mask, e.axial)
	e.rec.reset()
	if ed == nil {
		return nil
	}
	ed.Tool, ed.Plane, ed.Slice = tool, v.plane, k
	ed.Rect, ed.FirstSlice, ed.LastSlice = ed.BoundsIn(v.plane)
	e.hist.Push(ed)
	if k >= 0 {
		v.edited[k] = true
	}
	return ed
}

// finishVolume is finish for a tool over the whole volume, bounded by no plane: its bounds are
// given in the current plane's coordinates, and PlaneName is "".
func (e *Editor) finishVolume(tool string) *Edit {
	ed := e.finish(tool, e.view, -1)
	if ed != nil {
		ed.wholeVolume = true
	}
	return ed
}

// edit builds the Edit for the recorded changes to m: offsets sorted, each voxel once with its
// first recorded (original) value and its last written one, voxels that came back to their
// original value dropped, and runs of consecutive offsets stored as one span.
func (r *recorder) edit(m *scan.Mask, axial *scan.Canonical) *Edit {
	keys := r.keys
	if len(keys) == 0 {
		return nil
	}
	if !r.sorted {
		// Sorting off<<32|seq puts a voxel's records in the order they were made.
		slices.Sort(keys)
	}
	// Pass 1 keeps each voxel once, with its first old value and its last new one, where the
	// two differ, in place at the front of keys (offset<<32 | index into before and after,
	// which a later entry never needs again), counting spans; pass 2 copies them into arrays
	// of the exact size, so an Edit holds no slack capacity. The recorder must be reset after.
	n, nspans, end := 0, 0, uint64(1<<63)
	for q := 0; q < len(keys); {
		off, first := keys[q]>>32, uint32(keys[q])
		last := first
		for q++; q < len(keys) && keys[q]>>32 == off; q++ {
			last = uint32(keys[q])
		}
		if r.before[first] == r.after[last] {
			continue
		}
		r.after[first] = r.after[last]
		keys[n] = off<<32 | uint64(first)
		if off != end {
			nspans++
		}
		end = off + 1
		n++
	}
	if n == 0 {
		return nil
	}
	ed := &Edit{Voxels: n, dims: m.Dims, axial: axial, spans: make([]span, 0, nspans),
		before: make([]uint8, n), after: make([]uint8, n)}
	end = uint64(1 << 63)
	for q, key := range keys[:n] {
		off, idx := key>>32, uint32(key)
		if off == end {
			ed.spans[len(ed.spans)-1].n++
		} else {
			ed.spans = append(ed.spans, span{off: int32(off), n: 1})
		}
		end = off + 1
		b, a := r.before[idx], r.after[idx]
		ed.before[q], ed.after[q] = b, a
		ed.labelled += nonzeroDelta(b, a)
	}
	ed.setBox()
	return ed
}

// setBox finds the axial canonical box of the changed voxels, from which BoundsIn gives any
// plane's, so a GUI can redraw only that part of a slice. It bounds the voxels in volume axes,
// walking each span by increments (one division a span, not three a voxel), then turns the box:
// each canonical axis is one volume axis, perhaps reversed.
func (ed *Edit) setBox() {
	c, d := ed.axial, ed.dims
	lo := [3]int{math.MaxInt, math.MaxInt, math.MaxInt}
	hi := [3]int{-1, -1, -1}
	for _, s := range ed.spans {
		o := int(s.off)
		k := o / (d[0] * d[1])
		j := o/d[0] - k*d[1]
		i := o - (k*d[1]+j)*d[0]
		for n := int32(0); n < s.n; {
			// The span's part on row j of slice k: columns i .. i+run-1.
			run := min(d[0]-i, int(s.n-n))
			v0, v1 := [3]int{i, j, k}, [3]int{i + run - 1, j, k}
			for a := 0; a < 3; a++ {
				lo[a], hi[a] = min(lo[a], v0[a]), max(hi[a], v1[a])
			}
			n += int32(run)
			i = 0
			if j++; j == d[1] {
				j, k = 0, k+1
			}
		}
	}
	for a := 0; a < 3; a++ {
		l, h := lo[c.Axis[a]], hi[c.Axis[a]]
		if c.Flip[a] {
			l, h = c.Dims[a]-1-h, c.Dims[a]-1-l
		}
		ed.box[0][a], ed.box[1][a] = int32(l), int32(h)
	}
}
