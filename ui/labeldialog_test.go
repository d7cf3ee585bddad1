package ui

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/scan/pngstack"
)

// reversedPNGStack writes m as a PNG stack whose first file is the last slice, in dir.
func reversedPNGStack(t *testing.T, dir string, m *scan.Mask) {
	t.Helper()
	if err := pngstack.Write(dir, m); err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil || len(names) != m.Dims[2] {
		t.Fatalf("%d PNG files for %d slices (%v)", len(names), m.Dims[2], err)
	}
	sort.Strings(names)
	for i, n := range names {
		if err := os.Rename(n, n+".tmp"); err != nil {
			t.Fatal(err)
		}
		names[i] = n + ".tmp"
	}
	for i, n := range names {
		if err := os.Rename(n, strings.TrimSuffix(names[len(names)-1-i], ".tmp")); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLabelDialogReadsReversedPNGStack: the label dialog's "first file is the last slice" reads
// a reversed PNG stack beside the series the right way up; a bad segment number is an error that
// names the file.
func TestLabelDialogReadsReversedPNGStack(t *testing.T) {
	s, r, q := openReview(t)
	truth := scan.NewMask(r.vol.Dims) // a square of side k+1 on slice k: no two slices alike
	for k := 0; k < truth.Dims[2]; k++ {
		for j := 0; j <= k; j++ {
			for i := 0; i <= k; i++ {
				truth.Set(r.vol.Index(i+2, j+2, k), scan.Liver)
			}
		}
	}
	root := t.TempDir()
	r.vol.Series.Path = filepath.Join(root, "PATIENT_DICOM")
	masks := filepath.Join(root, "MASKS_DICOM", "liver")
	reversedPNGStack(t, masks, truth)
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }

	dialogParts := func() (*widget.Check, *widget.Entry, *widget.Button) {
		r.chooseTruth()
		var (
			check  *widget.Check
			entry  *widget.Entry
			beside *widget.Button
		)
		for _, o := range test.LaidOutObjects(s.win.Canvas().Overlays().Top()) {
			switch w := o.(type) {
			case *widget.Check:
				check = w
			case *widget.Entry:
				entry = w
			case *widget.Button:
				if strings.HasPrefix(w.Text, "The liver mask beside the series") {
					beside = w
				}
			}
		}
		if check == nil || entry == nil || beside == nil {
			t.Fatalf("label dialog: reverse %v, segment %v, mask beside the series %v", check != nil, entry != nil, beside != nil)
		}
		return check, entry, beside
	}

	check, entry, beside := dialogParts()
	test.Type(entry, "two")
	test.Tap(beside)
	drain(t, q, 10*time.Second, "the error", func() bool { return len(errs) > 0 })
	if msg := errorText(errs[0]); !strings.Contains(msg, masks) || !strings.Contains(msg, `segment "two"`) {
		t.Errorf("error %q does not name the folder and the bad segment", msg)
	}
	s.win.Canvas().Overlays().Remove(s.win.Canvas().Overlays().Top())

	if upside, err := labels.Load(masks, r.vol, labels.Options{}); err != nil || upside.Equal(truth) {
		t.Fatalf("read as it lies, the stack must differ from the truth (%v): the test would prove nothing", err)
	}
	check, _, beside = dialogParts()
	test.Tap(check)
	test.Tap(beside)
	drain(t, q, 20*time.Second, "the reversed truth", func() bool { return r.truth != nil })
	if !r.truth.Equal(truth) {
		t.Error("the reversed PNG stack was read upside down")
	}
	if !r.labelOpts.Reverse {
		t.Error("the dialog forgot its choice")
	}
}
