package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestNaturalLess(t *testing.T) {
	want := []string{
		"image_1.png", "image_2.png", "image_02b.png", "image_3.png", "image_10.png", "image_11.png", "image_100.png",
		"IMG_200.png", "img_1000.png",
		"x99999999999999999999999.png", "x100000000000000000000000.png", // longer than any int
	}
	got := slices.Clone(want)
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 20; trial++ {
		rng.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		sort.Slice(got, func(i, j int) bool { return naturalLess(got[i], got[j]) })
		if !slices.Equal(got, want) {
			t.Fatalf("natural order\n got %q\nwant %q", got, want)
		}
	}
	pairs := []struct {
		a, b string
		less bool
	}{
		{"a", "b", true},
		{"a", "a", false},
		{"a", "ab", true},
		{"a2", "a10", true},
		{"a10", "a2", false},
		{"a01", "a1", true}, // equal numbers: byte order decides, so the order is total
		{"a1", "a01", false},
		{"a1b", "a01c", true},
		{"A1", "a1", true}, // equal folded: byte order
		{"1", "a", true},
		{"", "a", true},
	}
	for _, p := range pairs {
		if got := naturalLess(p.a, p.b); got != p.less {
			t.Errorf("naturalLess(%q, %q) = %v", p.a, p.b, got)
		}
	}
	// A strict total order on random names: irreflexive, antisymmetric, transitive.
	alphabet := "a0b1Z9_."
	names := make([]string, 200)
	for i := range names {
		var sb strings.Builder
		for n := rng.Intn(6); n >= 0; n-- {
			sb.WriteByte(alphabet[rng.Intn(len(alphabet))])
		}
		names[i] = sb.String()
	}
	for _, a := range names {
		if naturalLess(a, a) {
			t.Fatalf("naturalLess(%q, %q)", a, a)
		}
		for _, b := range names {
			if a != b && naturalLess(a, b) == naturalLess(b, a) {
				t.Fatalf("%q and %q: not exactly one is less", a, b)
			}
			for _, c := range names[:40] {
				if naturalLess(a, b) && naturalLess(b, c) && !naturalLess(a, c) {
					t.Fatalf("not transitive: %q < %q < %q", a, b, c)
				}
			}
		}
	}
}

func pngTestVolume(w, h, n int) *Volume {
	return &Volume{Dims: [3]int{w, h, n}, Spacing: [3]float64{1, 1, 1}, Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
}

func TestPNGStackRoundTrip(t *testing.T) {
	ref := pngTestVolume(7, 5, 12)
	m := niftiTestMask(ref.Dims)
	dir := filepath.Join(t.TempDir(), "stack")
	if err := WritePNGStack(dir, m); err != nil {
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
	got, err := ReadPNGStack(dir, ref, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Voxels, m.Voxels) {
		t.Fatal("stack differs after the round trip")
	}
	rev, err := ReadPNGStack(dir, ref, true)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 12; k++ {
		if !bytes.Equal(rev.Slice(k), m.Slice(11-k)) {
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
		if want := m.Slice(2)[i] * 255; p != want {
			t.Fatalf("pixel %d = %d, want %d", i, p, want)
		}
	}

	// Rewriting a shorter stack replaces ours and removes the extra slices.
	short := niftiTestMask([3]int{7, 5, 3})
	if err := WritePNGStack(dir, short); err != nil {
		t.Fatal(err)
	}
	got, err = ReadPNGStack(dir, pngTestVolume(7, 5, 3), false)
	if err != nil || !bytes.Equal(got.Voxels, short.Voxels) {
		t.Fatalf("rewritten stack: %v", err)
	}
	// More than 9999 slices would need five digits: names stay sortable either way.
	if a, b := pngSliceName(9, 12000), pngSliceName(10000, 12000); a != "slice_00010.png" || !(a < b) {
		t.Errorf("names %q %q", a, b)
	}
}

func TestWritePNGStackRefusesForeignPNGs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "photo.png"), []byte("x"), 0o644)
	err := WritePNGStack(dir, NewMask([3]int{2, 2, 2}))
	if err == nil || !strings.Contains(err.Error(), "photo.png") {
		t.Fatalf("err = %v, want a refusal naming photo.png", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "slice_0001.png")); !errors.Is(err, os.ErrNotExist) {
		t.Error("wrote slices next to a foreign PNG")
	}
	// Non-PNG files are no obstacle.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "README.txt"), []byte("x"), 0o644)
	if err := WritePNGStack(dir2, NewMask([3]int{2, 2, 2})); err != nil {
		t.Fatal(err)
	}
}

func writeTestPNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPNGStackNaturalOrderAndColours: files named image_1 .. image_12 (lexical order would put
// image_10 second), in every colour model a mask PNG comes in, each marking its slice number.
func TestPNGStackNaturalOrderAndColours(t *testing.T) {
	const w, h, n = 5, 4, 12
	dir := t.TempDir()
	want := NewMask([3]int{w, h, n})
	for k := 0; k < n; k++ {
		r := image.Rect(0, 0, w, h)
		var img image.Image
		x, y := k%w, k%h // slice k marks pixel (x, y) only
		switch k % 6 {
		case 0:
			g := image.NewGray(r)
			g.SetGray(x, y, color.Gray{1})
			img = g
		case 1:
			g := image.NewGray16(r)
			g.SetGray16(x, y, color.Gray16{1})
			img = g
		case 2:
			c := image.NewNRGBA(r)
			for i := range c.Pix {
				if i%4 == 3 {
					c.Pix[i] = 255 // opaque black background
				}
			}
			c.SetNRGBA(x, y, color.NRGBA{0, 0, 9, 255})
			c.SetNRGBA((x+1)%w, y, color.NRGBA{200, 0, 0, 0}) // transparent: not liver
			img = c
		case 3:
			p := image.NewPaletted(r, color.Palette{color.Black, color.RGBA{0, 255, 0, 255}})
			p.SetColorIndex(x, y, 1)
			img = p
		case 4:
			c := image.NewRGBA64(r)
			c.SetRGBA64(x, y, color.RGBA64{0, 1, 0, 0xffff})
			img = c
		case 5:
			c := image.NewRGBA(r)
			c.SetRGBA(x, y, color.RGBA{1, 1, 1, 255})
			img = c
		}
		writeTestPNG(t, filepath.Join(dir, fmt.Sprintf("image_%d.png", k+1)), img)
		want.Voxels[(k*h+y)*w+x] = Liver
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(dir, "._image_1.png"), []byte("macOS metadata, ignored"), 0o644)
	got, err := ReadPNGStack(dir, pngTestVolume(w, h, n), false)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < n; k++ {
		if !bytes.Equal(got.Slice(k), want.Slice(k)) {
			t.Errorf("slice %d: %v, want %v", k, got.Slice(k), want.Slice(k))
		}
	}
}

func TestPNGStackMismatch(t *testing.T) {
	dir := t.TempDir()
	for k := 0; k < 3; k++ {
		writeTestPNG(t, filepath.Join(dir, fmt.Sprintf("m%d.png", k)), image.NewGray(image.Rect(0, 0, 4, 3)))
	}
	cases := []struct {
		ref  *Volume
		want string
	}{
		{pngTestVolume(4, 3, 4), ": 3 PNG files of 4x3: 3 slices, the volume has 4"},
		{pngTestVolume(4, 4, 3), ": 3 PNG files of 4x3: 4x3 pixels, the volume's slices are 4x4"},
		{pngTestVolume(3, 4, 3), ": 3 PNG files of 4x3: 4x3 pixels, the volume's slices are 3x4"}, // a transposed stack
	}
	for _, c := range cases {
		_, err := ReadPNGStack(dir, c.ref, false)
		if !errors.Is(err, ErrGeometry) || !strings.HasPrefix(err.Error(), dir+": ") || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("err = %v, want ErrGeometry ending %q", err, c.want)
		}
	}
	// One file of another size is named.
	writeTestPNG(t, filepath.Join(dir, "m1.png"), image.NewGray(image.Rect(0, 0, 5, 3)))
	if _, err := ReadPNGStack(dir, pngTestVolume(4, 3, 3), false); !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "m1.png") {
		t.Errorf("mixed sizes: %v", err)
	}
	// A corrupt PNG is named, as malformed or truncated.
	writeTestPNG(t, filepath.Join(dir, "m1.png"), image.NewGray(image.Rect(0, 0, 4, 3)))
	good, _ := os.ReadFile(filepath.Join(dir, "m1.png"))
	bad := bytes.Clone(good)
	bad[len(bad)-20] ^= 0xff // inside the image data: the header still reads, the CRC fails
	os.WriteFile(filepath.Join(dir, "m2.png"), bad, 0o644)
	if _, err := ReadPNGStack(dir, pngTestVolume(4, 3, 3), false); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "m2.png") {
		t.Errorf("corrupt: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "m2.png"), good[:len(good)-30], 0o644)
	if _, err := ReadPNGStack(dir, pngTestVolume(4, 3, 3), false); err == nil || !strings.Contains(err.Error(), "m2.png") {
		t.Errorf("truncated: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "m2.png"), []byte("GIF89a"), 0o644)
	if _, err := ReadPNGStack(dir, pngTestVolume(4, 3, 3), false); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "m2.png") {
		t.Errorf("not a PNG: %v", err)
	}
	// No PNG at all.
	if _, err := ReadPNGStack(t.TempDir(), pngTestVolume(4, 3, 3), false); !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "no PNG files") {
		t.Errorf("empty: %v", err)
	}
	// A hostile header (a huge declared size) fails on the size check, before any pixel allocation.
	huge := pngWithSize(good, 1<<30, 1<<30)
	if err := decodePNGSlice("huge.png", bytes.NewReader(huge), 4, 3, make([]uint8, 12)); !errors.Is(err, ErrGeometry) && !errors.Is(err, ErrMalformed) {
		t.Errorf("huge header: %v", err)
	}
}

// pngWithSize rewrites the IHDR width and height of a PNG (and leaves its CRC wrong, which
// DecodeConfig does check: either way the decoder must refuse it cheaply).
func pngWithSize(b []byte, w, h uint32) []byte {
	b = bytes.Clone(b)
	// signature (8) + length (4) + "IHDR" (4), then width and height
	for i, v := range []uint32{w, h} {
		o := 16 + 4*i
		b[o], b[o+1], b[o+2], b[o+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	return b
}

// TestPNGStackRealMasks reads the two 512x512 masks of the u_net_liver set as a two-slice stack
// (linked into a temporary folder, not copied) and, where /usr/bin/python3 has PIL and numpy,
// checks the liver pixel count against PIL's. The RGB CT slices, read as "masks", check the
// any-channel rule against PIL too.
func TestPNGStackRealMasks(t *testing.T) {
	src := filepath.Join(niftiDataDir(t), "slices", "unet_liver")
	for _, kind := range []string{"_mask.png", ".png"} {
		dir := t.TempDir()
		var files []string
		for i, split := range []string{"train", "val"} {
			p := filepath.Join(src, split, "000"+kind)
			if err := os.Symlink(p, filepath.Join(dir, "slice"+strconv.Itoa(i+1)+".png")); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
		m, err := ReadPNGStack(dir, pngTestVolume(512, 512, 2), false)
		if err != nil {
			t.Fatal(err)
		}
		counts := []int{countNonzero(m.Slice(0)), countNonzero(m.Slice(1))}
		t.Logf("%s: liver pixels per slice %v", kind, counts)
		if counts[0] == 0 || counts[1] == 0 {
			t.Fatalf("empty slices: %v", counts)
		}
		out, err := exec.Command(peerPython, append([]string{"-c", `
import sys, numpy as np
from PIL import Image
for f in sys.argv[1:]:
    a = np.array(Image.open(f).convert("RGB"))
    print(int(a.any(axis=2).sum()))
`}, files...)...).Output()
		if err != nil {
			t.Logf("no PIL check: %v", err)
			continue
		}
		if want := strings.Fields(string(out)); len(want) != 2 || want[0] != strconv.Itoa(counts[0]) || want[1] != strconv.Itoa(counts[1]) {
			t.Errorf("%s: PIL counts %v, we count %v", kind, want, counts)
		}
	}
}

func pngFuzzSeeds(t testing.TB) [][]byte {
	r := image.Rect(0, 0, 4, 3)
	imgs := []image.Image{image.NewGray(r), image.NewGray16(r), image.NewNRGBA(r), image.NewRGBA(r),
		image.NewPaletted(r, color.Palette{color.Black, color.White})}
	var seeds [][]byte
	for _, img := range imgs {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, buf.Bytes())
	}
	return seeds
}

func FuzzDecodePNGSlice(f *testing.F) {
	for _, s := range pngFuzzSeeds(f) {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The slice size the caller expects: what the header says when small, else a fixed one
		// (so that hostile sizes reach the size check).
		w, h := 4, 3
		if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width > 0 && cfg.Height > 0 && cfg.Width*cfg.Height <= 1<<16 {
			w, h = cfg.Width, cfg.Height
		}
		dst := make([]uint8, w*h)
		if err := decodePNGSlice("fuzz.png", bytes.NewReader(data), w, h, dst); err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.png: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, v := range dst {
			if v > Liver {
				t.Fatalf("value %d", v)
			}
		}
	})
}
