package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/inference"
	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
)

// centre is the absolute canvas position of the middle of the view's image.
func centre(sv *sliceview.View) fyne.Position {
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(sv)
	pos, size := sv.ImageRect()
	return abs.Add(pos).Add(fyne.NewPos(size.Width/2, size.Height/2))
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
	s.hooks.onError = func(e error) { err = e }
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
	s.hooks.onError = func(e error) { err = e }
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
	testenv.Data(t, filepath.FromSlash(SamplePath))
	root := sampleData()
	if root == "" {
		t.Fatalf("sampleData finds no %s under %s", SamplePath, testenv.DataRoot(t))
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
		sv        *sliceview.View
		cancelled bool
		err       error
	)
	s.hooks.onCatalog = func(c *scan.Catalog) { cat = c }
	s.hooks.onView = func(v *sliceview.View) { sv = v }
	s.hooks.onCancel = func() { cancelled = true }
	s.hooks.onError = func(e error) { err = e }

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
	data := testenv.DataRoot(t)
	testenv.Data(t, filepath.FromSlash(SamplePath))
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
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	s.hooks.onReady = func() { ready = true }

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
