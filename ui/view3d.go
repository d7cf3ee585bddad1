package ui

// The four-up layout's 3D pane: the surfaces of the truth (or the label being edited) and the
// prediction, drawn by viewer/view3d, the prediction coloured by its signed distance to the
// truth; the three planes' positions; drag to turn, wheel to zoom, double click to reset, a
// click on a surface moves the planes there.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"runtime/debug"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"liverseg/mesh"
	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer/view3d"
)

// Surface names in the 3D scene.
const (
	surfaceTruth = "truth" // the truth, or the label being edited
	surfaceRef   = "reference"
	surfacePred  = "prediction"
)

// truthSurfaceColor is the reference's surface: a neutral, translucent tissue colour, so the
// prediction's distance colours show through it.
var truthSurfaceColor = color.RGBA{R: 225, G: 215, B: 195, A: 255}

// referenceSurfaceColor is the reference truth's while a label is edited: a cool tint, apart from
// the label's.
var referenceSurfaceColor = color.RGBA{R: 150, G: 190, B: 235, A: 255}

// surfaceInput is what one background build of the surfaces starts from: the truth (or the
// label being edited, as a copy), the prediction and, while editing, the reference truth the
// label started beside; the meshes of masks that did not change since the last build are
// reused (a brush stroke rebuilds the label's surface and the distances only).
type surfaceInput struct {
	truth, pred, reference *scan.Mask
	predMesh, refMesh      *mesh.Mesh // already built of pred and reference, or nil
	gen                    int        // the pane's change counter when the input was taken
}

// surfaces is what a build gives: the display meshes (nil for no mask or an empty one) and the
// prediction's signed distances to the truth (nil without both).
type surfaces struct {
	truth, pred, reference *mesh.Mesh
	dist                   []float32
}

// builtMesh is a mask's display mesh, kept while the mask is shown.
type builtMesh struct {
	mask *scan.Mask
	mesh *mesh.Mesh
}

// view3DPane is the 3D pane: a widget showing the view's image, the distance legend and a
// note (no liver, building, an error). Its fields belong to the Fyne goroutine; the builds run
// in the session's jobs and hand their surfaces back through s.do.
type view3DPane struct {
	widget.BaseWidget
	r      *review
	view   *view3d.View
	img    *image.RGBA
	raster *canvas.Raster
	legend *canvas.Image
	note   *canvas.Text
	framed bool // the camera was framed on the first surfaces

	pointerIn  bool
	hold       bool       // the startup's jobs run first: no build until its wait step
	lastTruth  *scan.Mask // the masks the scene shows (or is being built from)
	lastPred   *scan.Mask
	lastRef    *scan.Mask
	predBuilt  builtMesh // the prediction's mesh in the scene
	refBuilt   builtMesh // the reference truth's, while editing
	gen        int       // counts changes of the masks shown (edits included)
	built      int       // gen of the surfaces in the scene
	building   bool      // a build is running
	whenBuilt  []func()  // called once the scene is up to date (the startup's ready file)
	distColour bool      // the prediction is coloured by distance (there is a truth)
	err        error
}

func newView3DPane(r *review) *view3DPane {
	p := &view3DPane{r: r, view: view3d.NewView(nil)}
	p.raster = canvas.NewRaster(p.draw)
	p.legend = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 90, 150)))
	p.legend.FillMode = canvas.ImageFillOriginal
	p.legend.Hide()
	p.note = canvas.NewText("", color.NRGBA{R: 230, G: 230, B: 230, A: 255})
	p.note.TextSize = 14
	p.ExtendBaseWidget(p)
	return p
}

// content is the pane as the layout shows it.
func (p *view3DPane) content() fyne.CanvasObject { return p }

// draw renders the scene at the raster's pixel size.
func (p *view3DPane) draw(w, h int) image.Image {
	if w <= 0 || h <= 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	if p.img == nil || p.img.Rect.Dx() != w || p.img.Rect.Dy() != h {
		p.img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	if !p.framed && !p.view.Scene.Empty() {
		p.resetCamera()
		p.framed = true
	}
	p.view.Render(p.img)
	return p.img
}

// update follows the review's masks: a new truth or prediction rebuilds the surfaces in the
// background. It does nothing outside the four-up layout (nothing is built until it shows).
func (p *view3DPane) update() {
	r := p.r
	if r.planes == nil {
		return
	}
	ref := p.reference()
	if r.truth != p.lastTruth || r.pred != p.lastPred || ref != p.lastRef {
		p.lastTruth, p.lastPred, p.lastRef = r.truth, r.pred, ref
		p.gen++
	}
	p.build()
}

// labelChanged says the label being edited changed: its surface is built again (once the build
// running now, if any, ends).
func (p *view3DPane) labelChanged() {
	p.gen++
	p.build()
}

// build starts a background build of the surfaces when they are behind the masks and neither a
// build nor the review's job runs.
func (p *view3DPane) build() {
	if p.building || p.built == p.gen {
		p.finishWaits()
		return
	}
	r := p.r
	if r.work != nil || p.hold {
		// After the running job (a model run, a load) and the startup's jobs: their memory peaks
		// and the build's do not add up. The job's end (or the startup's wait) builds.
		return
	}
	in := surfaceInput{truth: r.truth, pred: r.pred, reference: p.reference(), gen: p.gen}
	if p.predBuilt.mask == in.pred {
		in.predMesh = p.predBuilt.mesh
	}
	if p.refBuilt.mask == in.reference {
		in.refMesh = p.refBuilt.mesh
	}
	if r.editor != nil && in.truth == r.editor.ed.Mask() {
		// The editor changes its mask on this goroutine while the build reads it: build from a
		// copy (the liver's rectangles only).
		in.truth = in.truth.Clone()
	}
	vol := r.vol
	p.building = true
	p.setNote("building the surfaces…")
	_, err := r.s.jobs.Go(func(ctx context.Context) {
		out, err := buildSurfaces(ctx, vol, in)
		// The build's scratch (distance fields of the liver's box) goes back to the system now,
		// as a job's does, before the next peak lands on top of it.
		debug.FreeOSMemory()
		r.s.do(func() { p.installSurfaces(in, out, err) })
	})
	if err != nil {
		p.building = false
		p.setNote(err.Error())
	}
}

// reference is the truth the label being edited started beside, shown in 3D while editing
// (in 2D the label takes its place); nil when not editing or without one.
func (p *view3DPane) reference() *scan.Mask {
	if le := p.r.editor; le != nil && le.prevTruth != nil && le.prevTruth != p.r.truth {
		return le.prevTruth
	}
	return nil
}

// buildSurfaces makes the display meshes of the masks not built yet and the prediction's
// distances to the truth. A nil mask or an empty one gives no mesh (and no error).
func buildSurfaces(ctx context.Context, vol *scan.Volume, in surfaceInput) (out surfaces, err error) {
	build := func(m *scan.Mask, what string) (*mesh.Mesh, error) {
		if m == nil || ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s, err := mesh.Build(m, vol, mesh.ForDisplay())
		if errors.Is(err, mesh.ErrEmpty) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("3D surface of the %s: %w", what, err)
		}
		return s, nil
	}
	err = guarded(func() error {
		var e error
		if out.truth, e = build(in.truth, "truth"); e != nil {
			return e
		}
		out.pred, out.reference = in.predMesh, in.refMesh
		if out.pred == nil {
			if out.pred, e = build(in.pred, "prediction"); e != nil {
				return e
			}
		}
		if out.reference == nil {
			if out.reference, e = build(in.reference, "reference truth"); e != nil {
				return e
			}
		}
		if out.pred != nil && out.truth != nil {
			if out.dist, e = mesh.SignedDistance(out.pred, in.truth, vol); e != nil {
				return fmt.Errorf("distances of the prediction to the truth: %w", e)
			}
		}
		return ctx.Err()
	})
	return out, err
}

// installSurfaces puts a build's surfaces in the scene, and starts the next build when the
// masks changed meanwhile.
func (p *view3DPane) installSurfaces(in surfaceInput, out surfaces, err error) {
	p.building = false
	p.built = in.gen
	p.err = err
	if err != nil && !errors.Is(err, context.Canceled) {
		p.r.errors = append(p.r.errors, errorText(err))
	}
	if err == nil {
		p.predBuilt = builtMesh{mask: in.pred, mesh: out.pred}
		p.refBuilt = builtMesh{mask: in.reference, mesh: out.reference}
		p.err = p.setSurfaces(out)
	}
	p.showLegend()
	p.refreshNote()
	p.raster.Refresh()
	p.build() // the masks may have changed while this build ran
}

// setSurfaces shows a build's meshes: the truth (or the label being edited) translucent, the
// reference truth fainter, the prediction opaque, coloured by its distance to the truth.
func (p *view3DPane) setSurfaces(out surfaces) error {
	sc := p.view.Scene
	set := func(name string, m *mesh.Mesh, s view3d.Surface) error {
		if m == nil {
			sc.Remove(name)
			return nil
		}
		s.Mesh, s.Normals = m, m.Normals()
		return sc.Set(name, s)
	}
	predLook := view3d.Surface{Color: p.r.predColor, Opacity: 1}
	if out.pred != nil && out.dist != nil {
		predLook.Colors = view3d.DistanceScale{}.Colors(nil, out.dist)
	}
	p.distColour = predLook.Colors != nil
	return errors.Join(
		set(surfaceTruth, out.truth, view3d.Surface{Color: truthSurfaceColor, Opacity: 0.35}),
		set(surfaceRef, out.reference, view3d.Surface{Color: referenceSurfaceColor, Opacity: 0.2}),
		set(surfacePred, out.pred, predLook))
}

// finishWaits calls what waited for the scene to be up to date.
func (p *view3DPane) finishWaits() {
	if p.building || p.built != p.gen {
		return
	}
	ws := p.whenBuilt
	p.whenBuilt = nil
	for _, f := range ws {
		f()
	}
}

// afterBuild calls f once the surfaces are up to date; it says whether it had to wait.
func (p *view3DPane) afterBuild(f func()) bool {
	if !p.building && p.built == p.gen {
		return false
	}
	p.whenBuilt = append(p.whenBuilt, f)
	return true
}

// showLegend draws the distance scale beside the surfaces when the prediction is coloured.
func (p *view3DPane) showLegend() {
	if !p.distColour {
		p.legend.Hide()
		return
	}
	img := image.NewRGBA(image.Rect(0, 0, 90, 150))
	if err := (view3d.DistanceScale{}).Legend(img, view3d.DefaultBackground); err != nil {
		p.legend.Hide()
		return
	}
	p.legend.Image = img
	p.legend.Show()
	p.legend.Refresh()
}

// refreshNote says what the pane cannot show.
func (p *view3DPane) refreshNote() {
	switch {
	case p.err != nil:
		p.setNote(p.err.Error())
	case p.building:
		p.setNote("building the surfaces…")
	case p.view.Scene.Empty() && p.lastTruth == nil && p.lastPred == nil:
		p.setNote("3D: load a truth (L) or run the model (M)")
	case p.view.Scene.Empty():
		p.setNote("no liver: the masks are empty")
	default:
		p.setNote("")
	}
}

func (p *view3DPane) setNote(s string) {
	p.note.Text = s
	p.note.Refresh()
	p.Refresh()
}

// setCrosshair shows the three planes through canonical voxel point.
func (p *view3DPane) setCrosshair(point [3]int) {
	vol := p.r.vol
	c := p.r.main.Renderer().AxialCanonical()
	marks := make([]view3d.PlaneMark, 0, 3)
	for _, pl := range scan.Planes {
		_, _, s := c.ToPlane(pl, point[0], point[1], point[2])
		corners, err := view3d.PlaneCorners(vol, pl, s)
		if err != nil {
			continue
		}
		marks = append(marks, view3d.PlaneMark{Corners: corners, Color: sliceview.PlaneColor(pl)})
	}
	p.view.Planes = marks
	p.raster.Refresh()
}

// pixel maps a position in the pane to a pixel of the rendered image.
func (p *view3DPane) pixel(pos fyne.Position) (x, y int, ok bool) {
	size := p.Size()
	if p.img == nil || size.Width <= 0 || size.Height <= 0 {
		return 0, 0, false
	}
	x = int(float64(pos.X) / float64(size.Width) * float64(p.img.Rect.Dx()))
	y = int(float64(pos.Y) / float64(size.Height) * float64(p.img.Rect.Dy()))
	return x, y, true
}

// Dragged turns the scene.
func (p *view3DPane) Dragged(ev *fyne.DragEvent) {
	p.view.Camera.Rotate(float64(ev.Dragged.DX), float64(ev.Dragged.DY))
	p.raster.Refresh()
}

// DragEnd is part of fyne.Draggable.
func (p *view3DPane) DragEnd() {}

// Scrolled zooms.
func (p *view3DPane) Scrolled(ev *fyne.ScrollEvent) {
	p.view.Camera.ZoomBy(float64(ev.Scrolled.DY) / 25)
	p.raster.Refresh()
}

// Tapped moves the planes to the surface point clicked.
func (p *view3DPane) Tapped(ev *fyne.PointEvent) {
	x, y, ok := p.pixel(ev.Position)
	if !ok || p.r.planes == nil {
		return
	}
	if lps, hit := p.view.Pick(x, y); hit {
		p.r.planes.MoveToPosition(lps)
	}
}

// DoubleTapped turns the camera back to the anterior view.
func (p *view3DPane) DoubleTapped(*fyne.PointEvent) {
	p.resetCamera()
	p.raster.Refresh()
}

// resetCamera frames the surfaces from the front, a step back from the tightest fit so that
// the legend and the pane's edges leave the liver whole.
func (p *view3DPane) resetCamera() {
	p.view.Reset()
	p.view.Camera.ZoomBy(-1)
}

// MouseIn, MouseMoved and MouseOut track the pointer for the maximise key.
func (p *view3DPane) MouseIn(*desktop.MouseEvent)    { p.pointerIn = true }
func (p *view3DPane) MouseMoved(*desktop.MouseEvent) {}
func (p *view3DPane) MouseOut()                      { p.pointerIn = false }

// MinSize is small; the pane grows with its window.
func (p *view3DPane) MinSize() fyne.Size { return fyne.NewSize(128, 128) }

// CreateRenderer is part of fyne.Widget.
func (p *view3DPane) CreateRenderer() fyne.WidgetRenderer {
	caption := canvas.NewText("3D", color.NRGBA{R: 230, G: 230, B: 230, A: 255})
	caption.TextStyle = fyne.TextStyle{Bold: true}
	return &view3DRenderer{p: p, caption: caption}
}

type view3DRenderer struct {
	p       *view3DPane
	caption *canvas.Text
}

func (vr *view3DRenderer) Layout(size fyne.Size) {
	p := vr.p
	p.raster.Resize(size)
	p.raster.Move(fyne.NewPos(0, 0))
	const pad = 4
	vr.caption.Resize(vr.caption.MinSize())
	vr.caption.Move(fyne.NewPos(pad, pad))
	ls := fyne.NewSize(90, 150)
	p.legend.Resize(ls)
	p.legend.Move(fyne.NewPos(size.Width-ls.Width-pad, float32(math.Max(pad, float64(size.Height-ls.Height-pad)))))
	ns := p.note.MinSize()
	p.note.Resize(ns)
	p.note.Move(fyne.NewPos((size.Width-ns.Width)/2, (size.Height-ns.Height)/2))
}

func (vr *view3DRenderer) MinSize() fyne.Size { return vr.p.MinSize() }

func (vr *view3DRenderer) Refresh() {
	vr.Layout(vr.p.Size())
	canvas.Refresh(vr.p.raster)
	vr.p.note.Refresh()
}

func (vr *view3DRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{vr.p.raster, vr.p.legend, vr.p.note, vr.caption}
}

func (vr *view3DRenderer) Destroy() {}

var (
	_ fyne.Draggable      = (*view3DPane)(nil)
	_ fyne.Scrollable     = (*view3DPane)(nil)
	_ fyne.Tappable       = (*view3DPane)(nil)
	_ fyne.DoubleTappable = (*view3DPane)(nil)
	_ desktop.Hoverable   = (*view3DPane)(nil)
)
