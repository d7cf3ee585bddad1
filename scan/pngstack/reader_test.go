package pngstack

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
)

func testVolume(w, h, n int) *scan.Volume {
	return &scan.Volume{Dims: [3]int{w, h, n}, Spacing: [3]float64{1, 1, 1}, Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
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

// TestNaturalOrderAndColours: files named image_1 .. image_12 (lexical order would put
// image_10 second), in every colour model a mask PNG comes in, each marking its slice number.
func TestNaturalOrderAndColours(t *testing.T) {
	const w, h, n = 5, 4, 12
	dir := t.TempDir()
	want := scan.NewMask([3]int{w, h, n})
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
		want.Set((k*h+y)*w+x, scan.Liver)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(dir, "._image_1.png"), []byte("macOS metadata, ignored"), 0o644)
	got, err := Read(dir, testVolume(w, h, n), false)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < n; k++ {
		if !bytes.Equal(got.SliceInto(k, nil), want.SliceInto(k, nil)) {
			t.Errorf("slice %d: %v, want %v", k, got.SliceInto(k, nil), want.SliceInto(k, nil))
		}
	}
}

func TestMismatch(t *testing.T) {
	dir := t.TempDir()
	for k := 0; k < 3; k++ {
		writeTestPNG(t, filepath.Join(dir, fmt.Sprintf("m%d.png", k)), image.NewGray(image.Rect(0, 0, 4, 3)))
	}
	cases := []struct {
		ref  *scan.Volume
		want string
	}{
		{testVolume(4, 3, 4), ": 3 PNG files of 4x3: 3 slices, the volume has 4"},
		{testVolume(4, 4, 3), ": 3 PNG files of 4x3: 4x3 pixels, the volume's slices are 4x4"},
		{testVolume(3, 4, 3), ": 3 PNG files of 4x3: 4x3 pixels, the volume's slices are 3x4"}, // a transposed stack
	}
	for _, c := range cases {
		_, err := Read(dir, c.ref, false)
		if !errors.Is(err, scan.ErrGeometry) || !strings.HasPrefix(err.Error(), dir+": ") || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("err = %v, want scan.ErrGeometry ending %q", err, c.want)
		}
	}
	// One file of another size is named.
	writeTestPNG(t, filepath.Join(dir, "m1.png"), image.NewGray(image.Rect(0, 0, 5, 3)))
	if _, err := Read(dir, testVolume(4, 3, 3), false); !errors.Is(err, scan.ErrGeometry) || !strings.Contains(err.Error(), "m1.png") {
		t.Errorf("mixed sizes: %v", err)
	}
	// A corrupt PNG is named, as malformed or truncated.
	writeTestPNG(t, filepath.Join(dir, "m1.png"), image.NewGray(image.Rect(0, 0, 4, 3)))
	good, _ := os.ReadFile(filepath.Join(dir, "m1.png"))
	bad := bytes.Clone(good)
	bad[len(bad)-20] ^= 0xff // inside the image data: the header still reads, the CRC fails
	os.WriteFile(filepath.Join(dir, "m2.png"), bad, 0o644)
	if _, err := Read(dir, testVolume(4, 3, 3), false); !errors.Is(err, scan.ErrMalformed) || !strings.Contains(err.Error(), "m2.png") {
		t.Errorf("corrupt: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "m2.png"), good[:len(good)-30], 0o644)
	if _, err := Read(dir, testVolume(4, 3, 3), false); err == nil || !strings.Contains(err.Error(), "m2.png") {
		t.Errorf("truncated: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "m2.png"), []byte("GIF89a"), 0o644)
	if _, err := Read(dir, testVolume(4, 3, 3), false); !errors.Is(err, scan.ErrMalformed) || !strings.Contains(err.Error(), "m2.png") {
		t.Errorf("not a PNG: %v", err)
	}
	// No PNG at all.
	if _, err := Read(t.TempDir(), testVolume(4, 3, 3), false); !errors.Is(err, scan.ErrGeometry) || !strings.Contains(err.Error(), "no PNG files") {
		t.Errorf("empty: %v", err)
	}
	// A hostile header (a huge declared size) fails on the size check, before any pixel allocation.
	huge := withSize(good, 1<<30, 1<<30)
	if err := decodeSlice("huge.png", bytes.NewReader(huge), 4, 3, make([]uint8, 12)); !errors.Is(err, scan.ErrGeometry) && !errors.Is(err, scan.ErrMalformed) {
		t.Errorf("huge header: %v", err)
	}
}

// withSize rewrites the IHDR width and height of a PNG (and leaves its CRC wrong, which
// DecodeConfig does check: either way the decoder must refuse it cheaply).
func withSize(b []byte, w, h uint32) []byte {
	b = bytes.Clone(b)
	// signature (8) + length (4) + "IHDR" (4), then width and height
	for i, v := range []uint32{w, h} {
		o := 16 + 4*i
		b[o], b[o+1], b[o+2], b[o+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	return b
}

// TestRealMasks reads the two 512x512 masks of the u_net_liver set as a two-slice stack
// (linked into a temporary folder, not copied) and, where /usr/bin/python3 has PIL and numpy,
// checks the liver pixel count against PIL's. The RGB CT slices, read as "masks", check the
// any-channel rule against PIL too.
func TestRealMasks(t *testing.T) {
	src := testenv.Data(t, "slices", "unet_liver")
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
		m, err := Read(dir, testVolume(512, 512, 2), false)
		if err != nil {
			t.Fatal(err)
		}
		counts := []int{m.SliceCount(0), m.SliceCount(1)}
		t.Logf("%s: liver pixels per slice %v", kind, counts)
		if counts[0] == 0 || counts[1] == 0 {
			t.Fatalf("empty slices: %v", counts)
		}
		out, err := exec.Command(testenv.SystemPython, append([]string{"-c", `
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

func fuzzSeeds(t testing.TB) [][]byte {
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

func FuzzDecodeSlice(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
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
		if err := decodeSlice("fuzz.png", bytes.NewReader(data), w, h, dst); err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.png: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, v := range dst {
			if v > scan.Liver {
				t.Fatalf("value %d", v)
			}
		}
	})
}
