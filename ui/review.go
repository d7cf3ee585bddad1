package ui

import (
	"fmt"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
)

// Layouts of the review.
const (
	LayoutSingle     = "single"       // one view with every overlay
	LayoutSideBySide = "side-by-side" // image | truth | prediction, linked
)

// review is the review of one loaded series: its views, the truth and the prediction with their
// overlays, the figures and the disagreement list, the review status and the background work on
// them (a model run, a label load). Its fields belong to the Fyne goroutine.
type review struct {
	s     *session
	entry *scan.SeriesEntry
	vol   *scan.Volume

	main       *sliceview.View
	panels     [3]*sliceview.View // image | truth | prediction, linked to main; made on first use
	sideBySide bool
	centre     *fyne.Container

	truth, pred         *scan.Mask
	prob                *scan.Prob
	truthName, predName string
	labelOpts           scan.LabelOptions // the label dialog's last choices
	metrics             *scan.Metrics
	disagree            []scan.SliceMetrics
	disIdx              int

	showTruth, showPred, difference bool
	truthMode, predMode             viewer.Mode // Fill or Outline
	opacity                         float64
	uncertainty                     viewer.UncertaintyMode
	truthColor, predColor           color.RGBA

	editor    *labelEditor       // the label being corrected, nil when not editing
	editBox   *fyne.Container    // the editor's controls in the side panel
	side      *container.AppTabs // the side panel: the review's figures and status, the editor
	reviewTab *container.TabItem
	editTab   *container.TabItem
	retrain   *retrainPanel // the retrain dialog last opened
	afterWork func()        // called once when the running job has ended, however it ended
	modelNote string        // the last model run: model, provider, seconds
	work      *work         // the running background work, nil when none
	steps     []func() bool // startup actions still to run (see startup)
	errors    []string      // errors shown during startup, for the ready file

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
		s: s, entry: e, vol: sv.Renderer().Volume(), main: sv,
		showTruth: true, showPred: true,
		truthMode: viewer.Fill, predMode: viewer.Fill,
		opacity:     look.opacity,
		uncertainty: viewer.UncertaintyOff,
		truthColor:  look.truth, predColor: look.pred,
		checks: map[*bool]*widget.Check{},
	}
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
	edit := widget.NewButton("Edit label (E)", r.openEditor)
	help := widget.NewButton("Help (H)", r.showHelp)
	toolbar := container.NewHBox(run, load, edit, widget.NewSeparator(),
		check("Truth (T)", &r.showTruth), check("Prediction (P)", &r.showPred),
		check("Difference (D)", &r.difference), check("Side by side (S)", &r.sideBySide),
		r.uncSelect, colours, layout.NewSpacer(), send, help)

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
	r.showLayout(false)

	bottom := container.NewVBox(r.main.Slider(), r.main.Status())
	side := r.sidePanel()
	split := container.NewHSplit(r.centre, side)
	split.Offset = 0.74
	return container.NewBorder(container.NewVBox(toolbar, r.workBox), bottom, nil, nil, split)
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
			r.main.SetSlice(r.disagree[i].Slice)
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

// showLayout puts the single view or the three linked panels in the centre; focus gives the
// keyboard to the view (once the centre is on the window).
func (r *review) showLayout(focus bool) {
	if !r.sideBySide {
		r.centre.Objects = []fyne.CanvasObject{r.main}
		r.centre.Refresh()
		if focus {
			r.s.win.Canvas().Focus(r.main)
		}
		return
	}
	if r.panels[0] == nil {
		for i, caption := range []string{"Image", "Truth", "Prediction"} {
			rd, err := viewer.NewRenderer(r.vol)
			if err != nil {
				r.s.showError(err)
				r.sideBySide = false
				r.showLayout(focus)
				return
			}
			p := sliceview.NewWithRenderer(rd)
			p.Caption = caption
			p.OnKey = r.handleKey
			r.main.Link(p)
			r.panels[i] = p
		}
		r.apply()
	}
	r.centre.Objects = []fyne.CanvasObject{container.NewGridWithColumns(3, r.panels[0], r.panels[1], r.panels[2])}
	r.centre.Refresh()
	if focus {
		r.s.win.Canvas().Focus(r.panels[0])
	}
}

// apply gives every view the overlay settings and redraws.
func (r *review) apply() {
	ov := func(m *scan.Mask, on bool, mode viewer.Mode, c color.RGBA) viewer.Overlay {
		if !on || m == nil {
			return viewer.Overlay{}
		}
		return viewer.Overlay{Mask: m, Mode: mode, Color: c, Opacity: r.opacity}
	}
	mr := r.main.Renderer()
	mr.Truth = ov(r.truth, r.showTruth, r.truthMode, r.truthColor)
	mr.Prediction = ov(r.pred, r.showPred, r.predMode, r.predColor)
	mr.Difference = viewer.Difference{
		Enabled: r.difference && r.truth != nil && r.pred != nil,
		Agree:   viewer.ColorAgree, FalsePositive: viewer.ColorFalsePositive, FalseNegative: viewer.ColorFalseNegative,
		Opacity: r.opacity,
	}
	mr.Uncertainty = viewer.Uncertainty{Prob: r.prob, Mode: r.uncertainty, Color: viewer.ColorUncertain, Opacity: r.opacity}
	if r.prob == nil {
		mr.Uncertainty.Mode = viewer.UncertaintyOff
	}
	if r.panels[0] != nil {
		r.panels[0].Renderer().Truth, r.panels[0].Renderer().Prediction = viewer.Overlay{}, viewer.Overlay{}
		r.panels[1].Renderer().Truth = ov(r.truth, true, r.truthMode, r.truthColor)
		r.panels[1].Renderer().Prediction = viewer.Overlay{}
		r.panels[2].Renderer().Truth = viewer.Overlay{}
		r.panels[2].Renderer().Prediction = ov(r.pred, true, r.predMode, r.predColor)
	}
	r.syncControls()
	r.main.Redraw()
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
	if *m == viewer.Fill {
		*m = viewer.Outline
	} else {
		*m = viewer.Fill
	}
	r.apply()
}

func (r *review) cycleUncertainty() {
	r.uncertainty = (r.uncertainty + 1) % 3
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
	r.opacity = math.Round(math.Max(0.1, math.Min(1, r.opacity+d))*10) / 10
	r.saveLook()
	r.apply()
}

// saveLook keeps the overlay colours and opacity for the next session.
func (r *review) saveLook() {
	saveOverlayLook(r.s.app.Preferences(), overlayLook{truth: r.truthColor, pred: r.predColor, opacity: r.opacity})
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
	if len(r.disagree) == 0 {
		return
	}
	i := r.disIdx + d
	if r.main.Slice() != r.disagree[r.disIdx].Slice {
		i = r.disIdx // not on a listed slice yet: go to the current entry first
	}
	i = max(0, min(i, len(r.disagree)-1))
	r.disIdx = i
	r.list.Select(i) // calls OnSelected only when i was not selected already
	r.list.ScrollTo(i)
	r.main.SetSlice(r.disagree[i].Slice)
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

// setLabels installs a new truth or prediction with the figures computed for them (off the
// Fyne goroutine) and redraws.
func (r *review) setMetrics(m *scan.Metrics) {
	r.metrics = m
	r.disagree = nil
	r.disIdx = 0
	if m != nil {
		r.disagree = m.Disagreements()
	}
	r.list.UnselectAll()
	r.list.Refresh()
	r.updateFigures()
}

func (r *review) updateFigures() {
	switch {
	case r.truth == nil && r.pred == nil:
		r.volFigures.SetText("Run the model (M) and load a truth (L)\nto see Dice, IoU, mIoU and mPA.")
	case r.truth == nil:
		r.volFigures.SetText(fmt.Sprintf("prediction %s\n%.1f ml\nLoad a truth (L) to score it.", r.predName, scan.VolumeML(r.pred, r.vol.VoxelVolumeML())))
	case r.pred == nil:
		r.volFigures.SetText(fmt.Sprintf("truth %s\n%.1f ml\nRun the model (M) to score it.", r.truthName, scan.VolumeML(r.truth, r.vol.VoxelVolumeML())))
	case r.metrics != nil:
		m := r.metrics
		r.volFigures.SetText(fmt.Sprintf("Dice %.4f   IoU %.4f\nmIoU %.4f   mPA %.4f\ntruth %.1f ml   prediction %.1f ml",
			m.Dice, m.IoU, m.MIoU, m.MPA, m.TruthML, m.PredML))
	}
	switch {
	case r.metrics == nil:
		r.listNote.SetText("")
	case len(r.disagree) == 0:
		r.listNote.SetText("Truth and prediction agree on every slice.")
	default:
		r.listNote.SetText(fmt.Sprintf("%d slices differ.", len(r.disagree)))
	}
	r.updateSliceFigures()
}

func (r *review) updateSliceFigures() {
	if r.sliceFigures == nil {
		return
	}
	k := r.main.Slice()
	if r.metrics == nil || k >= len(r.metrics.Slices) {
		r.sliceFigures.SetText(fmt.Sprintf("slice %d: no figures yet", k+1))
		return
	}
	s := r.metrics.Slices[k]
	r.sliceFigures.SetText(fmt.Sprintf("slice %d: Dice %.4f   IoU %.4f\nmIoU %.4f   mPA %.4f\nfalse positive %d   false negative %d",
		k+1, s.Dice, s.IoU, s.MIoU, s.MPA, s.FalsePos, s.FalseNeg))
}

// disagreementText is a line of the disagreement list (slices numbered from 1, as the status
// line numbers them).
func disagreementText(s scan.SliceMetrics) string {
	return fmt.Sprintf("slice %d: %d voxels (FP %d, FN %d), Dice %.3f", s.Slice+1, s.FalsePos+s.FalseNeg, s.FalsePos, s.FalseNeg, s.Dice)
}

// statusExtra ends the status line: the running work, else the last model run.
func (r *review) statusExtra() string {
	if r.work != nil {
		return r.work.what
	}
	return r.modelNote
}
