package ui

import (
	"context"
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/ui/sliceview"
)

// slowPump makes s queue its work for the test goroutine in a queue of one: the load's workers,
// which tell the Fyne goroutine of each slice read, wait while the test does not drain it, so
// that the test sees the load part-way.
func slowPump(s *session) chan func() {
	q := make(chan func(), 1)
	s.do = func(f func()) { q <- f }
	return q
}

// loadingSession opens dir in a test window, with the layout given, and returns it with its
// queue; the review's work is ended when the test ends.
func loadingSession(t *testing.T, layout string) (*session, chan func()) {
	t.Helper()
	a := test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := newSession(ctx, a)
	s.opts = Options{Workspace: t.TempDir(), Layout: layout, Device: "cpu"}
	t.Cleanup(func() { cancel(); s.cancelWork(); s.leaveReview(); s.closeResources() })
	s.win.Resize(fyne.NewSize(1000, 700))
	return s, slowPump(s)
}

// isPlaceholder says whether the view's image is the flat colour of a slice not shown.
func isPlaceholder(sv *sliceview.View) bool {
	img := sv.Image()
	b := img.Bounds()
	c0 := img.RGBAAt(b.Min.X, b.Min.Y)
	return c0 != (color.RGBA{A: 255}) && img.RGBAAt(b.Dx()/2, b.Dy()/2) == c0 && img.RGBAAt(b.Max.X-1, b.Max.Y-1) == c0
}

// TestProgressiveLoadShowsFirstSlice opens IRCAD case 7 in the four-up layout: the middle slice
// shows while the load runs, with its progress, before the review starts; the coronal, sagittal
// and 3D panes wait; a slice not read yet says so, is read ahead of the queue and then drawn; the
// review starts around the same view once every slice is in.
func TestProgressiveLoadShowsFirstSlice(t *testing.T) {
	path := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	s, q := loadingSession(t, LayoutFour)
	var first, shown *sliceview.View
	var errs []error
	s.hooks.onFirstImage = func(v *sliceview.View) { first = v }
	s.hooks.onView = func(v *sliceview.View) { shown = v }
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	s.openPath(path)
	drain(t, q, 30*time.Second, "first image", func() bool { return first != nil || len(errs) > 0 })
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	lv := s.loading
	if lv == nil || s.review != nil || shown != nil {
		t.Fatalf("at the first image: loading screen %v, review %v", lv != nil, s.review != nil)
	}
	n := first.Slices()
	if first.Slice() != n/2 || first.Notice() != "" || isPlaceholder(first) {
		t.Errorf("first image: slice %d of %d, notice %q", first.Slice()+1, n, first.Notice())
	}
	if done, _ := lv.l.Progress(); done >= n {
		t.Fatalf("every slice (%d) was read before the first image showed", done)
	}
	if len(lv.waits) != 3 || !strings.Contains(lv.waits[0].Text, "shown once every slice is loaded") {
		t.Errorf("four-up panes while loading: %d waiting", len(lv.waits))
	}
	if !strings.HasPrefix(lv.label.Text, "Loading ") || !strings.Contains(lv.label.Text, "of 151 slices") {
		t.Errorf("progress label %q", lv.label.Text)
	}
	// The pointer over the slice shown gives its HU.
	test.MoveMouse(s.win.Canvas(), centre(first))
	if !strings.Contains(first.StatusText(), " HU") {
		t.Errorf("status %q has no HU under the pointer", first.StatusText())
	}

	// Slice 1 is the farthest from the middle: not read yet, it says so and is asked for.
	first.SetSlice(0)
	stored := 0
	if k, ok := first.ViewSlice(0); ok && k != 0 {
		stored = n - 1
	}
	if lv.l.Loaded(stored) {
		t.Fatal("slice 1 was read already: the load did not wait for the test")
	}
	if first.Notice() != "slice 1 loading…" || !isPlaceholder(first) || !strings.Contains(first.StatusText(), "slice 1 loading") {
		t.Errorf("slice not read: notice %q, placeholder %v, status %q", first.Notice(), isPlaceholder(first), first.StatusText())
	}
	if strings.Contains(first.StatusText(), " HU") {
		t.Errorf("status %q gives HU of a slice not read", first.StatusText())
	}
	drain(t, q, 30*time.Second, "slice 1", func() bool { return first.Notice() == "" })
	if done, _ := lv.l.Progress(); done > n/2 {
		t.Errorf("slice 1 came after %d of %d slices: not ahead of the queue", done, n)
	}
	if isPlaceholder(first) {
		t.Error("slice 1 arrived but the view still shows the placeholder")
	}

	drain(t, q, 30*time.Second, "review", func() bool { return shown != nil || len(errs) > 0 })
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if shown != first || s.review == nil || s.review.planes == nil || s.loading != nil {
		t.Fatalf("review: same view %v, review %v, planes %v", shown == first, s.review != nil, s.review != nil && s.review.planes != nil)
	}
	for _, v := range s.review.planeViews {
		if v.Notice() != "" || isPlaceholder(v) {
			t.Errorf("%s pane: notice %q", v.Plane(), v.Notice())
		}
	}
}

// TestProgressiveLoadFailedSlice: a file cut after the series was listed; its slice says it
// could not be read (file and reason), the others are shown, the error names the file, and the
// review, which needs every slice, does not start.
func TestProgressiveLoadFailedSlice(t *testing.T) {
	src := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	dir := t.TempDir()
	names := []string{"image_60", "image_61", "image_62", "image_63", "image_64", "image_65", "image_66", "image_67"}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cut := filepath.Join(dir, "image_62")
	s, q := loadingSession(t, LayoutSingle)
	var errs []error
	var first, shown *sliceview.View
	s.hooks.onCatalog = func(*scan.Catalog) {
		// Listed whole, cut before its pixels are read.
		b, _ := os.ReadFile(cut)
		if err := os.WriteFile(cut, b[:len(b)-1000], 0o644); err != nil {
			t.Error(err)
		}
	}
	s.hooks.onFirstImage = func(v *sliceview.View) { first = v }
	s.hooks.onView = func(v *sliceview.View) { shown = v }
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	s.openPath(dir)
	drain(t, q, 30*time.Second, "error", func() bool { return len(errs) > 0 })
	drainQueued(q)
	if first == nil || shown != nil || s.review != nil {
		t.Fatalf("first image %v, review %v", first != nil, shown != nil)
	}
	if msg := errorText(errs[0]); !strings.Contains(msg, cut) || !strings.Contains(msg, "truncated") || !strings.Contains(msg, "1 of 8 slices") {
		t.Errorf("error %q does not name the file cut and its reason", msg)
	}
	if s.loading == nil || !strings.Contains(s.loading.notes.Text, cut) {
		t.Fatal("the loading screen does not list the slice that failed")
	}
	failed := -1
	for k := range first.Slices() {
		first.SetSlice(k)
		switch note := first.Notice(); {
		case strings.Contains(note, "could not be read") && strings.Contains(note, cut):
			failed = k
			if !isPlaceholder(first) {
				t.Errorf("failed slice %d drawn as CT", k+1)
			}
		case note != "":
			t.Errorf("slice %d: notice %q after the load ended", k+1, note)
		case isPlaceholder(first):
			t.Errorf("slice %d read but not drawn", k+1)
		}
	}
	if failed < 0 {
		t.Fatal("no slice says it could not be read")
	}
	if !strings.Contains(s.loading.notes.Text, "slice "+strconv.Itoa(failed+1)+":") {
		t.Errorf("notes %q do not number the failed slice as the view does (%d)", s.loading.notes.Text, failed+1)
	}
}

// TestLoadRefusedForMemory: a series whose review would not fit in the memory available is
// refused before it is read, the message giving both figures.
func TestLoadRefusedForMemory(t *testing.T) {
	path := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	s, q := loadingSession(t, LayoutFour)
	s.memAvailable = func() (int64, error) { return 300e6, nil }
	var errs []error
	var first *sliceview.View
	s.hooks.onFirstImage = func(v *sliceview.View) { first = v }
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	s.openPath(path)
	drain(t, q, 30*time.Second, "error", func() bool { return len(errs) > 0 })
	if !errors.Is(errs[0], scan.ErrMemory) || first != nil || s.view != nil {
		t.Fatalf("err %v, view shown %v; want ErrMemory and no view", errs[0], first != nil)
	}
	msg := errorText(errs[0])
	for _, want := range []string{path, "512x512x151", "needs about", "300 MB is available"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
}

// drainQueued runs the work already queued (and what it queues) until the queue stays empty.
func drainQueued(q chan func()) {
	for {
		select {
		case f := <-q:
			f()
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}
