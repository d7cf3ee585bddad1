package ui

// The screen of a series whose slices are still loading (scan.LoadProgressive): the axial view
// of the slices read so far, from the first one read (the middle), with the load's progress and
// Cancel above it; in the four-up layout the panes that read across every slice (coronal,
// sagittal, 3D) say they wait for them. The review itself (its labels, the model, the figures,
// the other planes) starts only once every slice is in, so that nothing but the view's own
// slice reads the volume while the workers still write it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"liverseg/internal/atomicfile"
	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
)

// loadingView is the screen of a series still loading.
type loadingView struct {
	sv    *sliceview.View
	l     *scan.Loading
	label *widget.Label       // "Loading NAME: 312 of 1000 slices"
	bar   *widget.ProgressBar // the load's progress
	btn   *widget.Button      // Cancel
	waits []*widget.Label     // the panes shown once every slice is in
	top   *fyne.Container     // the label, the bar and Cancel
	notes *widget.Label       // the slices that could not be read, once the load ended
}

// firstSlice is the stored slice the view shows first: the middle slice of the axial view.
func firstSlice(e *scan.SeriesEntry) int {
	c := scan.NewCanonical(e.Dims, e.Spacing, e.Direction)
	return c.Offset(c.Dims[0]/2, c.Dims[1]/2, c.Dims[2]/2) / (e.Dims[0] * e.Dims[1])
}

// showLoading shows the first slice of a series still loading, with the load's progress.
func (s *session) showLoading(e *scan.SeriesEntry, r *viewer.Renderer, l *scan.Loading, label *widget.Label, bar *widget.ProgressBar, btn *widget.Button) {
	sv := sliceview.NewProgressive(r, l)
	lv := &loadingView{sv: sv, l: l, label: label, bar: bar, btn: btn}
	s.loading, s.view = lv, sv
	lv.top = container.NewVBox(container.NewBorder(nil, nil, nil, btn, label), bar)
	lv.notes = widget.NewLabel("")
	lv.notes.Wrapping = fyne.TextWrapWord
	lv.notes.Hide()
	pane := container.NewBorder(nil, sv.Slider(), nil, nil, sv)
	centre := fyne.CanvasObject(pane)
	layout := s.opts.Layout
	if s.next != nil {
		layout = s.next.Layout
	}
	if layout == LayoutFour {
		sv.Caption = paneCaptions[paneAxial]
		panes := []fyne.CanvasObject{pane}
		for _, name := range []string{paneCaptions[paneCoronal], paneCaptions[paneSagittal], "3D"} {
			w := widget.NewLabel(name + ": shown once every slice is loaded")
			w.Wrapping = fyne.TextWrapWord
			w.Alignment = fyne.TextAlignCenter
			lv.waits = append(lv.waits, w)
			bg := canvas.NewRectangle(backgroundOfWaiting)
			panes = append(panes, container.NewStack(bg, container.NewCenter(w)))
		}
		centre = container.NewGridWithColumns(2, panes...)
	}
	s.setRight(container.NewBorder(container.NewVBox(lv.top, lv.notes), sv.Status(), nil, nil, centre))
	if s.split != nil {
		s.split.SetOffset(0.14)
	}
	s.win.SetTitle(fmt.Sprintf("liverseg — %s — %s", seriesCell(e, 0), seriesCell(e, 2)))
	s.win.Canvas().Focus(sv)
	if s.opts.FirstImageFile != "" {
		if err := writeFirstImage(s.opts.FirstImageFile, e, sv); err != nil {
			s.showError(err)
		}
	}
	if s.hooks.onFirstImage != nil {
		s.hooks.onFirstImage(sv)
	}
}

// backgroundOfWaiting is the fill of a pane waiting for the whole series: the flat colour the
// slice view shows in place of a slice not read yet.
var backgroundOfWaiting = color.NRGBA{R: 28, G: 32, B: 48, A: 255}

// failed shows on the loading screen that the load ended with slices that could not be read:
// which (the view's slice numbers, each with its file and reason); the slices read stay on show,
// and the panes and the review that need every slice are not started.
func (lv *loadingView) failed(se *scan.SlicesError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d slices could not be read; the others are shown, but the other planes, the labels and the model need every slice:", len(se.Slices), se.Total)
	for i, k := range se.Slices {
		if i == 10 {
			fmt.Fprintf(&b, "\n… and %d more", len(se.Slices)-i)
			break
		}
		n := k + 1
		if vk, ok := lv.sv.ViewSlice(k); ok {
			n = vk + 1
		}
		fmt.Fprintf(&b, "\nslice %d: %s", n, errorText(se.Errs[i]))
	}
	lv.top.Hide()
	lv.notes.SetText(b.String())
	lv.notes.Show()
	for _, w := range lv.waits {
		w.SetText(fmt.Sprintf("Not shown: %d of %d slices could not be read", len(se.Slices), se.Total))
	}
	lv.sv.Redraw()
	return b.String()
}

// firstImage is what the first-image file holds: when the first slice was drawn, for scripts
// that time the start (bench/).
type firstImage struct {
	Series string  `json:"series"`
	Slices int     `json:"slices"`
	Slice  int     `json:"slice"` // 1-based, as the status line says
	Unix   float64 `json:"unix"`  // seconds since 1970, when the slice was drawn
}

func writeFirstImage(path string, e *scan.SeriesEntry, sv *sliceview.View) error {
	b, err := json.Marshal(firstImage{Series: e.Series.Path, Slices: e.Slices(), Slice: sv.Slice() + 1,
		Unix: float64(time.Now().UnixNano()) / 1e9})
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Clean(path), 0o644, append(b, '\n'))
}

// errSlices is the load's error when some slices could not be read.
func errSlices(err error) (*scan.SlicesError, bool) {
	var se *scan.SlicesError
	return se, errors.As(err, &se)
}
