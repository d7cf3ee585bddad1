package pngstack

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/scan"
	"liverseg/scan/internal/scantest"
)

func TestRoundTrip(t *testing.T) {
	ref := testVolume(7, 5, 12)
	m := scantest.Mask(ref.Dims)
	dir := filepath.Join(t.TempDir(), "stack")
	if err := Write(dir, m); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 12 || names[0] != "slice_0001.png" || names[11] != "slice_0012.png" {
		t.Fatalf("files %q", names)
	}
	got, err := Read(dir, ref, false)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(m) {
		t.Fatal("stack differs after the round trip")
	}
	rev, err := Read(dir, ref, true)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 12; k++ {
		if !bytes.Equal(rev.SliceInto(k, nil), m.SliceInto(11-k, nil)) {
			t.Fatalf("reverse: slice %d is not file %d", k, 11-k)
		}
	}
	// The written files are 8-bit gray, 0 and 255.
	f, _ := os.Open(filepath.Join(dir, "slice_0003.png"))
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("written as %T, want *image.Gray", img)
	}
	for i, p := range g.Pix {
		if want := m.SliceInto(2, nil)[i] * 255; p != want {
			t.Fatalf("pixel %d = %d, want %d", i, p, want)
		}
	}

	// Rewriting a shorter stack replaces ours and removes the extra slices.
	short := scantest.Mask([3]int{7, 5, 3})
	if err := Write(dir, short); err != nil {
		t.Fatal(err)
	}
	got, err = Read(dir, testVolume(7, 5, 3), false)
	if err != nil || !got.Equal(short) {
		t.Fatalf("rewritten stack: %v", err)
	}
	// More than 9999 slices would need five digits: names stay sortable either way.
	if a, b := sliceName(9, 12000), sliceName(10000, 12000); a != "slice_00010.png" || !(a < b) {
		t.Errorf("names %q %q", a, b)
	}
}

func TestWriteRefusesForeignPNGs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "photo.png"), []byte("x"), 0o644)
	err := Write(dir, scan.NewMask([3]int{2, 2, 2}))
	if err == nil || !strings.Contains(err.Error(), "photo.png") {
		t.Fatalf("err = %v, want a refusal naming photo.png", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "slice_0001.png")); !errors.Is(err, os.ErrNotExist) {
		t.Error("wrote slices next to a foreign PNG")
	}
	// Non-PNG files are no obstacle.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "README.txt"), []byte("x"), 0o644)
	if err := Write(dir2, scan.NewMask([3]int{2, 2, 2})); err != nil {
		t.Fatal(err)
	}
}
