package ui

// The review's state apart from its widgets: what is reviewed and how it is shown. Nothing here
// imports Fyne; the widgets (review.go, reviewstatus.go) read it and the renderers get its
// layers.

import (
	"fmt"
	"image/color"
	"math"

	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/viewer"
	"liverseg/workspace"
)

// reviewState is what one review is about: the series, its case and review status in the
// workspace, the truth and the prediction with their figures and disagreement list, the overlay
// choices, and the notes the status line and the ready file give. The current slice is the slice
// view's (its slider and keys move it): the methods that need it take it. It belongs to the Fyne
// goroutine, as the review that holds it.
type reviewState struct {
	entry *scan.SeriesEntry
	vol   *scan.Volume

	caseID   string            // the series' case in the workspace, "" until known
	reviewed *workspace.Review // the case's review status, as last read or saved

	truth, pred         *scan.Mask
	prob                *scan.Prob
	truthName, predName string
	labelOpts           labels.Options // the label dialog's last choices
	metrics             *scan.Metrics
	disagree            []scan.SliceMetrics // slices where truth and prediction differ, worst first
	disIdx              int                 // the entry of disagree last gone to

	showTruth, showPred, difference bool
	sideBySide                      bool        // image | truth | prediction, linked
	fourUp                          bool        // axial, coronal, sagittal and 3D (when not side by side)
	truthMode, predMode             viewer.Mode // Fill or Outline
	opacity                         float64
	uncertainty                     viewer.UncertaintyMode
	truthColor, predColor           color.RGBA

	modelNote string   // the last model run (model, provider, seconds) or another last note
	errors    []string // errors shown during startup, for the ready file
}

// newReviewState is the state of a series just loaded: both overlays on and filled, in the
// colours and the opacity the reviewer chose last (look).
func newReviewState(e *scan.SeriesEntry, vol *scan.Volume, look overlayLook) reviewState {
	return reviewState{
		entry: e, vol: vol,
		showTruth: true, showPred: true,
		truthMode: viewer.Fill, predMode: viewer.Fill,
		opacity:     look.opacity,
		uncertainty: viewer.UncertaintyOff,
		truthColor:  look.truth, predColor: look.pred,
	}
}

// look is what the preferences keep of the overlays.
func (st *reviewState) look() overlayLook {
	return overlayLook{truth: st.truthColor, pred: st.predColor, opacity: st.opacity}
}

// layers is what one view's renderer draws over the slice.
type layers struct {
	truth, pred viewer.Overlay
	difference  viewer.Difference
	uncertainty viewer.Uncertainty
}

// set gives rd the layers (they show at its next render).
func (l layers) set(rd *viewer.Renderer) {
	rd.Truth, rd.Prediction, rd.Difference, rd.Uncertainty = l.truth, l.pred, l.difference, l.uncertainty
}

// overlay is mask m drawn as mode in colour c at the review's opacity; nothing when off or
// absent.
func (st *reviewState) overlay(m *scan.Mask, on bool, mode viewer.Mode, c color.RGBA) viewer.Overlay {
	if !on || m == nil {
		return viewer.Overlay{}
	}
	return viewer.Overlay{Mask: m, Mode: mode, Color: c, Opacity: st.opacity}
}

// mainLayers are the single view's: every overlay switched on.
func (st *reviewState) mainLayers() layers {
	l := layers{
		truth: st.overlay(st.truth, st.showTruth, st.truthMode, st.truthColor),
		pred:  st.overlay(st.pred, st.showPred, st.predMode, st.predColor),
		difference: viewer.Difference{
			Enabled: st.difference && st.truth != nil && st.pred != nil,
			Agree:   viewer.ColorAgree, FalsePositive: viewer.ColorFalsePositive, FalseNegative: viewer.ColorFalseNegative,
			Opacity: st.opacity,
		},
		uncertainty: viewer.Uncertainty{Prob: st.prob, Mode: st.uncertainty, Color: viewer.ColorUncertain, Opacity: st.opacity},
	}
	if st.prob == nil {
		l.uncertainty.Mode = viewer.UncertaintyOff
	}
	return l
}

// panelLayers are the side-by-side panels': the image bare, the truth alone, the prediction
// alone (each shown whatever the switches of the single view say).
func (st *reviewState) panelLayers() [3]layers {
	return [3]layers{
		{},
		{truth: st.overlay(st.truth, true, st.truthMode, st.truthColor)},
		{pred: st.overlay(st.pred, true, st.predMode, st.predColor)},
	}
}

// layout is the review's layout, as Options and the ready file name it.
func (st *reviewState) layout() string {
	switch {
	case st.sideBySide:
		return LayoutSideBySide
	case st.fourUp:
		return LayoutFour
	}
	return LayoutSingle
}

// flipMode switches an overlay between fill and outline.
func flipMode(m *viewer.Mode) {
	if *m == viewer.Fill {
		*m = viewer.Outline
	} else {
		*m = viewer.Fill
	}
}

// nextUncertainty cycles the uncertainty display: off, band, heat.
func (st *reviewState) nextUncertainty() { st.uncertainty = (st.uncertainty + 1) % 3 }

// addOpacity changes the overlays' opacity by d, kept within 0.1..1 in tenths.
func (st *reviewState) addOpacity(d float64) {
	st.opacity = math.Round(math.Max(0.1, math.Min(1, st.opacity+d))*10) / 10
}

// takeMetrics installs the figures of the truth and prediction shown (nil: none) and their
// disagreement list, from its worst slice.
func (st *reviewState) takeMetrics(m *scan.Metrics) {
	st.metrics = m
	st.disagree = nil
	st.disIdx = 0
	if m != nil {
		st.disagree = m.Disagreements()
	}
}

// stepDisagreement moves d entries along the disagreement list (1 next, -1 previous) from the
// view's slice current and says which entry it is now; the first step from off the list goes to
// the current entry. ok is false when the list is empty.
func (st *reviewState) stepDisagreement(current, d int) (i int, ok bool) {
	if len(st.disagree) == 0 {
		return 0, false
	}
	i = st.disIdx + d
	if current != st.disagree[st.disIdx].Slice {
		i = st.disIdx // not on a listed slice yet: go to the current entry first
	}
	i = max(0, min(i, len(st.disagree)-1))
	st.disIdx = i
	return i, true
}

// volumeFiguresText is the text of the whole volume's figures, or what to do to get them; ok is false
// while both labels are there but their figures are being computed (the text shown stays).
func (st *reviewState) volumeFiguresText() (text string, ok bool) {
	switch {
	case st.truth == nil && st.pred == nil:
		return "Run the model (M) and load a truth (L)\nto see Dice, IoU, mIoU, mPA\nand the surface distances (HD95, ASSD, NSD).", true
	case st.truth == nil:
		return fmt.Sprintf("prediction %s\n%.1f ml\nLoad a truth (L) to score it.", st.predName, scan.VolumeML(st.pred, st.vol.VoxelVolumeML())), true
	case st.pred == nil:
		return fmt.Sprintf("truth %s\n%.1f ml\nRun the model (M) to score it.", st.truthName, scan.VolumeML(st.truth, st.vol.VoxelVolumeML())), true
	case st.metrics != nil:
		m := st.metrics
		text := fmt.Sprintf("Dice %.4f   IoU %.4f\nmIoU %.4f   mPA %.4f\ntruth %.1f ml   prediction %.1f ml",
			m.Dice, m.IoU, m.MIoU, m.MPA, m.TruthML, m.PredML)
		if sf := surfaceFiguresText(m.SurfaceFigures); sf != "" {
			text += "\n" + sf
		}
		return text, true
	}
	return "", false
}

// disagreementNote heads the disagreement list.
func (st *reviewState) disagreementNote() string {
	switch {
	case st.metrics == nil:
		return ""
	case len(st.disagree) == 0:
		return "Truth and prediction agree on every slice."
	}
	return fmt.Sprintf("%d slices differ.", len(st.disagree))
}

// sliceFiguresText is the text of slice k's figures.
func (st *reviewState) sliceFiguresText(k int) string {
	if st.metrics == nil || k >= len(st.metrics.Slices) {
		return fmt.Sprintf("slice %d: no figures yet", k+1)
	}
	s := st.metrics.Slices[k]
	return fmt.Sprintf("slice %d: Dice %.4f   IoU %.4f\nmIoU %.4f   mPA %.4f\nfalse positive %d   false negative %d",
		k+1, s.Dice, s.IoU, s.MIoU, s.MPA, s.FalsePos, s.FalseNeg)
}

// disagreementText is a line of the disagreement list (slices numbered from 1, as the status
// line numbers them).
func disagreementText(s scan.SliceMetrics) string {
	return fmt.Sprintf("slice %d: %d voxels (FP %d, FN %d), Dice %.3f", s.Slice+1, s.FalsePos+s.FalseNeg, s.FalsePos, s.FalseNeg, s.Dice)
}
