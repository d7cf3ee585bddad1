package scan_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"liverseg/internal/testenv"
	"liverseg/internal/testfiles"
	"liverseg/scan"
	"liverseg/scan/internal/scantest"
)

// Item 8 of issue 20: the entries that take a user's series path refuse a FIFO at once (those that
// take a label: scan/labels' TestEntriesRefuseFIFO).
func TestEntriesRefuseFIFO(t *testing.T) {
	scantest.RefuseFIFO(t, map[string]func(string) error{
		"Discover":   func(p string) error { _, err := scan.Discover(context.Background(), p); return err },
		"OpenSeries": func(p string) error { _, err := scan.OpenSeries(context.Background(), p, ""); return err },
	})
}

// A folder that holds a FIFO beside its slices is read without opening it; the FIFO is named
// among the problems and in the series' warnings.
func TestFolderWithFIFO(t *testing.T) {
	dir := testfiles.SeriesCopy(t, testenv.Data(t, "formats", "dcmqi", "ct-3slice"), nil, nil)
	fifo := filepath.Join(dir, "04.dcm")
	testfiles.MkFIFO(t, fifo)
	var s *scan.SeriesEntry
	err := scantest.Within(t, 5*time.Second, fifo, func() (err error) {
		s, err = scan.OpenSeries(context.Background(), dir, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Slices() != 3 {
		t.Errorf("%d slices, want 3", s.Slices())
	}
	want := "left out: " + fifo + ": " + scan.ErrNotRegular.Error() + ": it is a FIFO (named pipe), skipped"
	if !slices.Contains(s.Warnings, want) {
		t.Errorf("warnings %q lack %q", s.Warnings, want)
	}
}
