package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a FIFO at path, with nothing ever writing to it.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// within runs f and fails the test when it takes longer than a second. A call blocked on opening
// fifo is let go (by opening its write end) so that the test ends.
func within(t *testing.T, fifo string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatalf("still blocked on %s after a second", fifo)
		return nil
	}
}

// Item 8 of issue 20: the entries that take a user's path refuse a FIFO at once.
func TestEntriesRefuseFIFO(t *testing.T) {
	dir := t.TempDir()
	ref := &Volume{Dims: [3]int{2, 2, 1}, Spacing: [3]float64{1, 1, 1}, Voxels: make([]int16, 4),
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	for _, name := range []string{"ct", "pred", "pred.nii", "pred.dcm"} {
		fifo := mkfifo(t, filepath.Join(dir, name))
		entries := map[string]func() error{
			"Discover":          func() error { _, err := Discover(context.Background(), fifo); return err },
			"OpenSeries":        func() error { _, err := OpenSeries(context.Background(), fifo, ""); return err },
			"DetectLabelFormat": func() error { _, err := DetectLabelFormat(fifo); return err },
			"LoadLabel":         func() error { _, err := LoadLabel(fifo, ref, LabelOptions{}); return err },
			"LoadLabelAs SEG":   func() error { _, err := LoadLabelAs(fifo, FormatSEG, ref, LabelOptions{}); return err },
		}
		for entry, f := range entries {
			t.Run(entry+" "+name, func(t *testing.T) {
				err := within(t, fifo, f)
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), fifo) {
					t.Errorf("got %v, want ErrNotRegular naming %s", err, fifo)
				}
			})
		}
	}
}

// A folder that holds a FIFO beside its slices is read without opening it; the FIFO is named
// among the problems and in the series' warnings.
func TestFolderWithFIFO(t *testing.T) {
	dir := seriesCopy(t, dataPath(t, "formats/dcmqi/ct-3slice"), nil, nil)
	fifo := mkfifo(t, filepath.Join(dir, "04.dcm"))
	var s *SeriesEntry
	err := within(t, fifo, func() (err error) {
		s, err = OpenSeries(context.Background(), dir, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Slices() != 3 {
		t.Errorf("%d slices, want 3", s.Slices())
	}
	want := "left out: " + fifo + ": " + ErrNotRegular.Error() + ": it is a FIFO (named pipe), skipped"
	if !contains(s.Warnings, want) {
		t.Errorf("warnings %q lack %q", s.Warnings, want)
	}
}
