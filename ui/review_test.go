package ui

import (
	"context"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/inference"
	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/scan/nifti"
	"liverseg/ui/internal/synthvol"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
	"liverseg/workspace"
)

// openReview shows the review of the synthetic volume in a test window, as showView does after
// a load, with a throw-away workspace. Background work is queued for the test to drain.
func openReview(t *testing.T) (*session, *review, chan func()) {
	t.Helper()
	return openReviewIn(t, t.TempDir())
}

// openReviewIn is openReview with the workspace in dir.
func openReviewIn(t *testing.T, dir string) (*session, *review, chan func()) {
	t.Helper()
	v := synthvol.Volume()
	v.Series.SeriesUID = "1.2.3.4"
	v.Series.Path = "/synthetic"
	return openReviewOfIn(t, v, dir)
}

// openReviewOfIn is openReviewIn of volume v.
func openReviewOfIn(t *testing.T, v *scan.Volume, dir string) (*session, *review, chan func()) {
	t.Helper()
	a := test.NewTempApp(t)
	s := newSession(context.Background(), a)
	s.opts = Options{Workspace: dir, Layout: LayoutSingle}
	t.Cleanup(func() { // as Run ends: the review's job cancelled and its autosave ended first
		s.leaveReview()
		s.closeResources()
	})
	t.Cleanup(s.win.Close)
	q := pump(s)
	s.right = container.NewStack()
	s.win.SetContent(s.right)
	s.win.Resize(fyne.NewSize(1000, 600))
	sv, err := sliceview.New(v)
	if err != nil {
		t.Fatal(err)
	}
	s.showView(&scan.SeriesEntry{Series: v.Series, Dims: v.Dims}, sv)
	r := s.review
	if r == nil {
		t.Fatal("no review after showView")
	}
	return s, r, q
}

// setLabels installs the synthetic truth and prediction as a load and a model run would.
func setLabels(t *testing.T, r *review) {
	t.Helper()
	truth, pred := synthvol.Masks(r.vol)
	m, err := r.main.Renderer().Compare(truth, pred)
	if err != nil {
		t.Fatal(err)
	}
	r.truth, r.pred, r.truthName, r.predName = truth, pred, "truth", "model"
	r.setMetrics(m)
	r.apply()
}

// pixel is the colour of display pixel (x, y) of the view's current slice.
func pixel(sv *sliceview.View, x, y int) color.RGBA { return sv.Image().RGBAAt(x, y) }

func typeRune(sv *sliceview.View, r rune) { sv.TypedRune(r) }

func TestReviewOverlayKeys(t *testing.T) {
	_, r, _ := openReview(t)
	setLabels(t, r)
	sv := r.main
	sv.SetSlice(7) // truth and prediction agree here
	gray := func() color.RGBA {
		r.showTruth, r.showPred = false, false
		r.apply()
		defer func() { r.showTruth, r.showPred = true, true; r.apply() }()
		return pixel(sv, 15, 10)
	}()
	both := pixel(sv, 15, 10)
	if both == gray {
		t.Fatalf("overlays on and off give the same pixel %v", both)
	}
	typeRune(sv, 'p') // prediction off: only the truth's colour is left
	if r.showPred {
		t.Fatal("p did not turn the prediction off")
	}
	truthOnly := pixel(sv, 15, 10)
	if truthOnly == both || truthOnly == gray {
		t.Errorf("truth only %v, both %v, neither %v: should all differ", truthOnly, both, gray)
	}
	if !(truthOnly.B > truthOnly.R) {
		t.Errorf("truth overlay %v is not the truth's blue", truthOnly)
	}
	typeRune(sv, 't')
	if got := pixel(sv, 15, 10); got != gray {
		t.Errorf("both overlays off: %v, want the plain image %v", got, gray)
	}
	typeRune(sv, 't')
	typeRune(sv, 'p')
	// Shift+T: the truth as an outline leaves the inside of the block plain under the truth.
	typeRune(sv, 'T')
	if r.truthMode != viewer.Outline {
		t.Fatalf("truth mode %v after Shift+T", r.truthMode)
	}
	typeRune(sv, 'p')
	if got := pixel(sv, 15, 12); got != gray && got == truthOnly {
		t.Errorf("inside an outlined truth: %v, the filled colour", got)
	}
	if edge := pixel(sv, 10, 12); edge == pixel(sv, 9, 12) {
		t.Errorf("outline edge pixel %v equals the pixel outside it", edge)
	}
	// The checks follow the keys.
	if r.checks[&r.showPred].Checked {
		t.Error("the Prediction check is still ticked after p")
	}
	// D: the difference view colours the false positives of slice 4 magenta.
	sv.SetSlice(4)
	typeRune(sv, 'p')
	typeRune(sv, 'd')
	if !sv.Renderer().Difference.Enabled {
		t.Fatal("d did not enable the difference view")
	}
	fp := pixel(sv, 32, 12) // prediction only (shifted block)
	fn := pixel(sv, 11, 12) // truth only
	agree := pixel(sv, 20, 12)
	if !(fp.R > fp.G && fp.B > fp.G) {
		t.Errorf("false positive pixel %v is not magenta", fp)
	}
	if !(fn.R > fn.B && fn.G > fn.B) {
		t.Errorf("false negative pixel %v is not yellow", fn)
	}
	if !(agree.G > agree.R && agree.G > agree.B) {
		t.Errorf("agreement pixel %v is not green", agree)
	}
	// ] and [ change the opacity of the overlays.
	before := r.opacity
	typeRune(sv, ']')
	if r.opacity <= before {
		t.Errorf("opacity %v after ], was %v", r.opacity, before)
	}
}

func TestReviewDisagreementListJumps(t *testing.T) {
	_, r, _ := openReview(t)
	setLabels(t, r)
	if len(r.disagree) != 4 {
		t.Fatalf("%d slices in the disagreement list, want 4 (3, 4, 5 and 10)", len(r.disagree))
	}
	// Worst first: slices 3..5 differ by 2x4x14 voxels, slice 10 by 4.
	if r.disagree[3].Slice != 10 || r.disagree[0].FalsePos+r.disagree[0].FalseNeg != 112 {
		t.Errorf("list %+v", r.disagree)
	}
	r.list.Select(3)
	if r.main.Slice() != 10 {
		t.Errorf("selecting slice 11 of the list shows slice %d", r.main.Slice()+1)
	}
	if !strings.Contains(r.sliceFigures.Text, "slice 11:") || !strings.Contains(r.sliceFigures.Text, "false positive 4") {
		t.Errorf("slice figures %q", r.sliceFigures.Text)
	}
	// n walks the list; Shift+N walks back.
	r.main.SetSlice(0)
	typeRune(r.main, 'n')
	if r.main.Slice() != r.disagree[3].Slice {
		t.Errorf("n from off the list went to slice %d, want the current entry %d", r.main.Slice(), r.disagree[3].Slice)
	}
	typeRune(r.main, 'N')
	if r.main.Slice() != r.disagree[2].Slice {
		t.Errorf("Shift+N went to slice %d, want %d", r.main.Slice(), r.disagree[2].Slice)
	}
	if !strings.Contains(r.volFigures.Text, "Dice 0.") || !strings.Contains(r.volFigures.Text, "mIoU") {
		t.Errorf("volume figures %q", r.volFigures.Text)
	}
}

func TestReviewSideBySideIsLinked(t *testing.T) {
	_, r, _ := openReview(t)
	setLabels(t, r)
	typeRune(r.main, 's')
	if !r.sideBySide || r.panels[2] == nil {
		t.Fatal("s did not show the side-by-side panels")
	}
	if grid, ok := r.centre.Objects[0].(*fyne.Container); !ok || len(grid.Objects) != 3 {
		t.Fatalf("centre holds %T, want the three panels", r.centre.Objects[0])
	}
	img, truth, pred := r.panels[0], r.panels[1], r.panels[2]
	img.Step(-2) // scroll one panel: all follow
	for i, p := range r.panels {
		if p.Slice() != r.main.Slice() {
			t.Errorf("panel %d on slice %d, main on %d", i, p.Slice(), r.main.Slice())
		}
	}
	truth.SetZoom(2)
	if pred.Zoom() != 2 || img.Zoom() != 2 {
		t.Errorf("zoom not linked: %v %v", pred.Zoom(), img.Zoom())
	}
	img.ResetView()
	img.SetSlice(7)
	// The image panel has no overlay, the truth panel only the truth, the prediction panel only
	// the prediction.
	plain, tp, pp := pixel(img, 15, 10), pixel(truth, 15, 10), pixel(pred, 15, 10)
	if tp == plain || pp == plain || tp == pp {
		t.Errorf("panel pixels image %v truth %v prediction %v: want three different", plain, tp, pp)
	}
	typeRune(img, 's')
	if r.sideBySide || r.centre.Objects[0] != fyne.CanvasObject(r.main) {
		t.Error("s again did not go back to the single view")
	}
}

func TestReviewStatusSaved(t *testing.T) {
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	if r.status.sel.Selected != string(workspace.StatusNotStarted) {
		t.Errorf("a new case shows %q", r.status.sel.Selected)
	}
	saved := false
	s.hooks.onReviewSaved = func() { saved = true }
	r.status.sel.SetSelected(string(workspace.StatusFlagged))
	r.status.comment.SetText("segment 7 missing")
	test.Tap(r.status.save)
	drain(t, q, 10*time.Second, "the save", func() bool { return saved })
	// Read it back from the SQLite file, through a second handle.
	ws, err := workspace.Open(context.Background(), s.opts.Workspace)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	rv, err := ws.Review(context.Background(), r.caseID)
	if err != nil {
		t.Fatal(err)
	}
	if rv.Status != workspace.StatusFlagged || rv.Comment != "segment 7 missing" || rv.Author == "" {
		t.Errorf("saved review %+v", rv)
	}
}

func TestReviewRunsModelAndLoadsTruth(t *testing.T) {
	testenv.ORTLibrary(t)
	s, r, q := openReview(t)
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	done := map[string]bool{}
	s.hooks.onWorkDone = func(what string, err error) { done[what] = true }

	// A truth in NIfTI, written from the synthetic truth.
	truth, _ := synthvol.Masks(r.vol)
	path := filepath.Join(t.TempDir(), "truth.nii.gz")
	if err := nifti.WriteLabel(path, r.vol, truth); err != nil {
		t.Fatal(err)
	}
	typeRune(r.main, 'l') // the label dialog opens; load directly as its buttons do
	r.loadTruth(path, labels.Options{})
	drain(t, q, 20*time.Second, "the truth", func() bool { return len(done) == 1 })
	if r.truth == nil || len(errs) > 0 {
		t.Fatalf("truth not loaded: %v", errs)
	}
	typeRune(r.main, 'm')
	if r.work == nil || !r.workBox.Visible() {
		t.Fatal("m started no model run with a progress bar")
	}
	drain(t, q, 60*time.Second, "the model run", func() bool { return len(done) == 2 })
	if len(errs) > 0 {
		t.Fatalf("model run: %v", errs)
	}
	if r.pred == nil || r.prob == nil || r.metrics == nil {
		t.Fatal("no prediction, probability map or figures after the run")
	}
	if !strings.Contains(r.main.StatusText(), "on CPU") && !strings.Contains(r.main.StatusText(), "on CUDA") {
		t.Errorf("status %q does not name the provider", r.main.StatusText())
	}
	// U shows the probability map.
	typeRune(r.main, 'u')
	if r.main.Renderer().Uncertainty.Mode != viewer.UncertaintyBand || r.main.Renderer().Uncertainty.Prob == nil {
		t.Error("u did not turn the uncertainty band on")
	}
	checkBandDrawn(t, r.main.Renderer(), r.prob)

	// A label of another geometry: an error naming the file, the review goes on.
	other := &scan.Volume{Dims: [3]int{8, 8, 3}, Spacing: [3]float64{1, 1, 1}, Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	other.Voxels = make([]int16, other.Len())
	bad := filepath.Join(t.TempDir(), "other.nii.gz")
	if err := nifti.WriteLabel(bad, other, scan.NewMask(other.Dims)); err != nil {
		t.Fatal(err)
	}
	r.loadTruth(bad, labels.Options{})
	drain(t, q, 20*time.Second, "the error", func() bool { return len(errs) > 0 })
	if msg := errorText(errs[0]); !strings.Contains(msg, bad) {
		t.Errorf("error %q does not name %s", msg, bad)
	}
	if r.truth == nil || r.s.review != r {
		t.Error("a bad label dropped the truth or the review")
	}
}

func TestReviewModelFailureShowsError(t *testing.T) {
	s, r, q := openReview(t)
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	// The workspace's active model is not an ONNX file.
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "model.onnx"), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ws.RegisterModel(context.Background(), workspace.NewModel{Version: "broken-1", SourceDir: src, Activate: true})
	if err != nil {
		t.Fatal(err)
	}
	r.runModel()
	drain(t, q, 30*time.Second, "the error", func() bool { return len(errs) > 0 })
	msg := errorText(errs[0])
	if !strings.Contains(msg, m.Path) {
		t.Errorf("error %q does not name the model file %s", msg, m.Path)
	}
	if r.work != nil || r.pred != nil || s.review != r {
		t.Error("the failed run left work running, a prediction, or no review")
	}
	if errors.Is(errs[0], context.Canceled) {
		t.Error("a failure reported as a cancel")
	}
}

func TestHelpListsEveryShortcut(t *testing.T) {
	text := helpText()
	for _, want := range []string{"M or F5", "Right drag", "Ctrl+wheel", "Shift+T", "S\t", "N / Shift+N", "U\t", "Ctrl+Z", "E\t"} {
		if !strings.Contains(text, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	// Every review key in the table does something.
	_, r, _ := openReview(t)
	for _, s := range shortcuts() {
		for _, ru := range s.runes {
			if s.do != nil && !strings.ContainsRune("mMF5lLhH?eE", ru) && !r.handleKey("", ru) {
				t.Errorf("key %q of %q is not handled", ru, s.keys)
			}
		}
	}
}

func TestReviewSendWritesSEG(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(inference.EnvCache, cache)
	s, r, q := openReview(t)
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	r.sendToPACS()
	if len(errs) != 1 || !errors.Is(errs[0], errNothingToSend) {
		t.Fatalf("send without a prediction: %v", errs)
	}
	setLabels(t, r)
	r.predColor = color.RGBA{10, 120, 30, 255} // the user's, not the default
	ended := false
	s.hooks.onWorkDone = func(string, error) { ended = true }
	r.sendToPACS()
	drain(t, q, 20*time.Second, "the SEG", func() bool { return ended })
	segs, _ := filepath.Glob(filepath.Join(cache, "pacs", "outgoing", "seg-*.dcm"))
	if len(segs) != 1 {
		t.Fatalf("SEG files %v", segs)
	}
	back, err := scan.ReadSEG(segs[0], r.vol, 0)
	if err != nil {
		t.Fatal(err)
	}
	if scan.VolumeML(back, 1) != scan.VolumeML(r.pred, 1) {
		t.Errorf("the SEG holds %v voxels, the prediction %v", scan.VolumeML(back, 1), scan.VolumeML(r.pred, 1))
	}
	// The segment recommends the colour the prediction is shown in (issue 20 item 13).
	ds, err := dicom.ParseFile(segs[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	var lab []int
	if seq, err := ds.FindElementByTag(tag.SegmentSequence); err == nil {
		for _, it := range seq.Value.GetValue().([]*dicom.SequenceItemValue) {
			for _, el := range it.GetValue().([]*dicom.Element) {
				if el.Tag == tag.RecommendedDisplayCIELabValue {
					lab, _ = el.Value.GetValue().([]int)
				}
			}
		}
	}
	if want := scan.DICOMLab(r.predColor); len(lab) != 3 || [3]int(lab) != want {
		t.Errorf("RecommendedDisplayCIELabValue %v, want %v (the prediction's colour)", lab, want)
	}
}

// checkBandDrawn: the uncertainty band changes the pixel of a voxel where the model hesitates
// (0.25 < p < 0.75) and leaves a certain voxel of the same slice as it was.
func checkBandDrawn(t *testing.T, rd *viewer.Renderer, prob *scan.Prob) {
	t.Helper()
	for k := 0; k < rd.Slices(); k++ {
		s := prob.Slice(k)
		for i, b := range s.Pix {
			if b < 64 || b > 191 {
				continue
			}
			x, y := s.Rect.Min.X+i%s.Rect.Dx(), s.Rect.Min.Y+i/s.Rect.Dx()
			w, h := rd.Size()
			on, off := image.NewRGBA(image.Rect(0, 0, w, h)), image.NewRGBA(image.Rect(0, 0, w, h))
			mode := rd.Uncertainty.Mode
			err1 := rd.RenderTo(on, k)
			rd.Uncertainty.Mode = viewer.UncertaintyOff
			err2 := rd.RenderTo(off, k)
			rd.Uncertainty.Mode = mode
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if on.RGBAAt(x, y) == off.RGBAAt(x, y) {
				t.Errorf("slice %d (%d,%d), p = %d/255: the band left the pixel as it was", k, x, y, b)
			}
			if on.RGBAAt(0, 0) != off.RGBAAt(0, 0) {
				t.Errorf("slice %d: the band drew over the certain corner", k)
			}
			return
		}
	}
	t.Fatal("the model's map has no voxel between 0.25 and 0.75: the band tests nothing")
}
