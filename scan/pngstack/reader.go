// Package pngstack reads and writes the PNG stack label format: a folder with one PNG per slice,
// in natural file-name order (image_2 before image_10), a pixel liver when it is not black.
package pngstack

// Reading: the folder's PNG files, their sizes checked against the volume before any is decoded,
// each decoded into its slice of the mask.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"liverseg/scan"
)

// Read reads a folder of PNG files as a label aligned to ref: the files in natural order
// (image_2 before image_10) are slices 0, 1, ... of ref, or n-1, n-2, ... when reverse is set.
// PNG column x is column i and row y is row j, with no flips. The number of files and their size
// must match ref exactly (an error wrapping scan.ErrGeometry says both otherwise). A pixel is liver when
// its colour is not black (gray value or any of R, G, B nonzero); a fully transparent pixel is
// background. Files that are not .png are left out, named in the mask's Warnings; hidden ones
// (".name.png", for example macOS "._" metadata files or the temporary files Write
// renames) are left out without a word.
func Read(dir string, ref *scan.Volume, reverse bool) (*scan.Mask, error) {
	if _, err := scan.CheckPath(dir); err != nil {
		return nil, err
	}
	files, err := listFiles(dir)
	if err != nil {
		return nil, err
	}
	strays, err := strays(dir)
	if err != nil {
		return nil, err
	}
	w, h, n := ref.Dims[0], ref.Dims[1], ref.Dims[2]
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w: no PNG files, the volume has %d slices of %dx%d", dir, scan.ErrGeometry, n, w, h)
	}
	// Check every file's size from its header before decoding any: a wrong stack fails fast, and
	// no image is allocated at a size that the volume does not vouch for.
	sizes := make([]image.Point, len(files))
	for f, name := range files {
		p := filepath.Join(dir, name)
		sz, err := imageSize(p)
		if err != nil {
			return nil, err
		}
		sizes[f] = sz
	}
	stack := scan.LabelGrid{What: fmt.Sprintf("%d PNG files of %dx%d", len(files), sizes[0].X, sizes[0].Y),
		Dims: [3]int{sizes[0].X, sizes[0].Y, len(files)}}
	if err := stack.Check(ref); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	for f, sz := range sizes {
		if err := (scan.LabelGrid{What: "PNG file", Dims: [3]int{sz.X, sz.Y, 0}}).Check(ref); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, files[f]), err)
		}
	}
	m := scan.NewMask(ref.Dims)
	m.Warnings = strays
	plane := make([]uint8, m.SliceLen())
	for f, name := range files {
		k := f
		if reverse {
			k = n - 1 - f
		}
		clear(plane)
		if err := decodeFile(filepath.Join(dir, name), w, h, plane); err != nil {
			return nil, err
		}
		m.SetSlice(k, plane)
	}
	return m, nil
}

func decodeFile(path string, w, h int, dst []uint8) error {
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return decodeSlice(path, f, w, h, dst)
}

// listFiles lists the visible .png files of dir in natural order.
func listFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err // *PathError names dir
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.EqualFold(filepath.Ext(name), ".png") {
			continue
		}
		if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
			files = append(files, name)
		}
	}
	sort.Slice(files, func(a, b int) bool { return naturalLess(files[a], files[b]) })
	return files, nil
}

// strays warns of the visible files of dir that a PNG stack leaves out (a README, DICOM
// files beside the PNGs), so that a user learns which ones were not read.
func strays(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		listed := strings.EqualFold(filepath.Ext(name), ".png") && (e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0)
		if e.IsDir() || strings.HasPrefix(name, ".") || listed {
			continue
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, nil
	}
	return []string{scan.StrayWarning(dir, names, "not PNG files (or not regular files), left out of the stack")}, nil
}

// imageSize reads the width and height from a PNG's header.
func imageSize(path string) (image.Point, error) {
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return image.Point{}, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(len(signature))
	if err := checkSignature(path, head); err != nil {
		return image.Point{}, err
	}
	cfg, err := png.DecodeConfig(br)
	if err != nil {
		return image.Point{}, decodeError(path, err)
	}
	return image.Point{cfg.Width, cfg.Height}, nil
}

const signature = "\x89PNG\r\n\x1a\n"

// checkSignature tells a file that is not a PNG at all (scan.ErrMalformed: a JPEG or text renamed
// .png) from one that is cut short (scan.ErrTruncated), which the decoder alone reports the same way
// when the file is shorter than the signature.
func checkSignature(path string, head []byte) error {
	n := min(len(head), len(signature))
	if string(head[:n]) != signature[:n] {
		return fmt.Errorf("%s: %w: not a PNG file", path, scan.ErrMalformed)
	}
	return nil
}

// decodeError names the file and classifies a decoding error.
func decodeError(path string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w: %w", path, scan.ErrTruncated, err)
	}
	// png.FormatError, png.UnsupportedError, a bad checksum or a broken zlib stream: all are a
	// file that is not the PNG it claims to be.
	return fmt.Errorf("%s: %w: %w", path, scan.ErrMalformed, err)
}

// decodeSlice decodes one PNG into dst (w*h bytes, row-major), 1 where the pixel is not black.
// It checks the size in the PNG header against w, h before decoding, so that a hostile header
// cannot make the decoder allocate more than the slice it must fill; it streams, so that junk after
// the image costs nothing either.
func decodeSlice(name string, r io.Reader, w, h int, dst []uint8) error {
	if len(dst) != w*h {
		return fmt.Errorf("%s: %w: %d bytes for a %dx%d slice", name, scan.ErrGeometry, len(dst), w, h)
	}
	br := bufio.NewReader(r)
	head, _ := br.Peek(len(signature))
	if err := checkSignature(name, head); err != nil {
		return err
	}
	// DecodeConfig consumes the signature and IHDR; keep what it read to replay it to Decode.
	var seen bytes.Buffer
	cfg, err := png.DecodeConfig(io.TeeReader(br, &seen))
	if err != nil {
		return decodeError(name, err)
	}
	if cfg.Width != w || cfg.Height != h {
		return fmt.Errorf("%s: %w: %dx%d, the volume's slices are %dx%d", name, scan.ErrGeometry, cfg.Width, cfg.Height, w, h)
	}
	img, err := png.Decode(io.MultiReader(&seen, br))
	if err != nil {
		return decodeError(name, err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return fmt.Errorf("%s: %w: decoded %dx%d, header says %dx%d", name, scan.ErrMalformed, b.Dx(), b.Dy(), w, h)
	}
	clear(dst)
	// Fast paths for what mask PNGs are in practice (gray, RGBA, palette); the generic path
	// handles the rest through the colour model.
	switch im := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := im.Pix[(y)*im.Stride : y*im.Stride+w]
			out := dst[y*w : (y+1)*w]
			for x, v := range row {
				if v != 0 {
					out[x] = scan.Liver
				}
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := im.Pix[y*im.Stride : y*im.Stride+2*w]
			out := dst[y*w : (y+1)*w]
			for x := range out {
				if row[2*x]|row[2*x+1] != 0 {
					out[x] = scan.Liver
				}
			}
		}
	case *image.NRGBA:
		// Not premultiplied: a transparent pixel may still carry a colour; it is not shown, so it
		// is not liver.
		for y := 0; y < h; y++ {
			row := im.Pix[y*im.Stride : y*im.Stride+4*w]
			out := dst[y*w : (y+1)*w]
			for x := range out {
				p := row[4*x : 4*x+4]
				if p[3] != 0 && p[0]|p[1]|p[2] != 0 {
					out[x] = scan.Liver
				}
			}
		}
	case *image.Paletted:
		liver := make([]bool, 256)
		for c, col := range im.Palette {
			liver[c] = isLiver(col)
		}
		for y := 0; y < h; y++ {
			row := im.Pix[y*im.Stride : y*im.Stride+w]
			out := dst[y*w : (y+1)*w]
			for x, c := range row {
				if liver[c] {
					out[x] = scan.Liver
				}
			}
		}
	default:
		for y := 0; y < h; y++ {
			out := dst[y*w : (y+1)*w]
			for x := range out {
				if isLiver(img.At(b.Min.X+x, b.Min.Y+y)) {
					out[x] = scan.Liver
				}
			}
		}
	}
	return nil
}

// isLiver: premultiplied R, G or B nonzero, which is "visible and not black".
func isLiver(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r|g|b != 0
}
