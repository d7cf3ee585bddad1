package scan

// The PNG stack label format: a folder with one PNG per slice, in natural file-name order.

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
	"strconv"
	"strings"
)

// pngStackPrefix names the files WritePNGStack writes: slice_0001.png, slice_0002.png, ...
const pngStackPrefix = "slice_"

// ReadPNGStack reads a folder of PNG files as a label aligned to ref: the files in natural order
// (image_2 before image_10) are slices 0, 1, ... of ref, or n-1, n-2, ... when reverse is set.
// PNG column x is column i and row y is row j, with no flips. The number of files and their size
// must match ref exactly (an error wrapping ErrGeometry says both otherwise). A pixel is liver when
// its colour is not black (gray value or any of R, G, B nonzero); a fully transparent pixel is
// background. Files that are not .png are left out, named in the mask's Warnings; hidden ones
// (".name.png", for example macOS "._" metadata files or the temporary files WritePNGStack
// renames) are left out without a word.
func ReadPNGStack(dir string, ref *Volume, reverse bool) (*Mask, error) {
	if _, err := CheckPath(dir); err != nil {
		return nil, err
	}
	files, err := pngStackFiles(dir)
	if err != nil {
		return nil, err
	}
	strays, err := pngStackStrays(dir)
	if err != nil {
		return nil, err
	}
	w, h, n := ref.Dims[0], ref.Dims[1], ref.Dims[2]
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w: no PNG files, the volume has %d slices of %dx%d", dir, ErrGeometry, n, w, h)
	}
	// Check every file's size from its header before decoding any: a wrong stack fails fast, and
	// no image is allocated at a size that the volume does not vouch for.
	sizes := make([]image.Point, len(files))
	for f, name := range files {
		p := filepath.Join(dir, name)
		sz, err := pngSize(p)
		if err != nil {
			return nil, err
		}
		sizes[f] = sz
	}
	stack := labelGrid{What: fmt.Sprintf("%d PNG files of %dx%d", len(files), sizes[0].X, sizes[0].Y),
		Dims: [3]int{sizes[0].X, sizes[0].Y, len(files)}}
	if err := checkLabelGeometry(ref, stack); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	for f, sz := range sizes {
		if err := checkLabelGeometry(ref, labelGrid{What: "PNG file", Dims: [3]int{sz.X, sz.Y, 0}}); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, files[f]), err)
		}
	}
	m := NewMask(ref.Dims)
	m.Warnings = strays
	for f, name := range files {
		k := f
		if reverse {
			k = n - 1 - f
		}
		if err := pngDecodeFile(filepath.Join(dir, name), w, h, m.Slice(k)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func pngDecodeFile(path string, w, h int, dst []uint8) error {
	f, _, err := OpenRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return decodePNGSlice(path, f, w, h, dst)
}

// pngStackFiles lists the visible .png files of dir in natural order.
func pngStackFiles(dir string) ([]string, error) {
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

// pngStackStrays warns of the visible files of dir that a PNG stack leaves out (a README, DICOM
// files beside the PNGs), so that a user learns which ones were not read.
func pngStackStrays(dir string) ([]string, error) {
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
	return []string{strayWarning(dir, names, "not PNG files (or not regular files), left out of the stack")}, nil
}

// strayWarning is the warning for the files of dir that a label reader left out, naming a few.
func strayWarning(dir string, names []string, why string) string {
	return fmt.Sprintf("%s: %d files (%s): %s", dir, len(names), firstNames(names), why)
}

// pngSize reads the width and height from a PNG's header.
func pngSize(path string) (image.Point, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return image.Point{}, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(len(pngSignature))
	if err := pngCheckSignature(path, head); err != nil {
		return image.Point{}, err
	}
	cfg, err := png.DecodeConfig(br)
	if err != nil {
		return image.Point{}, pngError(path, err)
	}
	return image.Point{cfg.Width, cfg.Height}, nil
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngCheckSignature tells a file that is not a PNG at all (ErrMalformed: a JPEG or text renamed
// .png) from one that is cut short (ErrTruncated), which the decoder alone reports the same way
// when the file is shorter than the signature.
func pngCheckSignature(path string, head []byte) error {
	n := min(len(head), len(pngSignature))
	if string(head[:n]) != pngSignature[:n] {
		return fmt.Errorf("%s: %w: not a PNG file", path, ErrMalformed)
	}
	return nil
}

// pngError names the file and classifies a decoding error.
func pngError(path string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w: %w", path, ErrTruncated, err)
	}
	// png.FormatError, png.UnsupportedError, a bad checksum or a broken zlib stream: all are a
	// file that is not the PNG it claims to be.
	return fmt.Errorf("%s: %w: %w", path, ErrMalformed, err)
}

// decodePNGSlice decodes one PNG into dst (w*h bytes, row-major), 1 where the pixel is not black.
// It checks the size in the PNG header against w, h before decoding, so that a hostile header
// cannot make the decoder allocate more than the slice it must fill; it streams, so that junk after
// the image costs nothing either.
func decodePNGSlice(name string, r io.Reader, w, h int, dst []uint8) error {
	if len(dst) != w*h {
		return fmt.Errorf("%s: %w: %d bytes for a %dx%d slice", name, ErrGeometry, len(dst), w, h)
	}
	br := bufio.NewReader(r)
	head, _ := br.Peek(len(pngSignature))
	if err := pngCheckSignature(name, head); err != nil {
		return err
	}
	// DecodeConfig consumes the signature and IHDR; keep what it read to replay it to Decode.
	var seen bytes.Buffer
	cfg, err := png.DecodeConfig(io.TeeReader(br, &seen))
	if err != nil {
		return pngError(name, err)
	}
	if cfg.Width != w || cfg.Height != h {
		return fmt.Errorf("%s: %w: %dx%d, the volume's slices are %dx%d", name, ErrGeometry, cfg.Width, cfg.Height, w, h)
	}
	img, err := png.Decode(io.MultiReader(&seen, br))
	if err != nil {
		return pngError(name, err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return fmt.Errorf("%s: %w: decoded %dx%d, header says %dx%d", name, ErrMalformed, b.Dx(), b.Dy(), w, h)
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
					out[x] = Liver
				}
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := im.Pix[y*im.Stride : y*im.Stride+2*w]
			out := dst[y*w : (y+1)*w]
			for x := range out {
				if row[2*x]|row[2*x+1] != 0 {
					out[x] = Liver
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
					out[x] = Liver
				}
			}
		}
	case *image.Paletted:
		liver := make([]bool, 256)
		for c, col := range im.Palette {
			liver[c] = pngIsLiver(col)
		}
		for y := 0; y < h; y++ {
			row := im.Pix[y*im.Stride : y*im.Stride+w]
			out := dst[y*w : (y+1)*w]
			for x, c := range row {
				if liver[c] {
					out[x] = Liver
				}
			}
		}
	default:
		for y := 0; y < h; y++ {
			out := dst[y*w : (y+1)*w]
			for x := range out {
				if pngIsLiver(img.At(b.Min.X+x, b.Min.Y+y)) {
					out[x] = Liver
				}
			}
		}
	}
	return nil
}

// pngIsLiver: premultiplied R, G or B nonzero, which is "visible and not black".
func pngIsLiver(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r|g|b != 0
}

// pngSliceName is the name of slice k (0-based) of a stack of n, zero-padded to at least four
// digits and to the width of n, so that lexical and natural order agree.
func pngSliceName(k, n int) string {
	width := max(4, len(strconv.Itoa(n)))
	return fmt.Sprintf("%s%0*d.png", pngStackPrefix, width, k+1)
}

// isPNGStackName reports whether name is one WritePNGStack writes (slice_ then digits then .png).
func isPNGStackName(name string) bool {
	digits, ok := strings.CutPrefix(name, pngStackPrefix)
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

// WritePNGStack writes m into dir as 8-bit gray PNGs slice_0001.png, ... (liver 255, background
// 0), creating dir. A folder that already holds other PNG files is refused, since they would mix
// with the stack when it is read back; an earlier stack of ours is replaced, its extra slices
// removed. Every slice is first written under a hidden temporary name, and only once all of them
// are written are they renamed, so that a failure (a full disk) leaves the old stack as it was.
func WritePNGStack(dir string, m *Mask) (err error) {
	n := m.Dims[2]
	if m.Dims[0] < 1 || m.Dims[1] < 1 || n < 1 || len(m.Voxels) != m.Dims[0]*m.Dims[1]*n {
		return fmt.Errorf("%s: %w: mask of %s with %d voxels", dir, ErrGeometry, dimsString(m.Dims), len(m.Voxels))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	existing, err := pngStackFiles(dir)
	if err != nil {
		return err
	}
	for _, name := range existing {
		if !isPNGStackName(name) {
			return fmt.Errorf("%s: holds %s, which is not a PNG stack slice written by liverseg: choose an empty folder", dir, name)
		}
	}

	// Temporary files left by an earlier write that crashed are hidden, so readers skip them; clear
	// them anyway so that they do not pile up.
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if t, ok := strings.CutSuffix(e.Name(), ".tmp"); ok && strings.HasPrefix(t, ".") && isPNGStackName(t[1:]) {
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
	enc := png.Encoder{CompressionLevel: png.BestSpeed} // masks are mostly zeros: compress fast
	for k := 0; k < n; k++ {
		names[k] = pngSliceName(k, n)
		for i, v := range m.Slice(k) {
			if v != 0 {
				img.Pix[i] = 255
			} else {
				img.Pix[i] = 0
			}
		}
		tmp := filepath.Join(dir, "."+names[k]+".tmp")
		tmps = append(tmps, tmp)
		if err := pngWriteFile(tmp, img, &enc); err != nil {
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

func pngWriteFile(path string, img image.Image, enc *png.Encoder) error {
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

// naturalLess orders file names as a person would: runs of ASCII digits compare by their numeric
// value (image_2 before image_10, however long the run: no integer overflow), the rest compares
// byte by byte with ASCII letters folded to one case. Names equal under those rules (img01, img1,
// IMG1) fall back to plain byte order, so that the order is total and sorting is deterministic.
func naturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if naturalIsDigit(ca) && naturalIsDigit(cb) {
			si, sj := i, j
			for i < len(a) && naturalIsDigit(a[i]) {
				i++
			}
			for j < len(b) && naturalIsDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			continue
		}
		la, lb := naturalLower(ca), naturalLower(cb)
		if la != lb {
			return la < lb
		}
		i++
		j++
	}
	if rest := (len(a) - i) - (len(b) - j); rest != 0 {
		return rest < 0 // the name that ran out first is a prefix of the other
	}
	return a < b
}

func naturalIsDigit(c byte) bool { return '0' <= c && c <= '9' }

func naturalLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
