package ui

// The review's layouts: four panes (axial, coronal, sagittal, 3D; the default), a single axial
// view, and image | truth | prediction side by side; and the maximise key.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
)

// Layouts of the review.
const (
	LayoutFour       = "four-up"      // axial | coronal over sagittal | 3D, linked by a cross-hair
	LayoutSingle     = "single"       // one axial view with every overlay
	LayoutSideBySide = "side-by-side" // image | truth | prediction, linked
)

// Panes of the four-up layout, in the order the grid shows them.
const (
	paneAxial = iota
	paneCoronal
	paneSagittal
	pane3D
	noPane = -1
)

// paneCaptions name the four-up panes on screen.
var paneCaptions = [3]string{"Axial", "Coronal", "Sagittal"}

// showLayout puts the layout of the state in the centre; focus gives the keyboard to the view
// (once the centre is on the window).
func (r *review) showLayout(focus bool) {
	var centre fyne.CanvasObject
	var focusView *sliceview.View
	switch {
	case r.sideBySide:
		if !r.makePanels() {
			r.sideBySide = false
			r.showLayout(focus)
			return
		}
		centre = container.NewGridWithColumns(3, r.panels[0], r.panels[1], r.panels[2])
		focusView = r.panels[0]
		r.bottom.Objects = []fyne.CanvasObject{r.main.Slider(), r.main.Status()}
	case r.fourUp:
		if !r.makePlanes() {
			r.fourUp = false
			r.showLayout(focus)
			return
		}
		panes := r.panes()
		if r.maximised != noPane {
			centre = panes[r.maximised]
		} else {
			centre = container.NewGridWithColumns(2, panes[paneAxial], panes[paneCoronal], panes[paneSagittal], panes[pane3D])
		}
		focusView = r.main
		if r.maximised == paneCoronal || r.maximised == paneSagittal {
			focusView = r.planeViews[r.maximised-1]
		}
		r.bottom.Objects = []fyne.CanvasObject{r.main.Status()}
	default:
		centre = r.main
		focusView = r.main
		r.bottom.Objects = []fyne.CanvasObject{r.main.Slider(), r.main.Status()}
	}
	r.main.Caption = ""
	if r.fourUp && !r.sideBySide {
		r.main.Caption = paneCaptions[paneAxial]
	}
	r.centre.Objects = []fyne.CanvasObject{centre}
	r.centre.Refresh()
	r.bottom.Refresh()
	if focus {
		r.s.win.Canvas().Focus(focusView)
	}
}

// makePanels makes the side-by-side panels on first use; it says whether they are there.
func (r *review) makePanels() bool {
	if r.panels[0] != nil {
		return true
	}
	for i, caption := range []string{"Image", "Truth", "Prediction"} {
		rd, err := viewer.NewRenderer(r.vol)
		if err != nil {
			r.s.showError(err)
			return false
		}
		p := sliceview.NewWithRenderer(rd)
		p.Caption = caption
		p.OnKey = r.handleKey
		r.main.Link(p)
		r.panels[i] = p
	}
	r.apply()
	return true
}

// makePlanes makes the coronal and sagittal views and the 3D view on first use, and links the
// three planes; it says whether they are there.
func (r *review) makePlanes() bool {
	if r.planes != nil {
		return true
	}
	for i, pl := range []scan.Plane{scan.Coronal, scan.Sagittal} {
		rd, err := viewer.NewPlaneRenderer(r.vol, pl)
		if err != nil {
			r.s.showError(err)
			return false
		}
		v := sliceview.NewWithRenderer(rd)
		v.Caption = paneCaptions[i+1]
		v.OnKey = r.handleKey
		v.OnChanged = r.planeChanged
		r.planeViews[i] = v
	}
	r.planes = sliceview.LinkPlanes(r.main, r.planeViews[0], r.planeViews[1])
	r.planes.OnMoved = r.crosshairMoved
	r.crosshairMoved(r.planes.Point())
	if r.editor != nil {
		r.editor.attach(r.planeViews[:]...)
	}
	r.apply()
	return true
}

// panes are the four-up panes: each slice view above its slider, and the 3D view.
func (r *review) panes() [4]fyne.CanvasObject {
	if r.paneObjects[0] == nil {
		pane := func(v *sliceview.View) fyne.CanvasObject {
			return container.NewBorder(nil, v.Slider(), nil, nil, v)
		}
		r.paneObjects = [4]fyne.CanvasObject{pane(r.main), pane(r.planeViews[0]), pane(r.planeViews[1]), r.view3D.content()}
	}
	return r.paneObjects
}

// planeViews are the slice views shown in the current layout that an edit tool works in.
func (r *review) planeViewsShown() []*sliceview.View {
	if r.planes == nil {
		return nil
	}
	return r.planeViews[:]
}

// paneUnderPointer is the four-up pane the pointer is over, noPane when none.
func (r *review) paneUnderPointer() int {
	switch {
	case r.main.PointerIn():
		return paneAxial
	case r.planeViews[0] != nil && r.planeViews[0].PointerIn():
		return paneCoronal
	case r.planeViews[1] != nil && r.planeViews[1].PointerIn():
		return paneSagittal
	case r.view3D != nil && r.view3D.pointerIn:
		return pane3D
	}
	return noPane
}

// toggleMaximise fills the centre with the four-up pane under the pointer, or brings the four
// panes back. From the single layout it goes to the four panes.
func (r *review) toggleMaximise() {
	switch {
	case r.sideBySide:
		return
	case !r.fourUp:
		r.fourUp, r.maximised = true, noPane
	case r.maximised != noPane:
		r.maximised = noPane
	default:
		p := r.paneUnderPointer()
		if p == noPane {
			p = paneAxial
		}
		r.maximised = p
	}
	r.showLayout(true)
	r.apply()
}

// planeChanged follows a slice change in the coronal or sagittal view.
func (r *review) planeChanged() {}

// crosshairMoved shows the planes' new position in the 3D view.
func (r *review) crosshairMoved(point [3]int) {
	if r.view3D != nil {
		r.view3D.setCrosshair(point)
	}
}

// goToSlice shows axial slice k: in the four-up layout through the largest disagreement of the
// slice, the coronal and sagittal views then showing the same error.
func (r *review) goToSlice(k int) {
	if r.planes == nil {
		r.main.SetSlice(k)
		return
	}
	c := r.main.Renderer().AxialCanonical()
	i, j, ok := viewer.LargestError(r.truth, r.pred, c, k)
	if !ok {
		pt := r.planes.Point()
		i, j = pt[0], pt[1]
	}
	r.planes.MoveTo(i, j, k)
}
