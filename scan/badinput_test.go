package scan

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan/internal/vec3"
)

// copySlices copies the named IRCAD slice files of a patient into dir.
func copySlices(t *testing.T, patient, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(ircad(t, patient, "PATIENT_DICOM"), n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func discover(t *testing.T, dir string) *Catalog {
	t.Helper()
	cat, err := Discover(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func hasWarning(s *SeriesEntry, sub string) bool {
	for _, w := range s.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestSeriesWithProblems(t *testing.T) {
	five := []string{"image_10", "image_11", "image_12", "image_13", "image_14"}

	t.Run("truncated file is named, the rest loads", func(t *testing.T) {
		dir := t.TempDir()
		copySlices(t, "7", dir, five...)
		p := filepath.Join(dir, "image_12")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, b[:len(b)/2], 0o644)
		cat := discover(t, dir)
		if len(cat.Problems) != 1 || !errors.Is(cat.Problems[0], ErrTruncated) || !strings.Contains(cat.Problems[0].Error(), "image_12") {
			t.Fatalf("problems %v, want image_12 truncated", cat.Problems)
		}
		if len(cat.Series) != 1 || cat.Series[0].Slices() != 4 || !hasWarning(cat.Series[0], "missing slices") {
			t.Fatalf("series %+v, want 4 slices with a missing-slice warning", cat.Series)
		}
		if _, err := cat.Series[0].Load(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("non-DICOM files are listed and skipped", func(t *testing.T) {
		dir := t.TempDir()
		copySlices(t, "7", dir, five...)
		os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("radiologist's notes"), 0o644)
		os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644)
		cat := discover(t, dir)
		if len(cat.NotDICOM) != 2 || len(cat.Series) != 1 || cat.Series[0].Slices() != 5 {
			t.Fatalf("not DICOM %v, series %d", cat.NotDICOM, len(cat.Series))
		}
	})

	t.Run("missing slice warns", func(t *testing.T) {
		dir := t.TempDir()
		copySlices(t, "7", dir, "image_10", "image_11", "image_13", "image_14")
		cat := discover(t, dir)
		if len(cat.Series) != 1 || !hasWarning(cat.Series[0], "missing slices: about 1") {
			t.Fatalf("warnings %v", cat.Series[0].Warnings)
		}
		if s := cat.Series[0].Spacing[2]; s < 1.59 || s > 1.61 {
			t.Errorf("slice step %v, want 1.6", s)
		}
	})

	t.Run("duplicate position warns and keeps one", func(t *testing.T) {
		dir := t.TempDir()
		copySlices(t, "7", dir, five...)
		b, _ := os.ReadFile(filepath.Join(dir, "image_12"))
		os.WriteFile(filepath.Join(dir, "image_12_copy"), b, 0o644)
		cat := discover(t, dir)
		if cat.Series[0].Slices() != 5 || !hasWarning(cat.Series[0], "duplicate positions") {
			t.Fatalf("slices %d, warnings %v", cat.Series[0].Slices(), cat.Series[0].Warnings)
		}
	})

	t.Run("mixed series split by SeriesInstanceUID", func(t *testing.T) {
		dir := t.TempDir()
		copySlices(t, "7", filepath.Join(dir, "a"), "image_1", "image_2", "image_3")
		copySlices(t, "1", filepath.Join(dir, "a"), "image_5", "image_6")
		cat := discover(t, dir)
		if len(cat.Series) != 2 {
			t.Fatalf("%d series, want 2", len(cat.Series))
		}
		_, err := OpenSeries(context.Background(), dir, "")
		if err == nil || !strings.Contains(err.Error(), "2 series found") {
			t.Fatalf("OpenSeries of a mixed folder: %v", err)
		}
	})

	t.Run("slices sort by position, not by name", func(t *testing.T) {
		dir := t.TempDir()
		copySlices(t, "7", dir, five...)
		// Rename so that file names run against the positions.
		for i, n := range five {
			os.Rename(filepath.Join(dir, n), filepath.Join(dir, string(rune('z'-i))))
		}
		cat := discover(t, dir)
		s := cat.Series[0]
		if s.Slices() != 5 || len(s.Warnings) != 0 {
			t.Fatalf("slices %d warnings %v", s.Slices(), s.Warnings)
		}
		for k := 1; k < 5; k++ {
			if d := vec3.Dot(vec3.Sub(s.frames[k].Position, s.frames[k-1].Position), s.Direction[2]); d <= 0 {
				t.Fatalf("slice %d is not after slice %d along the normal", k, k-1)
			}
		}
	})
}

// patchUS sets the first explicit-VR-LE US element with tag (g,e) in b to v.
func patchUS(t *testing.T, b []byte, g, e uint16, v uint16) {
	t.Helper()
	pat := make([]byte, 6)
	binary.LittleEndian.PutUint16(pat, g)
	binary.LittleEndian.PutUint16(pat[2:], e)
	copy(pat[4:], "US")
	i := bytes.Index(b, pat)
	if i < 0 {
		t.Fatalf("tag %04x,%04x not found", g, e)
	}
	binary.LittleEndian.PutUint16(b[i+8:], v)
}

func TestHostileHeaders(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(ircad(t, "7", "PATIENT_DICOM"), "image_0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("absurd matrix size", func(t *testing.T) {
		b := append([]byte(nil), src...)
		patchUS(t, b, 0x0028, 0x0010, 65535) // Rows
		patchUS(t, b, 0x0028, 0x0011, 65535) // Columns
		_, err := parseDICOMFrames(t, b)
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want a size error", err)
		}
	})
	t.Run("element longer than the file", func(t *testing.T) {
		b := append([]byte(nil), src...)
		// (0008,0060) Modality CS: make its 2-byte length huge.
		i := bytes.Index(b, []byte{0x08, 0x00, 0x60, 0x00, 'C', 'S'})
		if i < 0 {
			t.Skip("no Modality element")
		}
		binary.LittleEndian.PutUint16(b[i+6:], 0xFFF0)
		b = b[:i+200]
		_, err := parseDICOMFrames(t, b)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("err = %v, want ErrTruncated", err)
		}
	})
	t.Run("four gigabyte pixel data in a small file", func(t *testing.T) {
		b := append([]byte(nil), src...)
		i := bytes.LastIndex(b, []byte{0xE0, 0x7F, 0x10, 0x00, 'O', 'W'})
		if i < 0 {
			t.Fatal("no pixel data")
		}
		binary.LittleEndian.PutUint32(b[i+8:], 0xFFFFFFF0)
		_, err := parseDICOMFrames(t, b)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("err = %v, want ErrTruncated", err)
		}
	})
	t.Run("every truncation", func(t *testing.T) {
		for _, n := range []int{0, 10, 128, 132, 140, 300, 700, 1000, 2000, len(src) - 1000, len(src) - 1} {
			if n > len(src) {
				continue
			}
			if _, err := parseDICOMFrames(t, src[:n]); err == nil {
				t.Errorf("%d of %d bytes parsed without error", n, len(src))
			}
		}
	})
}

// parseDICOMFrames parses b as a whole file and lists its frames, as discovery does.
func parseDICOMFrames(t *testing.T, b []byte) ([]frameInfo, error) {
	t.Helper()
	df, err := parseDICOM("test.dcm", b, int64(len(b)))
	if err != nil {
		return nil, err
	}
	fr, err := imageFrames(df)
	if err == nil && len(fr) == 0 {
		err = errors.New("no frames")
	}
	return fr, err
}

func TestTotalSegmentatorGeometry(t *testing.T) {
	cat := discover(t, testenv.Data(t, "ct", "totalseg", "example_ct_dicom"))
	if len(cat.Series) != 1 {
		t.Fatalf("%d series, problems %v", len(cat.Series), cat.Problems)
	}
	s := cat.Series[0]
	if s.Slices() != 20 || s.Thickness != 3 {
		t.Errorf("slices %d thickness %v", s.Slices(), s.Thickness)
	}
	if d := s.Spacing[2]; d < 1.999 || d > 2.001 {
		t.Errorf("slice step %v mm, want 2 (positions), not 3 (SliceThickness)", d)
	}
	v, err := s.Load(context.Background(), nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	// Unsigned JPEG 2000 with intercept -1024: air is -1024 HU, never below.
	if lo, hi := HURange(v); lo != -1024 || hi < 1000 {
		t.Errorf("HU %d..%d, want -1024..(bone above 1000)", lo, hi)
	}
	comparePydicomVoxels(t, v)
}
