package viewer

// Editing in every plane. The Editor works in one plane at a time, the current plane (SetPlane):
// its slice tools take slices and positions in that plane's coordinates, as scan.Canonical.Plane
// turns the axial view (coronal: columns toward the patient's left, rows toward inferior, slices
// toward posterior; sagittal: columns toward posterior, rows toward inferior, slices toward the
// left). Each plane is a planeView: the turned Canonical and the volume offsets of its slice 0,
// so every tool has one code path, the axial one, run on another table of offsets. The planes
// share the mask and the undo history; each keeps its own set of edited slices, the key slices
// Interpolate fills between.

import (
	"fmt"
	"image"
	"math"

	"liverseg/scan"
)

// planeView is what the tools need to work on the slices of one plane.
type planeView struct {
	plane  scan.Plane
	canon  scan.Canonical // the editor's axial view turned to this plane
	offs   []int32        // volume offset of each pixel of slice 0, row by row (as the Renderer)
	base   int            // canon.Offset(0, 0, 0)
	edited []bool         // per slice: changed by a slice tool (the key slices for Interpolate)
}

func newPlaneView(axial scan.Canonical, p scan.Plane) *planeView {
	c := axial.Plane(p)
	v := &planeView{plane: p, canon: c, edited: make([]bool, c.Dims[2])}
	v.offs, v.base = sliceZeroOffsets(c)
	return v
}

// shift is added to offs[p] to get the volume offset of pixel p of slice k.
func (v *planeView) shift(k int) int32 { return int32(v.canon.Offset(0, 0, k) - v.base) }

// voxel is the volume column, row and slice under pixel (x, y) of slice s (no division, unlike
// splitting the pixel's offset: a brush asks it for every pixel of its disc).
func (v *planeView) voxel(x, y, s int) (ijk [3]int) {
	c := &v.canon
	for a, p := range [3]int{x, y, s} {
		if c.Flip[a] {
			p = c.Dims[a] - 1 - p
		}
		ijk[c.Axis[a]] = p
	}
	return ijk
}

// size is the width and height of a slice in pixels.
func (v *planeView) size() (w, h int) { return v.canon.Dims[0], v.canon.Dims[1] }

func (v *planeView) checkSlice(k int) error {
	if k < 0 || k >= v.canon.Dims[2] {
		return fmt.Errorf("viewer: %w: %v slice %d of %d", ErrSlice, v.plane, k, v.canon.Dims[2])
	}
	return nil
}

// inSlice says whether (i, j) is a pixel of a slice.
func (v *planeView) inSlice(i, j int) bool {
	return i >= 0 && j >= 0 && i < v.canon.Dims[0] && j < v.canon.Dims[1]
}

// pixelSpacing is the mm between columns and rows, 1 where unknown (as Renderer.Aspect treats
// it), so that tools stay usable on a series without spacing.
func (v *planeView) pixelSpacing() (sx, sy float64) {
	sx, sy = v.canon.Spacing[0], v.canon.Spacing[1]
	if !(sx > 0) || math.IsInf(sx, 0) {
		sx = 1
	}
	if !(sy > 0) || math.IsInf(sy, 0) {
		sy = 1
	}
	return sx, sy
}

// SetPlane makes p the plane the tools work in: from then on slices, pixels and positions given to
// the tools, Size, Slices, CursorRadius, Canonical, EditedSlices and ClearEdited are p's. A brush
// stroke already open stays in the plane it was begun in until EndStroke. A plane's offsets are
// built the first time it is chosen and kept.
func (e *Editor) SetPlane(p scan.Plane) error {
	if int(p) >= len(e.views) {
		return fmt.Errorf("viewer: no plane %v", p)
	}
	if e.views[p] == nil {
		e.views[p] = newPlaneView(*e.axial, p)
	}
	e.view = e.views[p]
	return nil
}

// Plane is the plane the tools work in (scan.Axial until SetPlane).
func (e *Editor) Plane() scan.Plane { return e.view.plane }

// BoundsIn is the box of the voxels ed changed in the coordinates of plane p: the pixels (rect,
// columns and rows of p) on each of p's slices first..last. Rect, FirstSlice and LastSlice are
// BoundsIn(ed.Plane); a view of another plane redraws BoundsIn of its own plane after an edit or
// an undo.
func (ed *Edit) BoundsIn(p scan.Plane) (rect image.Rectangle, first, last int) {
	lo, hi := ed.box[0], ed.box[1]
	x0, y0, s0 := ed.axial.ToPlane(p, int(lo[0]), int(lo[1]), int(lo[2]))
	x1, y1, s1 := ed.axial.ToPlane(p, int(hi[0]), int(hi[1]), int(hi[2]))
	return image.Rect(min(x0, x1), min(y0, y1), max(x0, x1)+1, max(y0, y1)+1), min(s0, s1), max(s0, s1)
}

// PlaneName is the name of the plane the tool was used in ("axial", "coronal", "sagittal"), or ""
// for a step over the whole volume that no plane bounds (keep largest, remove islands, accept
// the prediction over the volume): what the audit log records.
func (ed *Edit) PlaneName() string {
	if ed.wholeVolume {
		return ""
	}
	return ed.Plane.String()
}

// rewrite sets each pixel p of slice k of plane v of the label to next(p, cur), cur being its
// label now, through the recorder: it reads the slice once into the editor's buffer, reserves in
// the mask the box of the label it will write (so that the slices it crosses grow once), and
// writes only the voxels that change.
func (e *Editor) rewrite(v *planeView, k int, next func(p int, cur uint8) uint8) {
	cur := e.planeBuf(v, k)
	if len(e.want) < len(cur) {
		e.want = make([]uint8, len(cur))
	}
	want := e.want[:len(cur)]
	w, _ := v.size()
	var box image.Rectangle
	for p, c := range cur {
		n := next(p, c)
		want[p] = n
		if n != 0 && n != c {
			box = box.Union(image.Rect(p%w, p/w, p%w+1, p/w+1))
		}
	}
	e.reserve(v, k, box)
	shift := v.shift(k)
	for p, c := range cur {
		if want[p] != c {
			e.change(int(v.offs[p]+shift), c, want[p])
		}
	}
}

// reserve makes the mask keep the voxels under rect (pixels of slice k of plane v), so that a
// tool about to write the label over much of it grows each stored slice it crosses once, not
// every few rows as single writes would.
func (e *Editor) reserve(v *planeView, k int, rect image.Rectangle) {
	w, h := v.size()
	rect = rect.Intersect(image.Rect(0, 0, w, h))
	if rect.Empty() {
		return
	}
	// A plane is the volume's axes permuted and some reversed: the box's extreme corners are
	// the extreme corners of its box in the volume.
	cols, sl := e.vol.Dims[0], e.vol.Dims[0]*e.vol.Dims[1]
	a := v.canon.Offset(rect.Min.X, rect.Min.Y, k)
	b := v.canon.Offset(rect.Max.X-1, rect.Max.Y-1, k)
	ia, ja, ka := a%cols, a%sl/cols, a/sl
	ib, jb, kb := b%cols, b%sl/cols, b/sl
	box := image.Rect(min(ia, ib), min(ja, jb), max(ia, ib)+1, max(ja, jb)+1)
	for s := min(ka, kb); s <= max(ka, kb); s++ {
		e.mask.Grow(s, box)
	}
}
