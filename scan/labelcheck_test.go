package scan

// Regression tests of issue 20's label items: one geometry check for every label reader (4),
// duplicate SOP Instance UIDs (7), SEG frames of a segment the file does not list (10c), a stray
// file in a mask folder (10d), and special files given as labels (2, 8).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
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

// TestLabelGeometryRefusedEveryFormat (issue 20, item 4): case 7's liver mask, at 0.782 mm
// pixels, against case 1's CT, at 0.57 mm, is refused in every format, the mask folder included,
// with an error that names the file and what differs; so is case 1's mask folder on case 7's CT,
// which the mask folder reader used to accept.
func TestLabelGeometryRefusedEveryFormat(t *testing.T) {
	v1, _ := ircadTruth(t, "1")
	v7, m7 := ircadTruth(t, "7")
	dir := t.TempDir()
	nii := filepath.Join(dir, "liver7.nii.gz")
	seg := filepath.Join(dir, "liver7.dcm")
	png := filepath.Join(dir, "liver7-png")
	for _, err := range []error{
		WriteNIfTILabel(nii, v7, m7),
		WriteSEG(seg, v7, m7, LabelMeta{}),
		WritePNGStack(png, m7),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	folder := ircad(t, "7", "MASKS_DICOM/liver")
	tests := []struct {
		format LabelFormat
		path   string
		want   []string // what the message must say besides the file
	}{
		{FormatMaskFolder, folder, []string{"pixel spacing 0.782x0.782 mm", "the volume's 0.57x0.57 mm"}},
		{FormatSEG, seg, []string{"pixel spacing 0.782x0.782 mm", "the volume's 0.57x0.57 mm"}},
		{FormatNIfTI, nii, []string{"151 slices, the volume has 129", "spacing 0.782x0.782"}},
		{FormatPNG, png, []string{"151 slices, the volume has 129"}},
	}
	// Case 1's 129 mask slices all lie on slices of case 7's 151 (both 1.6 mm apart from z = 0):
	// only the pixel spacing tells them apart.
	t.Run("dicom-folder, every slice on a slice", func(t *testing.T) {
		path := ircad(t, "1", "MASKS_DICOM/liver")
		_, err := LoadLabel(path, v7, LabelOptions{})
		if !errors.Is(err, ErrGeometry) || !strings.HasPrefix(err.Error(), path) ||
			!strings.Contains(err.Error(), "pixel spacing 0.57x0.57 mm") || !strings.Contains(err.Error(), "the volume's 0.782x0.782 mm") {
			t.Fatalf("case 1's mask on case 7: err = %v, want ErrGeometry naming both pixel spacings", err)
		}
	})
	for _, tc := range tests {
		t.Run(string(tc.format), func(t *testing.T) {
			if f, err := DetectLabelFormat(tc.path); err != nil || f != tc.format {
				t.Fatalf("format %q, %v; want %q", f, err, tc.format)
			}
			m, err := LoadLabel(tc.path, v1, LabelOptions{})
			if !errors.Is(err, ErrGeometry) {
				t.Fatalf("case 7's mask on case 1: err = %v (mask %v), want ErrGeometry", err, m != nil)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.path) {
				t.Errorf("error %q does not start with the label's path %s", msg, tc.path)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			t.Log(msg)
			// The same label on its own CT reads.
			if m, err := LoadLabel(tc.path, v7, LabelOptions{}); err != nil || !bytes.Equal(m.Voxels, m7.Voxels) {
				t.Errorf("on its own CT: err = %v", err)
			}
		})
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
		if count(truth.Slice(k)) > 0 && count(truth.Slice(k+1)) > 0 &&
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
	if !bytes.Equal(got.Voxels, truth.Voxels) {
		t.Errorf("SEG round trip: slice %d holds %d voxels (want %d), slice %d %d (want %d)", k,
			count(got.Slice(k)), count(truth.Slice(k)), k+1, count(got.Slice(k+1)), count(truth.Slice(k+1)))
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

// TestMaskFolderStrayFiles (issue 20, item 10d): a folder is read in the format most of its files
// have, and the files left out are named in the mask's warnings; as many of one kind as of the
// other is an error.
func TestMaskFolderStrayFiles(t *testing.T) {
	v, truth := ircadTruth(t, "7")
	readme := func(t *testing.T, path string) { writeTestPNG(t, path, image.NewGray(image.Rect(0, 0, 8, 8))) }

	dicoms := testfiles.SeriesCopy(t, ircad(t, "7", "MASKS_DICOM/liver"), nil, nil)
	readme(t, filepath.Join(dicoms, "README.png"))

	pngs := filepath.Join(t.TempDir(), "stack")
	if err := WritePNGStack(pngs, truth); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(ircad(t, "7", "MASKS_DICOM/liver"), "image_0"), filepath.Join(pngs, "image_0")); err != nil {
		b, _ := os.ReadFile(filepath.Join(ircad(t, "7", "MASKS_DICOM/liver"), "image_0"))
		os.WriteFile(filepath.Join(pngs, "image_0"), b, 0o644)
	}

	for _, tc := range []struct {
		name, dir, stray string
		format           LabelFormat
	}{
		{"DICOM masks and a README.png", dicoms, "README.png", FormatMaskFolder},
		{"a PNG stack and a DICOM file", pngs, "image_0", FormatPNG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f, err := DetectLabelFormat(tc.dir); err != nil || f != tc.format {
				t.Fatalf("format %q, %v; want %q", f, err, tc.format)
			}
			m, err := LoadLabel(tc.dir, v, LabelOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.Voxels, truth.Voxels) {
				t.Errorf("the mask differs from the truth")
			}
			if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], tc.stray) || !strings.HasPrefix(m.Warnings[0], tc.dir) {
				t.Errorf("warnings %q, want one naming %s in %s", m.Warnings, tc.stray, tc.dir)
			}
		})
	}

	tie := t.TempDir()
	readme(t, filepath.Join(tie, "README.png"))
	if err := os.Link(filepath.Join(dicoms, "image_0"), filepath.Join(tie, "image_0")); err != nil {
		t.Fatal(err)
	}
	if f, err := DetectLabelFormat(tie); err == nil || !strings.Contains(err.Error(), "README.png") || !strings.Contains(err.Error(), "image_0") {
		t.Errorf("one PNG and one DICOM file: format %q, err = %v; want an error naming both", f, err)
	}
}

// within runs f and fails the test when it has not returned after d: a read that blocks must not
// hang the test (the goroutine is left behind, blocked, when it does).
func within(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %v", what, d)
		return nil
	}
}

// TestLabelSpecialFiles (issue 20, items 2 and 8): a FIFO given as a label, in any format, is
// refused at once with ErrNotRegular; one inside a label folder is left out without blocking.
func TestLabelFIFO(t *testing.T) {
	v, truth := ircadTruth(t, "7")
	dir := t.TempDir()
	for _, name := range []string{"x.nii", "x.nii.gz", "x.dcm", "x"} {
		testfiles.MkFIFO(t, filepath.Join(dir, name))
	}
	for _, tc := range []struct {
		name string
		read func() error
	}{
		{"LoadLabel x.nii", func() error { _, err := LoadLabel(filepath.Join(dir, "x.nii"), v, LabelOptions{}); return err }},
		{"LoadLabel x.dcm", func() error { _, err := LoadLabel(filepath.Join(dir, "x.dcm"), v, LabelOptions{}); return err }},
		{"LoadLabel x", func() error { _, err := LoadLabel(filepath.Join(dir, "x"), v, LabelOptions{}); return err }},
		{"ReadNIfTILabel", func() error { _, err := ReadNIfTILabel(filepath.Join(dir, "x.nii.gz"), v); return err }},
		{"ReadNIfTIVolume", func() error { _, err := ReadNIfTIVolume(filepath.Join(dir, "x.nii")); return err }},
		{"ReadSEG", func() error { _, err := ReadSEG(filepath.Join(dir, "x.dcm"), v, 0); return err }},
		{"ReadMaskFolder of a FIFO", func() error { _, err := ReadMaskFolder(filepath.Join(dir, "x"), v); return err }},
		{"ReadPNGStack of a FIFO", func() error { _, err := ReadPNGStack(filepath.Join(dir, "x"), v, false); return err }},
	} {
		err := within(t, 5*time.Second, tc.name, tc.read)
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: err = %v, want ErrNotRegular", tc.name, err)
		}
	}

	// A FIFO among the files of a label folder is left out; the rest reads.
	masks := testfiles.SeriesCopy(t, ircad(t, "7", "MASKS_DICOM/liver"), nil, nil)
	testfiles.MkFIFO(t, filepath.Join(masks, "image_fifo"))
	stack := filepath.Join(t.TempDir(), "stack")
	if err := WritePNGStack(stack, truth); err != nil {
		t.Fatal(err)
	}
	testfiles.MkFIFO(t, filepath.Join(stack, "x.png"))
	for _, folder := range []string{masks, stack} {
		var m *Mask
		err := within(t, 10*time.Second, folder, func() (err error) {
			m, err = LoadLabel(folder, v, LabelOptions{})
			return err
		})
		if err != nil || !bytes.Equal(m.Voxels, truth.Voxels) {
			t.Errorf("%s with a FIFO inside: err = %v", folder, err)
		}
	}

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
