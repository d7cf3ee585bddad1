package labels

// Regression tests of issue 20's label items, through the format detection and dispatch: one
// geometry check for every label reader (4), a stray file in a label folder (10d), special files
// given as labels (2, 8), and a SEG written from a NIfTI label (12).

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/internal/testenv"
	"liverseg/internal/testfiles"
	"liverseg/scan"
	"liverseg/scan/internal/scantest"
	"liverseg/scan/nifti"
	"liverseg/scan/pngstack"
)

// loadVolume loads the series in dir.
func loadVolume(t *testing.T, dir string) *scan.Volume {
	t.Helper()
	v, err := scan.LoadVolume(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ircadTruth loads IRCAD case patient and its liver mask folder.
func ircadTruth(t *testing.T, patient int) (*scan.Volume, *scan.Mask) {
	t.Helper()
	v := loadVolume(t, testenv.IRCAD(t, patient, "PATIENT_DICOM"))
	m, err := LoadAs(testenv.IRCAD(t, patient, "MASKS_DICOM", "liver"), FormatMaskFolder, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

// TestGeometryRefusedEveryFormat (issue 20, item 4): case 7's liver mask, at 0.782 mm
// pixels, against case 1's CT, at 0.57 mm, is refused in every format, the mask folder included,
// with an error that names the file and what differs; so is case 1's mask folder on case 7's CT,
// which the mask folder reader used to accept.
func TestGeometryRefusedEveryFormat(t *testing.T) {
	v1, _ := ircadTruth(t, 1)
	v7, m7 := ircadTruth(t, 7)
	dir := t.TempDir()
	nii := filepath.Join(dir, "liver7.nii.gz")
	seg := filepath.Join(dir, "liver7.dcm")
	png := filepath.Join(dir, "liver7-png")
	for _, err := range []error{
		nifti.WriteLabel(nii, v7, m7),
		scan.WriteSEG(seg, v7, m7, scan.LabelMeta{}),
		pngstack.Write(png, m7),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	folder := testenv.IRCAD(t, 7, "MASKS_DICOM", "liver")
	tests := []struct {
		format Format
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
		path := testenv.IRCAD(t, 1, "MASKS_DICOM", "liver")
		_, err := Load(path, v7, Options{})
		if !errors.Is(err, scan.ErrGeometry) || !strings.HasPrefix(err.Error(), path) ||
			!strings.Contains(err.Error(), "pixel spacing 0.57x0.57 mm") || !strings.Contains(err.Error(), "the volume's 0.782x0.782 mm") {
			t.Fatalf("case 1's mask on case 7: err = %v, want scan.ErrGeometry naming both pixel spacings", err)
		}
	})
	for _, tc := range tests {
		t.Run(string(tc.format), func(t *testing.T) {
			if f, err := Detect(tc.path); err != nil || f != tc.format {
				t.Fatalf("format %q, %v; want %q", f, err, tc.format)
			}
			m, err := Load(tc.path, v1, Options{})
			if !errors.Is(err, scan.ErrGeometry) {
				t.Fatalf("case 7's mask on case 1: err = %v (mask %v), want scan.ErrGeometry", err, m != nil)
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
			if m, err := Load(tc.path, v7, Options{}); err != nil || !m.Equal(m7) {
				t.Errorf("on its own CT: err = %v", err)
			}
		})
	}
}

// TestFolderStrayFiles (issue 20, item 10d): a folder is read in the format most of its files
// have, and the files left out are named in the mask's warnings; as many of one kind as of the
// other is an error.
func TestFolderStrayFiles(t *testing.T) {
	v, truth := ircadTruth(t, 7)
	readme := func(t *testing.T, path string) {
		t.Helper()
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
			t.Fatal(err)
		}
	}

	dicoms := testfiles.SeriesCopy(t, testenv.IRCAD(t, 7, "MASKS_DICOM", "liver"), nil, nil)
	readme(t, filepath.Join(dicoms, "README.png"))

	pngs := filepath.Join(t.TempDir(), "stack")
	if err := pngstack.Write(pngs, truth); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(testenv.IRCAD(t, 7, "MASKS_DICOM", "liver"), "image_0"), filepath.Join(pngs, "image_0")); err != nil {
		b, _ := os.ReadFile(filepath.Join(testenv.IRCAD(t, 7, "MASKS_DICOM", "liver"), "image_0"))
		os.WriteFile(filepath.Join(pngs, "image_0"), b, 0o644)
	}

	for _, tc := range []struct {
		name, dir, stray string
		format           Format
	}{
		{"DICOM masks and a README.png", dicoms, "README.png", FormatMaskFolder},
		{"a PNG stack and a DICOM file", pngs, "image_0", FormatPNG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f, err := Detect(tc.dir); err != nil || f != tc.format {
				t.Fatalf("format %q, %v; want %q", f, err, tc.format)
			}
			m, err := Load(tc.dir, v, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !m.Equal(truth) {
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
	if f, err := Detect(tie); err == nil || !strings.Contains(err.Error(), "README.png") || !strings.Contains(err.Error(), "image_0") {
		t.Errorf("one PNG and one DICOM file: format %q, err = %v; want an error naming both", f, err)
	}
}

// TestFIFO (issue 20, items 2 and 8): a FIFO given as a label, in any format, is
// refused at once with scan.ErrNotRegular; one inside a label folder is left out without blocking.
func TestFIFO(t *testing.T) {
	v, truth := ircadTruth(t, 7)
	dir := t.TempDir()
	for _, name := range []string{"x.nii", "x.nii.gz", "x.dcm", "x"} {
		testfiles.MkFIFO(t, filepath.Join(dir, name))
	}
	for _, tc := range []struct {
		name string
		read func() error
	}{
		{"Load x.nii", func() error { _, err := Load(filepath.Join(dir, "x.nii"), v, Options{}); return err }},
		{"Load x.dcm", func() error { _, err := Load(filepath.Join(dir, "x.dcm"), v, Options{}); return err }},
		{"Load x", func() error { _, err := Load(filepath.Join(dir, "x"), v, Options{}); return err }},
		{"nifti.ReadLabel", func() error { _, err := nifti.ReadLabel(filepath.Join(dir, "x.nii.gz"), v); return err }},
		{"nifti.ReadVolume", func() error { _, err := nifti.ReadVolume(filepath.Join(dir, "x.nii")); return err }},
		{"scan.ReadSEG", func() error { _, err := scan.ReadSEG(filepath.Join(dir, "x.dcm"), v, 0); return err }},
		{"scan.ReadMaskFolder of a FIFO", func() error { _, err := scan.ReadMaskFolder(filepath.Join(dir, "x"), v); return err }},
		{"pngstack.Read of a FIFO", func() error { _, err := pngstack.Read(filepath.Join(dir, "x"), v, false); return err }},
	} {
		err := scantest.Within(t, 5*time.Second, tc.name, tc.read)
		if !errors.Is(err, scan.ErrNotRegular) {
			t.Errorf("%s: err = %v, want scan.ErrNotRegular", tc.name, err)
		}
	}

	// A FIFO among the files of a label folder is left out; the rest reads.
	masks := testfiles.SeriesCopy(t, testenv.IRCAD(t, 7, "MASKS_DICOM", "liver"), nil, nil)
	testfiles.MkFIFO(t, filepath.Join(masks, "image_fifo"))
	stack := filepath.Join(t.TempDir(), "stack")
	if err := pngstack.Write(stack, truth); err != nil {
		t.Fatal(err)
	}
	testfiles.MkFIFO(t, filepath.Join(stack, "x.png"))
	for _, folder := range []string{masks, stack} {
		var m *scan.Mask
		err := scantest.Within(t, 10*time.Second, folder, func() (err error) {
			m, err = Load(folder, v, Options{})
			return err
		})
		if err != nil || !m.Equal(truth) {
			t.Errorf("%s with a FIFO inside: err = %v", folder, err)
		}
	}

}

// TestEntriesRefuseFIFO (issue 20, item 8): the entries that take a user's label path refuse a
// FIFO at once, whatever its name says it is.
func TestEntriesRefuseFIFO(t *testing.T) {
	ref := &scan.Volume{Dims: [3]int{2, 2, 1}, Spacing: [3]float64{1, 1, 1}, Voxels: make([]int16, 4),
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	scantest.RefuseFIFO(t, map[string]func(string) error{
		"Detect":     func(p string) error { _, err := Detect(p); return err },
		"Load":       func(p string) error { _, err := Load(p, ref, Options{}); return err },
		"LoadAs SEG": func(p string) error { _, err := LoadAs(p, FormatSEG, ref, Options{}); return err },
	})
}

// TestSEGThroughNIfTI (issue 20, item 12): the way `convert --in label.nii.gz --out x.dcm` goes —
// the label written as NIfTI, the series read again, the NIfTI read and written as SEG — gives the
// SEG the StudyInstanceUID of one written directly, where the CT (TotalSegmentator's Siemens
// series) has none: the UID is derived from the CT, not from the way the label came.
func TestSEGThroughNIfTI(t *testing.T) {
	dir := testenv.Data(t, "ct", "totalseg", "example_ct_dicom")
	siemens := loadVolume(t, dir)
	if siemens.Series.StudyUID != "" {
		t.Fatal("the Siemens series has a StudyInstanceUID: the test needs it missing")
	}
	// Soft tissue (40..200 HU): a mask of real shape on every slice.
	m := scan.NewMask(siemens.Dims)
	for i, v := range siemens.Voxels {
		if v >= 40 && v <= 200 {
			m.Set(i, scan.Liver)
		}
	}
	tmp := t.TempDir()
	direct := filepath.Join(tmp, "direct.dcm")
	if err := Write(direct, FormatSEG, siemens, m, scan.LabelMeta{AlgorithmType: scan.AlgorithmAutomatic}); err != nil {
		t.Fatal(err)
	}
	nii := filepath.Join(tmp, "label.nii.gz")
	if err := Write(nii, FormatNIfTI, siemens, m, scan.LabelMeta{}); err != nil {
		t.Fatal(err)
	}
	again := loadVolume(t, dir)
	fromNIfTI, err := Load(nii, again, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !fromNIfTI.Equal(m) {
		t.Fatal("the NIfTI label differs from the mask written")
	}
	segPath := filepath.Join(tmp, "from-nifti.dcm")
	if err := Write(segPath, FormatSEG, again, fromNIfTI, scan.LabelMeta{}); err != nil {
		t.Fatal(err)
	}
	sa, sb := studyUID(t, direct), studyUID(t, segPath)
	if !strings.HasPrefix(sa, "2.25.") || sa != sb {
		t.Errorf("StudyInstanceUID %q of the SEG, %q of the NIfTI-derived SEG, want one 2.25 UID", sa, sb)
	}
}

// studyUID reads the StudyInstanceUID of a DICOM file, without its padding.
func studyUID(t *testing.T, path string) string {
	t.Helper()
	ds, err := dicom.ParseFile(path, nil, dicom.SkipPixelData())
	if err != nil {
		t.Fatal(err)
	}
	el, err := ds.FindElementByTag(tag.StudyInstanceUID)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return strings.TrimRight(strings.Join(dicom.MustGetStrings(el.Value), ""), "\x00 ")
}
