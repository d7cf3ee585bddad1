package scan

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"liverseg/internal/testfiles"
)

// Item 8 of issue 20: the entries that take a user's path refuse a FIFO at once.
func TestEntriesRefuseFIFO(t *testing.T) {
	dir := t.TempDir()
	ref := &Volume{Dims: [3]int{2, 2, 1}, Spacing: [3]float64{1, 1, 1}, Voxels: make([]int16, 4),
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	for _, name := range []string{"ct", "pred", "pred.nii", "pred.dcm"} {
		fifo := filepath.Join(dir, name)
		testfiles.MkFIFO(t, fifo)
		entries := map[string]func() error{
			"Discover":          func() error { _, err := Discover(context.Background(), fifo); return err },
			"OpenSeries":        func() error { _, err := OpenSeries(context.Background(), fifo, ""); return err },
			"DetectLabelFormat": func() error { _, err := DetectLabelFormat(fifo); return err },
			"LoadLabel":         func() error { _, err := LoadLabel(fifo, ref, LabelOptions{}); return err },
			"LoadLabelAs SEG":   func() error { _, err := LoadLabelAs(fifo, FormatSEG, ref, LabelOptions{}); return err },
		}
		for entry, f := range entries {
			t.Run(entry+" "+name, func(t *testing.T) {
				err := within(t, 5*time.Second, fifo, f)
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
	dir := testfiles.SeriesCopy(t, dataPath(t, "formats/dcmqi/ct-3slice"), nil, nil)
	fifo := filepath.Join(dir, "04.dcm")
	testfiles.MkFIFO(t, fifo)
	var s *SeriesEntry
	err := within(t, 5*time.Second, fifo, func() (err error) {
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
	if !slices.Contains(s.Warnings, want) {
		t.Errorf("warnings %q lack %q", s.Warnings, want)
	}
}
