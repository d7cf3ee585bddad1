package ui

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/inference"
	"liverseg/scan"
	"liverseg/viewer"
)

// synthHU is the HU of voxel (i, j, k) of the synthetic volume: every voxel of a slice differs
// and so does every slice.
func synthHU(i, j, k int) int16 { return int16(i + 40*j - 300 + 7*k) }

// synthVolume is a small volume in memory: 40 columns of 0.8 mm, 30 rows of 1.6 mm (so each
// display pixel is twice as tall as wide), 12 slices, axial and LPS-aligned.
func synthVolume() *scan.Volume {
	v := &scan.Volume{
		Dims:      [3]int{40, 30, 12},
		Spacing:   [3]float64{0.8, 1.6, 2.5},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		Series:    scan.Series{PatientName: "SYNTH^ONE", SeriesDescription: "synthetic"},
	}
	v.Voxels = make([]int16, v.Len())
	for k := 0; k < v.Dims[2]; k++ {
		for j := 0; j < v.Dims[1]; j++ {
			for i := 0; i < v.Dims[0]; i++ {
				v.Voxels[v.Index(i, j, k)] = synthHU(i, j, k)
			}
		}
	}
	return v
}

// openSynth shows a view of the synthetic volume in a 500×500 test window.
func openSynth(t *testing.T) (*SliceView, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	sv, err := NewSliceView(synthVolume())
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(sv.Content())
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(500, 500))
	return sv, w
}

// centre is the absolute canvas position of the middle of the view's image.
func centre(sv *SliceView) fyne.Position {
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(sv)
	pos, size := sv.ImageRect()
	return abs.Add(pos).Add(fyne.NewPos(size.Width/2, size.Height/2))
}

func TestOpenSynthetic(t *testing.T) {
	sv, _ := openSynth(t)
	if sv.Slices() != 12 || sv.Slice() != 6 {
		t.Fatalf("slices %d, slice %d; want 12 and the middle, 6", sv.Slices(), sv.Slice())
	}
	if sv.Window() != viewer.WindowLiver {
		t.Errorf("window %+v, want the liver window", sv.Window())
	}
	if !strings.Contains(sv.StatusText(), "slice 7/12") {
		t.Errorf("status %q does not say slice 7/12", sv.StatusText())
	}
	if got := sv.Image().Bounds().Size(); got.X != 40 || got.Y != 30 {
		t.Errorf("image %v, want 40×30", got)
	}
	// The physical aspect: 30 rows of 1.6 mm over 40 columns of 0.8 mm.
	_, size := sv.ImageRect()
	if r := size.Height / size.Width; math.Abs(float64(r)-1.5) > 0.01 {
		t.Errorf("image drawn %v: height/width %.3f, want 1.5", size, r)
	}
}

func TestScrollChangesSlice(t *testing.T) {
	sv, w := openSynth(t)
	c := w.Canvas()
	k0 := sv.Slice()
	test.Scroll(c, centre(sv), 0, 25) // one wheel notch up
	if sv.Slice() != k0+1 {
		t.Fatalf("after a notch up: slice %d, want %d", sv.Slice(), k0+1)
	}
	test.Scroll(c, centre(sv), 0, -25)
	test.Scroll(c, centre(sv), 0, -25)
	if sv.Slice() != k0-1 {
		t.Fatalf("after two notches down: slice %d, want %d", sv.Slice(), k0-1)
	}
	// Touchpad steps add up to a notch.
	for i := 0; i < 4; i++ {
		test.Scroll(c, centre(sv), 0, 3)
	}
	if sv.Slice() != k0 {
		t.Fatalf("after four small steps up: slice %d, want %d", sv.Slice(), k0)
	}
	if !strings.Contains(sv.StatusText(), fmt.Sprintf("slice %d/12", k0+1)) {
		t.Errorf("status %q", sv.StatusText())
	}
	if sv.Slider().Value != float64(k0+1) {
		t.Errorf("slider at %v, want %d", sv.Slider().Value, k0+1)
	}
}

func TestKeysMoveThroughSlices(t *testing.T) {
	sv, w := openSynth(t)
	w.Canvas().Focus(sv)
	key := func(n fyne.KeyName) { w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: n}) }
	k0 := sv.Slice()
	key(fyne.KeyUp)
	if sv.Slice() != k0+1 {
		t.Fatalf("Up: slice %d, want %d", sv.Slice(), k0+1)
	}
	key(fyne.KeyDown)
	key(fyne.KeyDown)
	if sv.Slice() != k0-1 {
		t.Fatalf("Down twice: slice %d, want %d", sv.Slice(), k0-1)
	}
	key(fyne.KeyPageUp)
	if sv.Slice() != 11 {
		t.Fatalf("PageUp: slice %d, want the last, 11 (clamped)", sv.Slice())
	}
	key(fyne.KeyPageDown)
	if sv.Slice() != 1 {
		t.Fatalf("PageDown: slice %d, want 1", sv.Slice())
	}
	key(fyne.KeyPageDown)
	if sv.Slice() != 0 {
		t.Fatalf("PageDown at 1: slice %d, want 0 (clamped)", sv.Slice())
	}
	sv.Slider().SetValue(4)
	if sv.Slice() != 3 {
		t.Fatalf("slider at 4: slice %d, want 3", sv.Slice())
	}
}

func TestKeysChangeWindow(t *testing.T) {
	sv, _ := openSynth(t)
	liver := append([]uint8(nil), sv.Image().Pix...)
	test.Type(sv, "2")
	if sv.Window() != viewer.WindowAbdomen {
		t.Fatalf("after 2: window %+v, want abdomen", sv.Window())
	}
	if !strings.Contains(sv.StatusText(), "W 400 L 40 (abdomen)") {
		t.Errorf("status %q does not name the abdomen window", sv.StatusText())
	}
	if string(liver) == string(sv.Image().Pix) {
		t.Error("the picture did not change with the window")
	}
	test.Type(sv, "1")
	if sv.Window() != viewer.WindowLiver {
		t.Fatalf("after 1: window %+v, want liver", sv.Window())
	}
	if !strings.Contains(sv.StatusText(), "W 150 L 90 (liver)") {
		t.Errorf("status %q does not name the liver window", sv.StatusText())
	}
	if string(liver) != string(sv.Image().Pix) {
		t.Error("the liver window does not draw the slice as before")
	}
	test.Type(sv, "x") // not a preset: nothing changes
	if sv.Window() != viewer.WindowLiver {
		t.Errorf("after x: window %+v", sv.Window())
	}
}

func TestStatusShowsHUUnderCursor(t *testing.T) {
	sv, w := openSynth(t)
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(sv)
	pos, size := sv.ImageRect()
	for _, p := range [][2]int{{0, 0}, {10, 5}, {39, 29}, {21, 17}} {
		// The middle of display pixel p, in canvas coordinates.
		at := abs.Add(pos).Add(fyne.NewPos((float32(p[0])+0.5)*size.Width/40, (float32(p[1])+0.5)*size.Height/30))
		test.MoveMouse(w.Canvas(), at)
		k := sv.Slice()
		want := fmt.Sprintf("voxel (%d, %d, %d)   %d HU", p[0], p[1], k, synthHU(p[0], p[1], k))
		if !strings.Contains(sv.StatusText(), want) {
			t.Errorf("pointer on pixel %v: status %q, want %q", p, sv.StatusText(), want)
		}
	}
	// Off the image (the black band beside it): no voxel.
	test.MoveMouse(w.Canvas(), abs.Add(fyne.NewPos(2, 2)))
	if strings.Contains(sv.StatusText(), "HU") {
		t.Errorf("pointer off the image: status %q", sv.StatusText())
	}
	test.MoveMouse(w.Canvas(), centre(sv))
	if !strings.Contains(sv.StatusText(), "HU") {
		t.Errorf("pointer on the image: status %q", sv.StatusText())
	}
	// A slice change updates the HU under a still pointer.
	sv.Step(1)
	x, y, _ := sv.ProbeAt(centre(sv).Subtract(abs))
	want := fmt.Sprintf("%d HU", synthHU(x, y, sv.Slice()))
	if !strings.Contains(sv.StatusText(), want) {
		t.Errorf("after a step: status %q, want %q", sv.StatusText(), want)
	}
}

func TestOrientationLetters(t *testing.T) {
	sv, _ := openSynth(t)
	markup := test.RenderObjectToMarkup(sv)
	for _, l := range []string{">R<", ">L<", ">A<", ">P<"} {
		if !strings.Contains(markup, l) {
			t.Errorf("letter %s missing from the view", l)
		}
	}
}

// pump makes s queue its work for the Fyne goroutine instead of running it at once on the
// background goroutine (as the test driver's fyne.Do does), so that the test goroutine plays
// the Fyne goroutine, as in the app.
func pump(s *session) chan func() {
	q := make(chan func(), 4096)
	s.do = func(f func()) { q <- f }
	return q
}

// drain runs the queued work until done says so, failing the test after d.
func drain(t *testing.T, q chan func(), d time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.After(d)
	for !done() {
		select {
		case f := <-q:
			f()
		case <-deadline:
			t.Fatalf("no %s after %v", what, d)
		}
	}
}

func TestOpenMissingPathShowsError(t *testing.T) {
	a := test.NewTempApp(t)
	s := newSession(context.Background(), a)
	q := pump(s)
	var err error
	s.onError = func(e error) { err = e }
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	s.openPath(missing)
	drain(t, q, 10*time.Second, "error", func() bool { return err != nil })
	msg := errorText(err)
	if !strings.HasPrefix(msg, missing+": ") || !strings.Contains(msg, "no such file") {
		t.Errorf("error %q does not name the path and the reason", msg)
	}
}

func TestOpenFolderWithoutDICOM(t *testing.T) {
	a := test.NewTempApp(t)
	s := newSession(context.Background(), a)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a scan"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := pump(s)
	var err error
	s.onError = func(e error) { err = e }
	s.openPath(dir)
	drain(t, q, 10*time.Second, "error", func() bool { return err != nil })
	msg := errorText(err)
	if !strings.Contains(msg, dir) || !strings.Contains(msg, "no image series") {
		t.Errorf("error %q", msg)
	}
}

func TestSeriesCells(t *testing.T) {
	e := &scan.SeriesEntry{Dims: [3]int{512, 512, 129}, Series: scan.Series{PatientName: "DOE^JANE", StudyDate: "20240131"}}
	want := []string{"DOE JANE", "2024-01-31", "—", "129", "512×512"}
	for c, w := range want {
		if got := seriesCell(e, c); got != w {
			t.Errorf("column %d: %q, want %q", c, got, w)
		}
	}
}

// TestLoadSample opens IRCAD case 7 as `liverseg PATH` would: discovery, the series list, the
// background load with its progress bar (once cancelled), the view.
func TestLoadSample(t *testing.T) {
	if os.Getenv("LIVERSEG_DATA") == "" {
		t.Skip("LIVERSEG_DATA is not set (run ../shared/data/unpack.sh and point it there)")
	}
	root := sampleData()
	if root == "" {
		t.Skipf("no %s under LIVERSEG_DATA", SamplePath)
	}
	path := filepath.Join(root, SamplePath)
	a := test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newSession(ctx, a)
	s.win.Resize(fyne.NewSize(1000, 700))
	q := pump(s)
	var (
		cat       *scan.Catalog
		sv        *SliceView
		cancelled bool
		err       error
	)
	s.onCatalog = func(c *scan.Catalog) { cat = c }
	s.onView = func(v *SliceView) { sv = v }
	s.onCancel = func() { cancelled = true }
	s.onError = func(e error) { err = e }

	s.openPath(path)
	drain(t, q, 20*time.Second, "catalog", func() bool { return cat != nil || err != nil })
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	if len(cat.Series) != 1 {
		t.Fatalf("%d series, want 1", len(cat.Series))
	}
	e := cat.Series[0]
	if seriesCell(e, 3) != fmt.Sprint(e.Slices()) || seriesCell(e, 4) != "512×512" {
		t.Errorf("row: %q slices, matrix %q", seriesCell(e, 3), seriesCell(e, 4))
	}

	// A lone series loads by itself.
	drain(t, q, 30*time.Second, "view", func() bool { return sv != nil || err != nil })
	if err != nil {
		t.Fatalf("loading: %v", err)
	}
	if sv.Slices() != e.Slices() {
		t.Errorf("view has %d slices, the series %d", sv.Slices(), e.Slices())
	}
	test.MoveMouse(s.win.Canvas(), centre(sv))
	t.Logf("%s: %q", path, sv.StatusText())
	if !strings.Contains(sv.StatusText(), " HU") {
		t.Errorf("status %q has no HU under the pointer", sv.StatusText())
	}
	// Keys typed on the window reach the view.
	test.TypeOnCanvas(s.win.Canvas(), "2")
	if sv.Window() != viewer.WindowAbdomen {
		t.Errorf("window %+v after typing 2 on the window", sv.Window())
	}

	// Load again and cancel at once: the pane says so and nothing else happens.
	sv = nil
	s.loadSeries(0)
	if s.cancelBtn == nil || s.progress == nil {
		t.Fatal("no progress bar and Cancel button while loading")
	}
	test.Tap(s.cancelBtn)
	drain(t, q, 10*time.Second, "end of the load", func() bool { return cancelled || sv != nil || err != nil })
	switch {
	case err != nil:
		t.Fatalf("cancelling: %v", err)
	case sv != nil:
		t.Fatalf("the load was not cancelled (view of %d slices)", sv.Slices())
	}
}

// TestOpenSampleFirstRun is a newcomer's first click on a fresh machine: LIVERSEG_DATA unset, the
// data where the setup unpacked it (the cache's data/), the welcome page offers the sample, and
// the sample opens IRCAD case 7 with its truth loaded and the model run, scored.
func TestOpenSampleFirstRun(t *testing.T) {
	data := os.Getenv("LIVERSEG_DATA")
	if data == "" {
		t.Skip("LIVERSEG_DATA is not set (run ../shared/data/unpack.sh and point it there)")
	}
	if _, err := os.Stat(filepath.Join(data, SamplePath)); err != nil {
		t.Skipf("no %s under LIVERSEG_DATA", SamplePath)
	}
	cache := t.TempDir()
	if err := os.Symlink(data, filepath.Join(cache, "data")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(inference.EnvCache, cache)
	t.Setenv(inference.EnvData, "")

	a := test.NewTempApp(t)
	s := newSession(context.Background(), a)
	s.opts = Options{Workspace: t.TempDir(), Layout: LayoutSingle, Device: "cpu"}
	t.Cleanup(func() { s.leaveReview(); s.closeResources() })
	t.Cleanup(s.win.Close)
	s.win.Resize(fyne.NewSize(1000, 700))
	q := pump(s)
	var errs []error
	ready := false
	s.onError = func(e error) { errs = append(errs, e) }
	s.onReady = func() { ready = true }

	s.showWelcome()
	var sample *widget.Button
	for _, o := range test.LaidOutObjects(s.win.Content()) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, "Open the sample") {
			sample = b
		}
	}
	if sample == nil {
		t.Fatal("the welcome page offers no sample with LIVERSEG_DATA unset and the data in the cache")
	}
	test.Tap(sample)
	drain(t, q, 3*time.Minute, "review ready", func() bool { return ready })
	if len(errs) > 0 {
		t.Fatalf("errors opening the sample: %v", errs)
	}
	r := s.review
	if r == nil || r.truth == nil || r.pred == nil || r.metrics == nil {
		t.Fatalf("sample review: truth %v, prediction %v, figures %v", r != nil && r.truth != nil, r != nil && r.pred != nil, r != nil && r.metrics != nil)
	}
	if r.metrics.Dice < 0.9 {
		t.Errorf("sample Dice %.4f, want the model's >= 0.9 on case 7", r.metrics.Dice)
	}
	t.Logf("sample: %s vs %s: Dice %.4f, slice %d", r.truthName, r.predName, r.metrics.Dice, r.main.Slice()+1)

	// The sample's truth and model run were for the sample only: the next series opened shows bare.
	if s.next != nil {
		t.Error("the sample's first actions are still pending after it opened")
	}
}
