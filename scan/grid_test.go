package scan

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seriesCopy makes a temporary copy of the series folder src: each file hard-linked (copied where
// links fail), except the files named in drop, left out, and those in patch, written anew as
// patch[name] makes them from the original bytes (never through a link, so the data stays intact).
func seriesCopy(t *testing.T, src string, drop []string, patch map[string]func([]byte) []byte) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		switch {
		case e.IsDir(), contains(drop, name):
		case patch[name] != nil:
			b, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to, patch[name](b), 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			if os.Link(from, to) != nil {
				copyFile(t, from, to)
			}
		}
	}
	return dst
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// replaceOnce swaps old for new (the same length, so no element length changes) where old occurs
// exactly once.
func replaceOnce(t *testing.T, old, new string) func([]byte) []byte {
	return func(b []byte) []byte {
		if len(old) != len(new) || bytes.Count(b, []byte(old)) != 1 {
			t.Fatalf("patch %q -> %q: needs one occurrence and the same length", old, new)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
}

func TestCheckGrid(t *testing.T) {
	p7 := ircad(t, "7", "PATIENT_DICOM")
	tests := []struct {
		name   string
		series string
		want   []string // in the error, in order; none: on the grid
	}{
		{"IRCAD 7", p7, nil},
		{"IRCAD 7 without image_70", seriesCopy(t, p7, []string{"image_70"}, nil),
			[]string{"about 1 missing slices", "3.20 mm between slice 69 (image_69, at 110.40 mm) and slice 70 (image_71, at 113.60 mm)"}},
		{"IRCAD 7 with image_70 0.5 mm off", seriesCopy(t, p7, nil, map[string]func([]byte) []byte{
			"image_70": replaceOnce(t, `0\0\112.00000166893`, `0\0\112.50000166893`)}),
			[]string{"uneven steps", "2.10 mm between slice 69 (image_69, at 110.40 mm) and slice 70 (image_70, at 112.50 mm)"}},
		{"highdicom CT", dataPath(t, "formats/pydicom/dicomdirtests/77654033/CT2"),
			[]string{"of 1.250 mm steps", "about 161 missing slices", "slice 0 (17106, at -99.48 mm) and slice 1 (17136, at 103.02 mm)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := LoadVolume(context.Background(), tc.series, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			err = v.CheckGrid()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("on the grid, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrOffGrid) {
				t.Fatalf("got %v, want ErrOffGrid", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.series+": ") {
				t.Errorf("%q does not name the series", msg)
			}
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q lacks %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
