package sliceview

// The slices of a series still loading (scan.Loading): a view draws a slice only once every
// stored slice it reads is in; meanwhile it shows a plain panel that says the slice is loading
// (or why it could not be read), never the zeros of a slice not written yet, and asks the load
// for that slice next.

import (
	"fmt"
	"image"
	"image/color"

	"liverseg/scan"
	"liverseg/viewer"
)

// placeholderColor fills a slice not shown: flat and bluish, unlike any CT window's grey.
var placeholderColor = color.RGBA{R: 28, G: 32, B: 48, A: 255}

// NewProgressive makes a view around a prepared renderer whose volume is still being filled by l:
// it shows the slices l has read, and for the others a note (loading, or why it failed); the
// load's workers tell the view of each slice read through SliceArrived. It starts at the middle
// slice in the liver window.
func NewProgressive(r *viewer.Renderer, l *scan.Loading) *View {
	return newView(r, l)
}

// SetLoading sets the load the view's volume is being filled by (nil: every slice is in) and
// redraws.
func (sv *View) SetLoading(l *scan.Loading) {
	sv.loading = l
	sv.vp.redraw()
}

// SliceArrived tells the view that stored slice k (volume order) of its load is done, read or
// failed: the views showing a slice that reads it are drawn again.
func (sv *View) SliceArrived(k int) {
	if sv.loading == nil || sv.notice == "" {
		return
	}
	if lo, hi := sv.storedSlices(sv.vp.k); lo <= k && k <= hi {
		sv.refresh()
		sv.vp.updateStatus()
	}
}

// Notice is what the view shows in place of its current slice (it is loading, or could not be
// read); "" when the slice is shown.
func (sv *View) Notice() string { return sv.notice }

// storedSlices are the first and last stored slices (volume order) that slice k of the view
// reads: one slice for the plane the series was acquired in, all of them for the others.
func (sv *View) storedSlices(k int) (lo, hi int) {
	c := sv.r.Canonical()
	n := sv.r.Volume().SliceLen()
	w, h := c.Dims[0]-1, c.Dims[1]-1
	lo, hi = c.Offset(0, 0, k)/n, c.Offset(0, 0, k)/n
	for _, o := range []int{c.Offset(w, 0, k), c.Offset(0, h, k), c.Offset(w, h, k)} {
		lo, hi = min(lo, o/n), max(hi, o/n)
	}
	return lo, hi
}

// readable says whether slice k of the view can be drawn; when not, the note says why. A slice
// not read yet is asked of the load, to be read next.
func (sv *View) readable(k int) (note string, ok bool) {
	l := sv.loading
	if l == nil {
		return "", true
	}
	lo, hi := sv.storedSlices(k)
	if lo == hi {
		if l.Loaded(lo) {
			return "", true
		}
		if err := l.SliceErr(lo); err != nil {
			return fmt.Sprintf("slice %d could not be read: %v", k+1, err), false
		}
		l.Want(lo)
		return fmt.Sprintf("slice %d loading…", k+1), false
	}
	// A slice across the stored ones reads them all.
	if l.Complete() {
		return "", true
	}
	if err := l.Err(); err != nil {
		return fmt.Sprintf("%s not shown: %v", sv.r.Plane(), err), false
	}
	done, _ := l.Progress()
	return fmt.Sprintf("%s shown once every slice is loaded (%d of %d)", sv.r.Plane(), done, l.Slices()), false
}

// drawPlaceholder fills dst with the flat colour of a slice not shown.
func drawPlaceholder(dst *image.RGBA) {
	c := placeholderColor
	for i := 0; i < len(dst.Pix); i += 4 {
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = c.R, c.G, c.B, c.A
	}
}

// ViewSlice is the slice of the view that shows stored slice s (volume order) alone; ok is false
// when the view's slices each read across the stored ones.
func (sv *View) ViewSlice(s int) (k int, ok bool) {
	lo, hi := sv.storedSlices(0)
	if lo != hi {
		return 0, false
	}
	if lo == 0 {
		return s, true
	}
	return sv.vp.n - 1 - s, true
}
