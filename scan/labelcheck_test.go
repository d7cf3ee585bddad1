package scan

// Regression tests of issue 20's label items: duplicate SOP Instance UIDs (7), SEG frames of a
// segment the file does not list (10c), the DICOM read caps (2) and a label slice placed on an
// uneven series. The items every format shares (the geometry check, stray files, FIFOs) are
// tested through scan/labels.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liverseg/internal/testfiles"
)

// ircadTruth loads IRCAD case patient and its liver mask folder.
func ircadTruth(t *testing.T, patient string) (*Volume, *Mask) {
	t.Helper()
	v, err := LoadVolume(context.Background(), ircad(t, patient, "PATIENT_DICOM"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMaskFolder(ircad(t, patient, "MASKS_DICOM/liver"), v)
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

// replaceFile writes b as path, breaking its hard link first.
func replaceFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSEGDuplicateSOPInstanceUID (issue 20, item 7): when two slices of the CT carry one SOP
// Instance UID, the series warns, naming the UID and both files, and a SEG written for it reads
// back voxel for voxel: the frames of the two slices are placed by position, not both on one.
func TestSEGDuplicateSOPInstanceUID(t *testing.T) {
	_, truth := ircadTruth(t, "7")
	dir := testfiles.SeriesCopy(t, ircad(t, "7", "PATIENT_DICOM"), nil, nil)
	s, err := OpenSeries(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	// DICOM pads an odd-length UID with a NUL: the file holds the padded value.
	padded := func(u string) string {
		if len(u)%2 == 1 {
			return u + "\x00"
		}
		return u
	}
	// The first two neighbouring slices that both hold liver (both have a frame in the SEG) and
	// whose UIDs take as many bytes, so that one can be written over the other in place.
	k := 0
	for ; k+1 < truth.Dims[2]; k++ {
		if truth.SliceCount(k) > 0 && truth.SliceCount(k+1) > 0 &&
			len(padded(s.Series.SOPInstanceUIDs[k])) == len(padded(s.Series.SOPInstanceUIDs[k+1])) {
			break
		}
	}
	if k+1 == truth.Dims[2] {
		t.Fatal("no two neighbouring slices with liver and UIDs of one length")
	}
	first, second := s.Series.Files[k], s.Series.Files[k+1]
	uid, other := s.Series.SOPInstanceUIDs[k], s.Series.SOPInstanceUIDs[k+1]
	b, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte(padded(other))) == 0 {
		t.Fatalf("%s does not hold its UID %s", second, other)
	}
	replaceFile(t, second, bytes.ReplaceAll(b, []byte(padded(other)), []byte(padded(uid))))

	s, err = OpenSeries(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Slices() != truth.Dims[2] {
		t.Fatalf("%d slices, want %d", s.Slices(), truth.Dims[2])
	}
	warned := false
	for _, w := range s.Warnings {
		warned = warned || strings.Contains(w, "duplicate SOP Instance UID") && strings.Contains(w, uid) &&
			strings.Contains(w, first) && strings.Contains(w, second)
	}
	t.Log(s.Warnings)
	if !warned {
		t.Errorf("warnings %q do not name the duplicate UID %s and the files %s and %s", s.Warnings, uid, first, second)
	}
	v, err := s.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "liver.dcm")
	if err := WriteSEG(path, v, truth, LabelMeta{}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSEG(path, v, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(truth) {
		t.Errorf("SEG round trip: slice %d holds %d voxels (want %d), slice %d %d (want %d)", k,
			got.SliceCount(k), truth.SliceCount(k), k+1, got.SliceCount(k+1), truth.SliceCount(k+1))
	}
}

// TestSEGUnknownSegmentNumber (issue 20, item 10c): a frame that names segment 9, which the SEG's
// SegmentSequence does not list, is an error naming the frame and the number, not a frame skipped.
func TestSEGUnknownSegmentNumber(t *testing.T) {
	v, truth := ircadTruth(t, "7")
	path := filepath.Join(t.TempDir(), "liver.dcm")
	if err := WriteSEG(path, v, truth, LabelMeta{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	patchUS(t, b, 0x0062, 0x000B, 9) // the first ReferencedSegmentNumber: frame 1's
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadSEG(path, v, 0)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("frame of segment 9: err = %v (mask %v), want ErrMalformed", err, m != nil)
	}
	for _, w := range []string{path, "frame 1 ", "segment 9"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	t.Log(err)
}

// TestDICOMReadCaps (issue 20, item 2): a DICOMDIR beyond MaxDICOMDIRBytes and a sparse SEG beyond
// MaxDICOMBytes are refused from their size, at once, before a byte is read.
func TestDICOMReadCaps(t *testing.T) {
	ref := segTestVolume([3]int{13, 7, 6})
	for _, tc := range []struct {
		name string
		size int64
		read func(string) error
	}{
		{"DICOMDIR", MaxDICOMDIRBytes + 1, func(p string) error { _, err := Discover(context.Background(), p); return err }},
		{"huge.dcm", MaxDICOMBytes + 1, func(p string) error { _, err := ReadSEG(p, ref, 0); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(tc.size); err != nil {
				t.Fatal(err)
			}
			f.Close()
			start := time.Now()
			err = tc.read(path)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path) {
				t.Errorf("%d bytes: err = %v, want ErrTooLarge naming the file", tc.size, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refused after %v, want at once", d)
			}
			t.Log(err)
		})
	}
}

// TestLabelSliceUnevenSeries: a label slice is placed on the series slice at its position, by the
// slices' own positions, also where the series' steps are uneven (the highdicom CT: z = -99.48,
// 103.02, 104.27, 105.52), where the even grid from the first slice lies 200 mm off.
func TestLabelSliceUnevenSeries(t *testing.T) {
	ref := loadSEGSource(t, segSourceUneven(t))
	if len(ref.Series.Positions) != ref.Dims[2] {
		t.Fatalf("%d positions for %d slices", len(ref.Series.Positions), ref.Dims[2])
	}
	for k, p := range ref.Series.Positions {
		got, err := labelSlice(ref, p, fmt.Sprintf("slice %d", k))
		if err != nil || got != k {
			t.Errorf("slice %d at %v: placed on %d (%v)", k, p, got, err)
		}
	}
	// Halfway between two slices 1.25 mm apart is on none.
	mid := ref.Series.Positions[1]
	mid[2] = (ref.Series.Positions[1][2] + ref.Series.Positions[2][2]) / 2
	if _, err := labelSlice(ref, mid, "between"); !errors.Is(err, ErrGeometry) {
		t.Errorf("a position between slices: %v, want ErrGeometry", err)
	}
}
