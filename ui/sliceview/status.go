package sliceview

// The status line that linked views share: the slice, the window, the zoom, the voxel and HU
// under the pointer, a render error, and what the view's user adds (SetStatusExtra).

import (
	"fmt"
	"liverseg/scan"
	"math"

	"fyne.io/fyne/v2/widget"
)

// Status is the status line the view keeps up to date.
func (sv *View) Status() *widget.Label { return sv.vp.status }

// StatusText is the text of the status line.
func (sv *View) StatusText() string { return sv.vp.status.Text }

// SetStatusExtra sets a function whose text ends the status line.
func (sv *View) SetStatusExtra(f func() string) {
	sv.vp.statusText = f
	sv.vp.updateStatus()
}

// RefreshStatus writes the status line again: for when the text of SetStatusExtra's function
// changed (a job started or ended) while the view itself did not.
func (sv *View) RefreshStatus() { sv.vp.updateStatus() }

// updateStatus writes the status line from the shared state and the views' last renders.
func (vp *viewport) updateStatus() {
	win := vp.win
	what := "slice"
	if len(vp.views) > 0 && vp.views[0].r.Plane() != scan.Axial {
		what = vp.views[0].r.Plane().String()
	}
	s := fmt.Sprintf("%s %d/%d   W %g L %g", what, vp.k+1, vp.n, math.Round(win.Width), math.Round(win.Center))
	if vp.preset != "" {
		s += " (" + vp.preset + ")"
	}
	if vp.zoom > 1 {
		s += fmt.Sprintf("   zoom %.1f×", vp.zoom)
	}
	if vp.hoverOK && vp.hover != nil && vp.hover.notice == "" {
		// The display pixel (hx, hy) of slice k of the hovered view is the volume's voxel (i, j, kv).
		if i, j, kv, hu, ok := vp.hover.r.Probe(vp.hover.vp.k, vp.hx, vp.hy); ok {
			s += fmt.Sprintf("   voxel (%d, %d, %d)   %d HU", i, j, kv, hu)
		}
	}
	if len(vp.views) > 0 {
		if o := vp.views[0].r.Orientation(); o.Oblique > obliqueDegrees {
			s += fmt.Sprintf("   oblique %.0f°", o.Oblique)
		}
	}
	for _, v := range vp.views {
		if v.notice != "" {
			s += "   " + v.notice
			break
		}
	}
	for _, v := range vp.views {
		if v.err != nil {
			s += "   " + v.err.Error()
			break
		}
	}
	if vp.statusText != nil {
		if extra := vp.statusText(); extra != "" {
			s += "   " + extra
		}
	}
	vp.status.SetText(s)
}
