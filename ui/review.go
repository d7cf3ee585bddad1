package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
)

// review is the review of one loaded series: the widgets that show its state (reviewState: the
// truth and the prediction, their figures, the overlay choices, the review status), the views,
// the label editor and the background work on them (a model run, a label load). Its fields
// belong to the Fyne goroutine.
type review struct {
	reviewState
	s *session

	main        *sliceview.View
	panels      [3]*sliceview.View // image | truth | prediction, linked to main; made on first use
	planeViews  [2]*sliceview.View // coronal, sagittal: the four-up layout's; made on first use
	planes      *sliceview.Planes  // main and planeViews, linked by a cross-hair
	view3D      *view3DPane        // the four-up layout's 3D view of the surfaces
	paneObjects [4]fyne.CanvasObject
	maximised   int // the four-up pane that fills the centre, noPane when none
	centre      *fyne.Container
	bottom      *fyne.Container // the slider (when not in a pane) and the status line

	editor    *labelEditor       // the label being corrected, nil when not editing
	editBox   *fyne.Container    // the editor's controls in the side panel
	side      *container.AppTabs // the side panel: the review's figures and status, the editor
	reviewTab *container.TabItem
	editTab   *container.TabItem
	retrain   *retrainPanel // the retrain dialog last opened
	afterWork func()        // called once when the running job has ended, however it ended
	work      *work         // the running background work, nil when none
	steps     []func() bool // startup actions still to run (see startup)

	// Widgets kept up to date.
	checks       map[*bool]*widget.Check
	uncSelect    *widget.Select
	volFigures   *widget.Label
	sliceFigures *widget.Label
	list         *widget.List
	listNote     *widget.Label
	truthButton  *widget.Button
	workBox      *fyne.Container
	workLabel    *widget.Label
	workBar      *widget.ProgressBar
	status       *reviewStatus
	help         dialog.Dialog
	syncing      bool // while controls are set from the state, their callbacks do nothing
}

// newReview makes the review of a loaded series around its view.
func newReview(s *session, e *scan.SeriesEntry, sv *sliceview.View) *review {
	look := loadOverlayLook(s.app.Preferences(), overlayLook{truth: viewer.ColorTruth, pred: viewer.ColorPrediction, opacity: 0.45})
	r := &review{
		reviewState: newReviewState(e, sv.Renderer().Volume(), look),
		s:           s, main: sv,
		checks:    map[*bool]*widget.Check{},
		maximised: noPane,
	}
	r.fourUp = s.opts.Layout == LayoutFour
	r.view3D = newView3DPane(r)
	sv.Caption = ""
	sv.OnKey = r.handleKey
	sv.OnChanged = r.sliceChanged
	sv.SetStatusExtra(r.statusExtra)
	return r
}

// content builds the review's screen: toolbar, work bar, views, side panel, slider and status.
func (r *review) content() fyne.CanvasObject {
	run := widget.NewButton("Run model (M)", r.runModel)
	load := widget.NewButton("Load label… (L)", r.chooseTruth)
	r.truthButton = load
	check := func(label string, field *bool) *widget.Check {
		c := widget.NewCheck(label, func(on bool) {
			if !r.syncing && *field != on {
				r.toggle(field)
			}
		})
		c.Checked = *field
		r.checks[field] = c
		return c
	}
	r.uncSelect = widget.NewSelect([]string{"Uncertainty off", "Uncertainty band", "Uncertainty heat"}, func(v string) {
		if r.syncing {
			return
		}
		r.uncertainty = viewer.UncertaintyMode(r.uncSelect.SelectedIndex())
		r.apply()
	})
	r.uncSelect.SetSelectedIndex(int(r.uncertainty))
	colours := widget.NewButton("Colours…", r.chooseColours)
	send := widget.NewButton("Send to PACS…", r.sendToPACS)
	surface := widget.NewButton("Export surface…", r.exportMesh)
	edit := widget.NewButton("Edit label (E)", r.openEditor)
	help := widget.NewButton("Help (H)", r.showHelp)
	toolbar := container.NewHBox(run, load, edit, widget.NewSeparator(),
		check("Truth (T)", &r.showTruth), check("Prediction (P)", &r.showPred),
		check("Difference (D)", &r.difference), check("Side by side (S)", &r.sideBySide),
		r.uncSelect, colours, layout.NewSpacer(), surface, send, help)

	r.workLabel = widget.NewLabel("")
	r.workBar = widget.NewProgressBar()
	cancel := widget.NewButton("Cancel", func() {
		if r.work != nil {
			r.work.cancel()
		}
	})
	r.workBox = container.NewBorder(nil, nil, r.workLabel, cancel, r.workBar)
	r.workBox.Hide()

	r.centre = container.NewStack()
	r.bottom = container.NewVBox()
	r.showLayout(false)

	side := r.sidePanel()
	split := container.NewHSplit(r.centre, side)
	split.Offset = 0.74
	return container.NewBorder(container.NewVBox(toolbar, r.workBox), r.bottom, nil, nil, split)
}

// sidePanel is the figures, the disagreement list and the review status.
func (r *review) sidePanel() fyne.CanvasObject {
	r.volFigures = widget.NewLabel("")
	r.sliceFigures = widget.NewLabel("")
	r.listNote = widget.NewLabel("")
	r.listNote.Wrapping = fyne.TextWrapWord
	r.list = widget.NewList(
		func() int { return len(r.disagree) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(disagreementText(r.disagree[i]))
		})
	r.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(r.disagree) {
			r.disIdx = i
			r.goToSlice(r.disagree[i].Slice)
		}
	}
	r.status = newReviewStatus(r)
	r.editBox = container.NewVBox(widget.NewLabel("Edit label (E) starts correcting the label here."))
	figures := container.NewVBox(
		widget.NewLabelWithStyle("Volume", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), r.volFigures,
		widget.NewLabelWithStyle("This slice", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), r.sliceFigures,
		widget.NewLabelWithStyle("Disagreements, worst first (N / Shift+N)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), r.listNote)
	r.updateFigures()
	r.reviewTab = container.NewTabItem("Review", container.NewBorder(figures, r.status.content(), nil, nil, r.list))
	r.editTab = container.NewTabItem("Edit", container.NewVScroll(r.editBox))
	r.side = container.NewAppTabs(r.reviewTab, r.editTab)
	return r.side
}

// apply gives every view the layers of the state and redraws.
func (r *review) apply() {
	r.mainLayers().set(r.main.Renderer())
	if r.panels[0] != nil {
		for i, l := range r.panelLayers() {
			l.set(r.panels[i].Renderer())
		}
	}
	for _, v := range r.planeViews {
		if v != nil {
			r.mainLayers().set(v.Renderer())
			v.Redraw()
		}
	}
	r.syncControls()
	r.main.Redraw()
	r.view3D.update()
}

// syncControls sets the checks and the select from the state (after a key changed it).
func (r *review) syncControls() {
	r.syncing = true
	defer func() { r.syncing = false }()
	for field, c := range r.checks {
		if c.Checked != *field {
			c.SetChecked(*field)
		}
	}
	if r.uncSelect != nil && r.uncSelect.SelectedIndex() != int(r.uncertainty) {
		r.uncSelect.SetSelectedIndex(int(r.uncertainty))
	}
}

func (r *review) toggle(field *bool) {
	*field = !*field
	if field == &r.sideBySide {
		r.showLayout(true)
	}
	r.apply()
}

func (r *review) toggleSideBySide() { r.toggle(&r.sideBySide) }

func (r *review) cycleMode(m *viewer.Mode) {
	flipMode(m)
	r.apply()
}

func (r *review) cycleUncertainty() {
	r.nextUncertainty()
	r.apply()
}

// opacityKey: '[' more transparent, ']' more opaque.
func (r *review) opacityKey(ru rune) {
	if ru == '[' {
		r.changeOpacity(-0.1)
	} else {
		r.changeOpacity(0.1)
	}
}

func (r *review) changeOpacity(d float64) {
	r.addOpacity(d)
	r.saveLook()
	r.apply()
}

// saveLook keeps the overlay colours and opacity for the next session.
func (r *review) saveLook() {
	saveOverlayLook(r.s.app.Preferences(), r.look())
}

// disagreementKey: n the next slice of the list, N the one before.
func (r *review) disagreementKey(ru rune) {
	if ru == 'N' {
		r.jumpDisagreement(-1)
	} else {
		r.jumpDisagreement(1)
	}
}

// jumpDisagreement selects the next (d 1) or previous (d -1) slice of the disagreement list,
// which moves the view there; the first press selects the worst slice.
func (r *review) jumpDisagreement(d int) {
	i, ok := r.stepDisagreement(r.main.Slice(), d)
	if !ok {
		return
	}
	r.list.Select(i) // calls OnSelected only when i was not selected already
	r.list.ScrollTo(i)
	r.goToSlice(r.disagree[i].Slice)
}

// chooseColours lets the reviewer pick the truth and prediction colours.
func (r *review) chooseColours() {
	pick := func(title string, dst *color.RGBA) {
		d := dialog.NewColorPicker(title, "", func(c color.Color) {
			cr, cg, cb, _ := c.RGBA()
			*dst = color.RGBA{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), 255}
			r.saveLook()
			r.apply()
		}, r.s.win)
		d.Advanced = true
		d.SetColor(*dst)
		d.Show()
	}
	d := dialog.NewCustom("Overlay colours", "Close", container.NewVBox(
		widget.NewButton("Truth colour…", func() { pick("Truth colour", &r.truthColor) }),
		widget.NewButton("Prediction colour…", func() { pick("Prediction colour", &r.predColor) }),
	), r.s.win)
	d.Show()
}

// sliceChanged updates the figures of the current slice.
func (r *review) sliceChanged() { r.updateSliceFigures() }

// setMetrics installs the figures computed (off the Fyne goroutine) for the truth and the
// prediction shown, and shows them with their disagreement list.
func (r *review) setMetrics(m *scan.Metrics) {
	r.takeMetrics(m)
	r.list.UnselectAll()
	r.list.Refresh()
	r.updateFigures()
}

// updateFigures shows the figures of the volume, the disagreement list's note and the figures of
// the current slice.
func (r *review) updateFigures() {
	if text, ok := r.volumeFiguresText(); ok {
		r.volFigures.SetText(text)
	}
	r.listNote.SetText(r.disagreementNote())
	r.updateSliceFigures()
}

func (r *review) updateSliceFigures() {
	if r.sliceFigures == nil {
		return
	}
	r.sliceFigures.SetText(r.sliceFiguresText(r.main.Slice()))
}

// statusExtra ends the status line: the running work, else the last model run.
func (r *review) statusExtra() string {
	if r.work != nil {
		return r.work.what
	}
	return r.modelNote
}
