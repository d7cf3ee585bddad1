package sliceview

// The linked planes of the four-pane review: the axial, coronal and sagittal views of one volume
// share a cross-hair point and the CT window.

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"

	"liverseg/scan"
)

// PlaneColor is the colour that stands for plane p wherever the planes are drawn together: the
// cross-hair line a plane's slice makes in the other panes, its outline in 3D (3D Slicer's red
// axial, green coronal and yellow sagittal, which readers of its views know).
func PlaneColor(p scan.Plane) color.RGBA {
	switch p {
	case scan.Axial:
		return color.RGBA{R: 230, G: 70, B: 60, A: 255}
	case scan.Coronal:
		return color.RGBA{R: 90, G: 200, B: 90, A: 255}
	}
	return color.RGBA{R: 235, G: 200, B: 60, A: 255}
}

// crossingPlanes are, for a view of each plane, the planes whose slices its cross-hair's
// horizontal and vertical lines are: the planes whose slices run along its rows and columns.
var crossingPlanes = [3][2]scan.Plane{
	scan.Axial:    {scan.Coronal, scan.Sagittal},
	scan.Coronal:  {scan.Axial, scan.Sagittal},
	scan.Sagittal: {scan.Axial, scan.Coronal},
}

// Planes links views of one volume in different planes (made with viewer.NewPlaneRenderer): they
// share a point of the volume, the cross-hair, that each view draws through its slice and that a
// click in any view (Ctrl+click while an edit tool holds the left button) moves, the other views
// then showing the slices through it; a view's own slice change (the wheel, the keys) moves the
// point along that view's axis, so the other views' cross-hairs follow. They share the CT window
// and the status line too; each keeps its own zoom, pan and slider. Used from the Fyne goroutine.
type Planes struct {
	views []*View
	canon scan.Canonical // the volume's axial canonical view: the point's coordinates
	point [3]int         // canonical (axial) voxel at the cross-hair
	shown bool           // the cross-hair is drawn ('C' toggles it)
	busy  bool           // while the views are set from the point (or the window), their echoes do nothing

	// OnMoved, when set, is called after the point moved (the 3D view shows the planes there).
	OnMoved func(point [3]int)
}

// LinkPlanes links views of one volume's planes, at most one per plane. The point starts where
// the first view's slice and the centre of the other axes meet.
func LinkPlanes(views ...*View) *Planes {
	if len(views) == 0 {
		return &Planes{}
	}
	p := &Planes{views: views, canon: views[0].r.AxialCanonical(), shown: true}
	first := views[0]
	for _, sv := range views {
		sv.planes = p
		if sv != first {
			sv.vp.status = first.vp.status
			sv.vp.statusText = first.vp.statusText
			sv.vp.win, sv.vp.preset = first.vp.win, first.vp.preset
		}
	}
	fw, fh := first.r.Size()
	i, j, k := p.canon.FromPlane(first.r.Plane(), fw/2, fh/2, first.vp.k)
	p.MoveTo(i, j, k)
	return p
}

// Views are the linked views.
func (p *Planes) Views() []*View { return p.views }

// Point is the canonical (axial) voxel at the cross-hair.
func (p *Planes) Point() [3]int { return p.point }

// Shown says whether the cross-hair is drawn.
func (p *Planes) Shown() bool { return p.shown }

// MoveTo puts the cross-hair at canonical (axial) voxel (i, j, k), clamped to the volume, and
// shows in every view the slice through it.
func (p *Planes) MoveTo(i, j, k int) {
	d := p.canon.Dims
	p.point = [3]int{clamp(i, d[0]), clamp(j, d[1]), clamp(k, d[2])}
	p.busy = true
	for _, sv := range p.views {
		_, _, s := p.canon.ToPlane(sv.r.Plane(), p.point[0], p.point[1], p.point[2])
		sv.SetSlice(s)
	}
	p.busy = false
	p.moved()
}

// MoveToPosition puts the cross-hair at the voxel nearest LPS position pos (mm), as a click in
// the 3D view gives it; it says whether the position lies in the volume.
func (p *Planes) MoveToPosition(pos [3]float64) bool {
	if len(p.views) == 0 {
		return false
	}
	v := p.views[0].r.Volume()
	idx, ok := v.VoxelOf(pos)
	if !ok {
		return false
	}
	var vox [3]int
	for a := range vox {
		vox[a] = int(math.Round(idx[a]))
		if vox[a] < 0 || vox[a] >= v.Dims[a] {
			return false
		}
	}
	i, j, k := p.canon.FromVolume(vox)
	p.MoveTo(i, j, k)
	return true
}

// Toggle shows or hides the cross-hair.
func (p *Planes) Toggle() {
	p.shown = !p.shown
	for _, sv := range p.views {
		sv.Refresh()
	}
}

// moved redraws the cross-hairs and tells OnMoved.
func (p *Planes) moved() {
	for _, sv := range p.views {
		sv.Refresh()
	}
	if p.OnMoved != nil {
		p.OnMoved(p.point)
	}
}

// sliceMoved follows a view's own slice change: the point moves along that view's axis.
func (p *Planes) sliceMoved(sv *View) {
	if p.busy {
		return
	}
	x, y, _ := p.canon.ToPlane(sv.r.Plane(), p.point[0], p.point[1], p.point[2])
	i, j, k := p.canon.FromPlane(sv.r.Plane(), x, y, sv.vp.k)
	p.point = [3]int{i, j, k}
	p.moved()
}

// windowChanged gives the other views the window of sv.
func (p *Planes) windowChanged(sv *View) {
	if p.busy {
		return
	}
	p.busy = true
	for _, o := range p.views {
		if o.vp != sv.vp {
			o.vp.setWindow(sv.vp.win, sv.vp.preset)
		}
	}
	p.busy = false
}

// clickAt moves the point to the voxel under pos in sv's current slice; it says whether pos
// fell on the image.
func (p *Planes) clickAt(sv *View, pos fyne.Position) bool {
	x, y, ok := sv.ProbeAt(pos)
	if !ok {
		return false
	}
	i, j, k := p.canon.FromPlane(sv.r.Plane(), x, y, sv.vp.k)
	p.MoveTo(i, j, k)
	return true
}

// crosshairIn is the point in sv's display pixels (the centre of its pixel), and whether it
// lies on sv's current slice.
func (p *Planes) crosshairIn(sv *View) (fx, fy float32, ok bool) {
	x, y, s := p.canon.ToPlane(sv.r.Plane(), p.point[0], p.point[1], p.point[2])
	return float32(x) + 0.5, float32(y) + 0.5, s == sv.vp.k
}

func clamp(v, n int) int { return max(0, min(v, n-1)) }
