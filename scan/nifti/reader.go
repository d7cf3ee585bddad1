package nifti

// Reading: the stream (plain or gzip), the voxels in bounded chunks, a CT as a Volume and a label
// as a Mask on a reference volume's grid.

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"liverseg/scan"
)

// ReadVolume reads a NIfTI-1 CT (.nii or .nii.gz) as a Volume: HU = value × scl_slope +
// scl_inter, rounded and clamped to int16, in the file's voxel order, with the affine (sform, else
// qform, else pixdim) turned from RAS into LPS Origin, Spacing and Direction.
func ReadVolume(path string) (*scan.Volume, error) {
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	defer f.Close()
	return readVolume(path, f, fileSize(f))
}

// ReadLabel reads a NIfTI-1 label aligned to ref through its affine. The label's voxel axes may
// be any permutation and flip of ref's (a file written by another tool in another voxel order);
// those are undone exactly. Anything that would need interpolation — other dimensions, spacing,
// origin, or oblique axes — is an error wrapping scan.ErrGeometry that prints both geometries.
// Nonzero (after scaling) is liver.
func ReadLabel(path string, ref *scan.Volume) (*scan.Mask, error) {
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLabel(path, f, fileSize(f), ref)
}

// fileSize is the size of a regular file, or -1.
func fileSize(f *os.File) int64 {
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		return st.Size()
	}
	return -1
}

// readVolume is ReadVolume on a stream; size is the stream's length when known (-1 when not),
// which lets an uncompressed file that is too short fail before anything is allocated.
func readVolume(name string, r io.Reader, size int64) (*scan.Volume, error) {
	v, err := readVolumeStream(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	v.Series.Path = name
	return v, nil
}

func readVolumeStream(r io.Reader, size int64) (*scan.Volume, error) {
	h, data, gz, err := open(r)
	if err != nil {
		return nil, err
	}
	n := h.voxels()
	need := h.voxOffset + int64(n)*int64(h.bpv)
	if gz == nil && size >= 0 && size < need {
		return nil, fmt.Errorf("%w: %s %s voxels need %d bytes from offset %d, the file has %d",
			scan.ErrTruncated, scan.DimsString(h.dims), typeName(h.datatype), need-h.voxOffset, h.voxOffset, size)
	}
	v := &scan.Volume{Dims: h.dims}
	if err := setGeometry(v, h); err != nil {
		return nil, err
	}
	// Allocate as the data arrives unless the file is known to hold it all: a gzip stream's length
	// is unknown until it has been inflated.
	capacity := min(n, 1<<20)
	if gz == nil && size >= need {
		capacity = n
	}
	vox := make([]int16, 0, capacity)
	var nans, clamped int
	if h.datatype == typeInt16 && h.slope == 1 && h.inter == 0 {
		// What dcm2niix and liverseg write: the stored values are the HU, no conversion needed.
		err = readRaw(h, data, func(_ int, raw []byte) {
			for i := 0; i < len(raw); i += 2 {
				vox = append(vox, int16(h.order.Uint16(raw[i:])))
			}
		})
	} else {
		err = readData(h, data, func(_ int, vals []float64) {
			for _, x := range vals {
				switch {
				case math.IsNaN(x):
					// NaN is how some pipelines mark voxels outside the field of view: read as air.
					nans++
					x = -1024
				case x < math.MinInt16:
					clamped++
					x = math.MinInt16
				case x > math.MaxInt16:
					clamped++
					x = math.MaxInt16
				}
				vox = append(vox, int16(math.Round(x)))
			}
		})
	}
	if err != nil {
		return nil, err
	}
	if err := finish(gz); err != nil {
		return nil, err
	}
	v.Voxels = vox
	v.Series.Modality = "CT"
	if nans > 0 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%d voxels are NaN, read as -1024 HU", nans))
	}
	if clamped > 0 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%d voxels are outside the int16 range, clamped", clamped))
	}
	if h.datatype == typeFloat32 || h.datatype == typeFloat64 {
		v.Warnings = append(v.Warnings, "voxels are floating point, rounded to whole HU")
	}
	return v, nil
}

func readLabel(name string, r io.Reader, size int64, ref *scan.Volume) (*scan.Mask, error) {
	m, err := readLabelStream(r, size, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func readLabelStream(r io.Reader, size int64, ref *scan.Volume) (*scan.Mask, error) {
	h, data, gz, err := open(r)
	if err != nil {
		return nil, err
	}
	mp, err := align(h, ref)
	if err != nil {
		return nil, err
	}
	n := h.voxels()
	need := h.voxOffset + int64(n)*int64(h.bpv)
	if gz == nil && size >= 0 && size < need {
		return nil, fmt.Errorf("%w: %s voxels need %d bytes from offset %d, the file has %d",
			scan.ErrTruncated, scan.DimsString(h.dims), need-h.voxOffset, h.voxOffset, size)
	}
	// The mask has ref's size, which the alignment has just checked equals the header's: this
	// allocation is bounded by a volume that already exists, not by the file.
	mask := scan.NewMask(ref.Dims)
	d0, d1 := h.dims[0], h.dims[1]
	err = readData(h, data, func(start int, vals []float64) {
		i := start % d0
		j := (start / d0) % d1
		k := start / (d0 * d1)
		off := mp.base + i*mp.step[0] + j*mp.step[1] + k*mp.step[2]
		for _, x := range vals {
			if x != 0 && !math.IsNaN(x) { // NaN is "no value", not a label
				mask.Set(off, scan.Liver)
			}
			// advance (i, j, k) in NIfTI order and off with it
			i++
			off += mp.step[0]
			if i == d0 {
				i = 0
				off -= d0 * mp.step[0]
				j++
				off += mp.step[1]
				if j == d1 {
					j = 0
					off -= d1 * mp.step[1]
					k++
					off += mp.step[2]
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if err := finish(gz); err != nil {
		return nil, err
	}
	return mask, nil
}

// open opens the stream of a NIfTI file: gzip is recognised by its magic bytes, not by the name,
// since files are often renamed. It returns the header and the reader positioned at the data. gz
// is the gzip stream when the file is compressed (then its length is unknown in advance).
func open(r io.Reader) (h *header, data io.Reader, gz *gzip.Reader, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	src := io.Reader(br)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err = gzip.NewReader(br)
		if err != nil {
			return nil, nil, nil, ioError("gzip header", err)
		}
		src = gz
	}
	hb := make([]byte, headerSize)
	n, err := io.ReadFull(src, hb)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil, nil, nil, fmt.Errorf("%w: empty", ErrNotNIfTI)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return nil, nil, nil, ioError("header", err) // a disk or gzip error, not a short file
	}
	// A short header is still parsed, so that a 10-byte text file is ErrNotNIfTI and a cut NIfTI
	// header ErrTruncated.
	h, err = parseHeader(hb[:n])
	if err != nil {
		return nil, nil, nil, err
	}
	// Skip the extension flag and extensions; io.CopyN allocates nothing per byte skipped.
	if skip := h.voxOffset - headerSize; skip > 0 {
		if _, err := io.CopyN(io.Discard, src, skip); err != nil {
			return nil, nil, nil, ioError(fmt.Sprintf("extensions before vox_offset %d", h.voxOffset), err)
		}
	}
	return h, src, gz, nil
}

// ioError classifies a read error: an early end is scan.ErrTruncated, a broken gzip stream
// scan.ErrMalformed, anything else (a disk error) is returned as is.
func ioError(what string, err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %s", scan.ErrTruncated, what)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("%w: %s: %w", scan.ErrMalformed, what, err)
	case errors.As(err, new(flate.CorruptInputError)):
		return fmt.Errorf("%w: %s: %w", scan.ErrMalformed, what, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// chunk is how many voxels are decoded at once: small enough to keep the scratch buffers at about
// 1 MB, large enough that the per-chunk overhead does not show.
const chunk = 1 << 16

// readRaw reads the h.voxels() voxels from r in chunks and hands each chunk of raw bytes to emit
// with the index of its first voxel. It never holds more than a chunk: what the caller allocates
// is its own business, so that a header that promises more than the stream holds costs at most
// what the stream really holds.
func readRaw(h *header, r io.Reader, emit func(start int, raw []byte)) error {
	raw := make([]byte, chunk*h.bpv)
	total := h.voxels()
	for start := 0; start < total; start += chunk {
		m := min(chunk, total-start)
		buf := raw[:m*h.bpv]
		if _, err := io.ReadFull(r, buf); err != nil {
			return ioError(fmt.Sprintf("data ends before voxel %d of %d", start, total), err)
		}
		emit(start, buf)
	}
	return nil
}

// readData is readRaw with the voxels decoded to float64 and scaled by scl_slope/scl_inter.
func readData(h *header, r io.Reader, emit func(start int, vals []float64)) error {
	vals := make([]float64, chunk)
	scaled := h.slope != 1 || h.inter != 0
	return readRaw(h, r, func(start int, raw []byte) {
		v := vals[:len(raw)/h.bpv]
		decode(h.datatype, h.order, raw, v)
		if scaled {
			for i := range v {
				v[i] = v[i]*h.slope + h.inter
			}
		}
		emit(start, v)
	})
}

// decode converts raw voxels of a supported datatype to float64.
func decode(dt int16, o binary.ByteOrder, b []byte, v []float64) {
	switch dt {
	case typeUint8:
		for i := range v {
			v[i] = float64(b[i])
		}
	case typeInt8:
		for i := range v {
			v[i] = float64(int8(b[i]))
		}
	case typeInt16:
		for i := range v {
			v[i] = float64(int16(o.Uint16(b[2*i:])))
		}
	case typeUint16:
		for i := range v {
			v[i] = float64(o.Uint16(b[2*i:]))
		}
	case typeInt32:
		for i := range v {
			v[i] = float64(int32(o.Uint32(b[4*i:])))
		}
	case typeUint32:
		for i := range v {
			v[i] = float64(o.Uint32(b[4*i:]))
		}
	case typeFloat32:
		for i := range v {
			v[i] = float64(math.Float32frombits(o.Uint32(b[4*i:])))
		}
	case typeInt64:
		for i := range v {
			v[i] = float64(int64(o.Uint64(b[8*i:])))
		}
	case typeUint64:
		for i := range v {
			v[i] = float64(o.Uint64(b[8*i:]))
		}
	case typeFloat64:
		for i := range v {
			v[i] = math.Float64frombits(o.Uint64(b[8*i:]))
		}
	}
}

// finish drains what is left of a gzip stream (up to a bound) so that its CRC is checked: a
// corrupt .nii.gz whose damage happens to decode should not pass silently. Data beyond the bound
// (unusual: the data normally ends the file) is not read.
func finish(gz *gzip.Reader) error {
	if gz == nil {
		return nil
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(gz, 1<<20)); err != nil {
		return ioError("gzip trailer", err)
	}
	return nil
}
