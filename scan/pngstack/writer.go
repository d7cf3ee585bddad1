package pngstack

// Writing: 8-bit gray PNGs slice_0001.png, ..., all written under hidden names first and renamed
// together, so that a failure leaves the old stack as it was.

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"liverseg/scan"
)

// slicePrefix names the files Write writes: slice_0001.png, slice_0002.png, ...
const slicePrefix = "slice_"

// sliceName is the name of slice k (0-based) of a stack of n, zero-padded to at least four
// digits and to the width of n, so that lexical and natural order agree.
func sliceName(k, n int) string {
	width := max(4, len(strconv.Itoa(n)))
	return fmt.Sprintf("%s%0*d.png", slicePrefix, width, k+1)
}

// isSliceName reports whether name is one Write writes (slice_ then digits then .png).
func isSliceName(name string) bool {
	digits, ok := strings.CutPrefix(name, slicePrefix)
	if !ok {
		return false
	}
	digits, ok = strings.CutSuffix(digits, ".png")
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Write writes m into dir as 8-bit gray PNGs slice_0001.png, ... (liver 255, background
// 0), creating dir. A folder that already holds other PNG files is refused, since they would mix
// with the stack when it is read back; an earlier stack of ours is replaced, its extra slices
// removed. Every slice is first written under a hidden temporary name, and only once all of them
// are written are they renamed, so that a failure (a full disk) leaves the old stack as it was.
func Write(dir string, m *scan.Mask) (err error) {
	n := m.Dims[2]
	if m.Dims[0] < 1 || m.Dims[1] < 1 || n < 1 || !m.Valid() {
		return fmt.Errorf("%s: %w: mask of %s", dir, scan.ErrGeometry, scan.DimsString(m.Dims))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	existing, err := listFiles(dir)
	if err != nil {
		return err
	}
	for _, name := range existing {
		if !isSliceName(name) {
			return fmt.Errorf("%s: holds %s, which is not a PNG stack slice written by liverseg: choose an empty folder", dir, name)
		}
	}

	// Temporary files left by an earlier write that crashed are hidden, so readers skip them; clear
	// them anyway so that they do not pile up.
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if t, ok := strings.CutSuffix(e.Name(), ".tmp"); ok && strings.HasPrefix(t, ".") && isSliceName(t[1:]) {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}

	names := make([]string, n)
	tmps := make([]string, 0, n)
	defer func() {
		if err != nil {
			for _, t := range tmps {
				os.Remove(t)
			}
		}
	}()
	img := image.NewGray(image.Rect(0, 0, m.Dims[0], m.Dims[1]))
	plane := make([]uint8, m.SliceLen())
	enc := png.Encoder{CompressionLevel: png.BestSpeed} // masks are mostly zeros: compress fast
	for k := 0; k < n; k++ {
		names[k] = sliceName(k, n)
		plane = m.SliceInto(k, plane)
		for i, v := range plane {
			if v != 0 {
				img.Pix[i] = 255
			} else {
				img.Pix[i] = 0
			}
		}
		tmp := filepath.Join(dir, "."+names[k]+".tmp")
		tmps = append(tmps, tmp)
		if err := writeFile(tmp, img, &enc); err != nil {
			return err
		}
	}
	for k, tmp := range tmps {
		if err := os.Rename(tmp, filepath.Join(dir, names[k])); err != nil {
			return err
		}
	}
	// Remove what is left of an earlier, longer (or differently padded) stack of ours.
	keep := make(map[string]bool, n)
	for _, name := range names {
		keep[name] = true
	}
	for _, name := range existing {
		if !keep[name] {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

func writeFile(path string, img image.Image, enc *png.Encoder) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
