package scan

// NIfTI-1 reading and writing (.nii and .nii.gz), pure Go.
//
// NIfTI world coordinates are RAS (+x = Right, +y = Anterior, +z = Superior), while a Volume, like
// DICOM, is LPS (+x = Left, +y = Posterior, +z = Superior). Going from one to the other negates the first two rows of the affine; that is
// all this file ever does to coordinates, and it never resamples voxels.

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"liverseg/internal/atomicfile"
	"math"
	"os"
	"strings"
)

// ErrNotNIfTI: the file is not a single-file NIfTI-1 image (no sizeof_hdr 348 in either byte order).
var ErrNotNIfTI = errors.New("not a NIfTI-1 file")

const (
	niftiHeaderSize = 348
	// niftiDataOffset is where a single-file NIfTI-1 puts its data when it has no extensions: the
	// 348-byte header plus the 4-byte extension flag.
	niftiDataOffset = 352

	niftiIntentLabel = 1002 // NIFTI_INTENT_LABEL
	niftiUnitsMM     = 2    // NIFTI_UNITS_MM in xyzt_units

	// niftiMaxVoxOffset bounds the extension area skipped before the data. Extensions are small
	// (a few kB of JSON or DICOM tags); anything beyond this is a broken or hostile header.
	niftiMaxVoxOffset = 1 << 30
)

// NIfTI-1 datatype codes.
const (
	niftiUint8   = 2
	niftiInt16   = 4
	niftiInt32   = 8
	niftiFloat32 = 16
	niftiFloat64 = 64
	niftiInt8    = 256
	niftiUint16  = 512
	niftiUint32  = 768
	niftiInt64   = 1024
	niftiUint64  = 1280
)

// niftiBytesPer is the size of one voxel of a supported datatype, 0 for the others (complex, RGB,
// float128...).
func niftiBytesPer(dt int16) int {
	switch dt {
	case niftiUint8, niftiInt8:
		return 1
	case niftiInt16, niftiUint16:
		return 2
	case niftiInt32, niftiUint32, niftiFloat32:
		return 4
	case niftiInt64, niftiUint64, niftiFloat64:
		return 8
	}
	return 0
}

// niftiHeader is what liverseg uses of a NIfTI-1 header, already checked.
type niftiHeader struct {
	order     binary.ByteOrder
	dims      [3]int
	datatype  int16
	bpv       int   // bytes per voxel
	voxOffset int64 // where the data starts
	slope     float64
	inter     float64
	// ras maps voxel (i, j, k, 1) to NIfTI world RAS (mm): the sform, else the qform, else pixdim.
	ras       [3][4]float64
	rasSource string // "sform", "qform" or "pixdim", for messages
}

// voxels is the number of voxels the header declares.
func (h *niftiHeader) voxels() int { return h.dims[0] * h.dims[1] * h.dims[2] }

// lps is the voxel→LPS affine: the RAS affine with its first two rows negated.
func (h *niftiHeader) lps() [3][4]float64 {
	m := h.ras
	for c := 0; c < 4; c++ {
		m[0][c], m[1][c] = -m[0][c], -m[1][c]
	}
	return m
}

// parseNIfTIHeader checks and decodes the 348 header bytes. It checks everything needed to bound
// the work that follows: the dimensions (each positive, product at most MaxVoxels), the datatype
// and vox_offset. It does not know how many bytes follow; readNIfTIData finds that out.
func parseNIfTIHeader(b []byte) (*niftiHeader, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrNotNIfTI, len(b))
	}
	var order binary.ByteOrder
	switch le, be := binary.LittleEndian.Uint32(b), binary.BigEndian.Uint32(b); {
	case le == niftiHeaderSize:
		order = binary.LittleEndian
	case be == niftiHeaderSize:
		order = binary.BigEndian
	case le == 540 || be == 540:
		return nil, fmt.Errorf("%w: NIfTI-2 (sizeof_hdr 540)", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: sizeof_hdr is %d, not 348", ErrNotNIfTI, le)
	}
	if len(b) < niftiHeaderSize {
		return nil, fmt.Errorf("%w: header has %d of 348 bytes", ErrTruncated, len(b))
	}
	switch magic := b[344:348]; {
	case bytes.Equal(magic[:3], []byte("n+1")):
	case bytes.Equal(magic[:3], []byte("ni1")):
		// A header/image pair keeps its voxels in a separate .img file.
		return nil, fmt.Errorf("%w: NIfTI-1 pair (.hdr/.img); convert it to a single .nii", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: magic %q is not \"n+1\" (an ANALYZE 7.5 file?)", ErrNotNIfTI, magic)
	}
	i16 := func(off int) int16 { return int16(order.Uint16(b[off:])) }
	f32 := func(off int) float64 { return float64(math.Float32frombits(order.Uint32(b[off:]))) }

	h := &niftiHeader{order: order}

	ndim := int(i16(40))
	if ndim < 1 || ndim > 7 {
		return nil, fmt.Errorf("%w: dim[0] = %d, want 1..7", ErrMalformed, ndim)
	}
	total := int64(1)
	for i := 1; i <= 7; i++ {
		d := 1
		if i <= ndim {
			d = int(i16(40 + 2*i))
		}
		if d < 1 {
			return nil, fmt.Errorf("%w: dim[%d] = %d", ErrMalformed, i, d)
		}
		if i > 3 {
			if d != 1 {
				return nil, fmt.Errorf("%w: %d-D image (dim[%d] = %d); liverseg reads 3-D volumes and labels", ErrUnsupported, ndim, i, d)
			}
			continue
		}
		h.dims[i-1] = d
		total *= int64(d) // at most 32767^3: no overflow in int64
	}
	if total > MaxVoxels {
		return nil, fmt.Errorf("%w: %s voxels is more than %d", ErrTooLarge, dimsString(h.dims), int64(MaxVoxels))
	}

	h.datatype = i16(70)
	bpv := niftiBytesPer(h.datatype)
	if bpv == 0 {
		return nil, fmt.Errorf("%w: NIfTI datatype %d", ErrUnsupported, h.datatype)
	}
	h.bpv = bpv

	off := f32(108)
	if math.IsNaN(off) || off < 0 || off > niftiMaxVoxOffset || off != math.Trunc(off) {
		return nil, fmt.Errorf("%w: vox_offset %g", ErrMalformed, off)
	}
	h.voxOffset = int64(off)
	if h.voxOffset < niftiDataOffset {
		// Some writers leave vox_offset 0 in single files (TotalSegmentator's example does); the
		// data then follows the header and extension flag, which is what nibabel reads too.
		h.voxOffset = niftiDataOffset
	}

	// scl_slope 0 or not finite means "no scaling" (the standard, and nibabel).
	h.slope, h.inter = f32(112), f32(116)
	if h.slope == 0 || math.IsNaN(h.slope) || math.IsInf(h.slope, 0) {
		h.slope, h.inter = 1, 0
	}
	if math.IsNaN(h.inter) || math.IsInf(h.inter, 0) {
		h.inter = 0
	}

	var pixdim [8]float64
	for i := range pixdim {
		pixdim[i] = f32(76 + 4*i)
	}
	qformCode, sformCode := i16(252), i16(254)
	switch {
	case sformCode > 0:
		h.rasSource = "sform"
		for r := 0; r < 3; r++ {
			for c := 0; c < 4; c++ {
				h.ras[r][c] = f32(280 + 16*r + 4*c)
			}
		}
	case qformCode > 0:
		h.rasSource = "qform"
		q := [6]float64{f32(256), f32(260), f32(264), f32(268), f32(272), f32(276)}
		for _, v := range q {
			if !niftiFinite(v) {
				return nil, fmt.Errorf("%w: qform has a non-finite value %v", ErrGeometry, q)
			}
		}
		sp, err := niftiPixdim(pixdim)
		if err != nil {
			return nil, err
		}
		qfac := 1.0
		if pixdim[0] < 0 {
			qfac = -1
		}
		rot := niftiQuaternToRotation(q[0], q[1], q[2])
		for r := 0; r < 3; r++ {
			h.ras[r][0] = rot[r][0] * sp[0]
			h.ras[r][1] = rot[r][1] * sp[1]
			h.ras[r][2] = rot[r][2] * sp[2] * qfac
			h.ras[r][3] = q[3+r]
		}
	default:
		// No orientation at all: the standard's "method 1", a diagonal of the pixdims.
		h.rasSource = "pixdim"
		sp, err := niftiPixdim(pixdim)
		if err != nil {
			return nil, err
		}
		for r := 0; r < 3; r++ {
			h.ras[r][r] = sp[r]
		}
	}
	for r := 0; r < 3; r++ {
		for c := 0; c < 4; c++ {
			if !niftiFinite(h.ras[r][c]) {
				return nil, fmt.Errorf("%w: %s has a non-finite value", ErrGeometry, h.rasSource)
			}
		}
	}
	if math.Abs(niftiDet(h.ras)) < 1e-12 {
		return nil, fmt.Errorf("%w: %s is degenerate (an axis of length 0 or axes in one plane)", ErrGeometry, h.rasSource)
	}
	return h, nil
}

func niftiPixdim(pixdim [8]float64) ([3]float64, error) {
	var sp [3]float64
	for i := 0; i < 3; i++ {
		v := math.Abs(pixdim[i+1]) // nibabel also reads negative pixdims as their magnitude
		if !niftiFinite(v) || v == 0 {
			return sp, fmt.Errorf("%w: pixdim[%d] = %g", ErrGeometry, i+1, pixdim[i+1])
		}
		sp[i] = v
	}
	return sp, nil
}

// niftiQuaternToRotation is nifti_quatern_to_mat44 without the scaling: the rotation whose
// quaternion is (a, b, c, d), a computed so that the quaternion has unit length.
func niftiQuaternToRotation(b, c, d float64) [3][3]float64 {
	a := 1 - (b*b + c*c + d*d)
	if a < 1e-7 {
		// b, c, d already (almost) a unit vector: a 180° rotation; renormalise as nifti1_io does.
		n := math.Sqrt(b*b + c*c + d*d)
		b, c, d, a = b/n, c/n, d/n, 0
	} else {
		a = math.Sqrt(a)
	}
	return [3][3]float64{
		{a*a + b*b - c*c - d*d, 2 * (b*c - a*d), 2 * (b*d + a*c)},
		{2 * (b*c + a*d), a*a + c*c - b*b - d*d, 2 * (c*d - a*b)},
		{2 * (b*d - a*c), 2 * (c*d + a*b), a*a + d*d - c*c - b*b},
	}
}

// niftiRotationToQuatern is nifti_mat44_to_quatern for an orthonormal matrix whose columns are the
// voxel axes: it returns b, c, d and qfac (-1 when the frame is left-handed, in which case the
// third column is negated to make a rotation first). A matrix that is not orthonormal (a sheared
// grid) is orthonormalised first; the sform, which liverseg also writes, stays exact.
func niftiRotationToQuatern(m [3][3]float64) (b, c, d, qfac float64) {
	cols := [3][3]float64{}
	for ax := 0; ax < 3; ax++ {
		cols[ax] = [3]float64{m[0][ax], m[1][ax], m[2][ax]}
	}
	// Gram-Schmidt, keeping the first two axes' directions (the in-plane axes matter most).
	cols[0] = niftiUnit(cols[0])
	cols[1] = niftiUnit(niftiSub(cols[1], niftiScale(cols[0], niftiDot(cols[0], cols[1]))))
	n := niftiCross(cols[0], cols[1])
	qfac = 1
	if niftiDot(n, cols[2]) < 0 {
		qfac = -1
	}
	cols[2] = n // right-handed third axis; qfac carries the sign
	var r [3][3]float64
	for ax := 0; ax < 3; ax++ {
		for w := 0; w < 3; w++ {
			r[w][ax] = cols[ax][w]
		}
	}
	var a float64
	if t := r[0][0] + r[1][1] + r[2][2] + 1; t > 0.5 {
		a = 0.5 * math.Sqrt(t)
		b = 0.25 * (r[2][1] - r[1][2]) / a
		c = 0.25 * (r[0][2] - r[2][0]) / a
		d = 0.25 * (r[1][0] - r[0][1]) / a
	} else {
		xd := 1 + r[0][0] - (r[1][1] + r[2][2])
		yd := 1 + r[1][1] - (r[0][0] + r[2][2])
		zd := 1 + r[2][2] - (r[0][0] + r[1][1])
		switch {
		case xd > 1:
			b = 0.5 * math.Sqrt(xd)
			c = 0.25 * (r[0][1] + r[1][0]) / b
			d = 0.25 * (r[0][2] + r[2][0]) / b
			a = 0.25 * (r[2][1] - r[1][2]) / b
		case yd > 1:
			c = 0.5 * math.Sqrt(yd)
			b = 0.25 * (r[0][1] + r[1][0]) / c
			d = 0.25 * (r[1][2] + r[2][1]) / c
			a = 0.25 * (r[0][2] - r[2][0]) / c
		default:
			d = 0.5 * math.Sqrt(zd)
			b = 0.25 * (r[0][2] + r[2][0]) / d
			c = 0.25 * (r[1][2] + r[2][1]) / d
			a = 0.25 * (r[1][0] - r[0][1]) / d
		}
		if a < 0 {
			// The stored quaternion has a >= 0 implied; (−a,−b,−c,−d) is the same rotation.
			b, c, d = -b, -c, -d
		}
	}
	return b, c, d, qfac
}

// niftiSource opens the stream of a NIfTI file: gzip is recognised by its magic bytes, not by the
// name, since files are often renamed. It returns the reader positioned at the data and the
// header. gz reports whether the stream was compressed (then its length is unknown in advance).
func niftiSource(r io.Reader) (h *niftiHeader, data io.Reader, gz *gzip.Reader, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	src := io.Reader(br)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err = gzip.NewReader(br)
		if err != nil {
			return nil, nil, nil, niftiIOError("gzip header", err)
		}
		src = gz
	}
	hb := make([]byte, niftiHeaderSize)
	n, err := io.ReadFull(src, hb)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil, nil, nil, fmt.Errorf("%w: empty", ErrNotNIfTI)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return nil, nil, nil, niftiIOError("header", err) // a disk or gzip error, not a short file
	}
	// A short header is still parsed, so that a 10-byte text file is ErrNotNIfTI and a cut
	// NIfTI header ErrTruncated.
	h, err = parseNIfTIHeader(hb[:n])
	if err != nil {
		return nil, nil, nil, err
	}
	// Skip the extension flag and extensions; io.CopyN allocates nothing per byte skipped.
	if skip := h.voxOffset - niftiHeaderSize; skip > 0 {
		if _, err := io.CopyN(io.Discard, src, skip); err != nil {
			return nil, nil, nil, niftiIOError(fmt.Sprintf("extensions before vox_offset %d", h.voxOffset), err)
		}
	}
	return h, src, gz, nil
}

// niftiIOError classifies a read error: an early end is ErrTruncated, a broken gzip stream
// ErrMalformed, anything else (a disk error) is returned as is.
func niftiIOError(what string, err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %s", ErrTruncated, what)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	case errors.As(err, new(flate.CorruptInputError)):
		return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// niftiChunk is how many voxels are decoded at once: small enough to keep the scratch buffers at
// about 1 MB, large enough that the per-chunk overhead does not show.
const niftiChunk = 1 << 16

// readNIfTIRaw reads the h.voxels() voxels from r in chunks and hands each chunk of raw bytes to
// emit with the index of its first voxel. It never holds more than a chunk: what the caller
// allocates is its own business, so that a header that promises more than the stream holds costs
// at most what the stream really holds.
func readNIfTIRaw(h *niftiHeader, r io.Reader, emit func(start int, raw []byte)) error {
	raw := make([]byte, niftiChunk*h.bpv)
	total := h.voxels()
	for start := 0; start < total; start += niftiChunk {
		m := min(niftiChunk, total-start)
		buf := raw[:m*h.bpv]
		if _, err := io.ReadFull(r, buf); err != nil {
			return niftiIOError(fmt.Sprintf("data ends before voxel %d of %d", start, total), err)
		}
		emit(start, buf)
	}
	return nil
}

// readNIfTIData is readNIfTIRaw with the voxels decoded to float64 and scaled by
// scl_slope/scl_inter.
func readNIfTIData(h *niftiHeader, r io.Reader, emit func(start int, vals []float64)) error {
	vals := make([]float64, niftiChunk)
	scaled := h.slope != 1 || h.inter != 0
	return readNIfTIRaw(h, r, func(start int, raw []byte) {
		v := vals[:len(raw)/h.bpv]
		niftiDecode(h.datatype, h.order, raw, v)
		if scaled {
			for i := range v {
				v[i] = v[i]*h.slope + h.inter
			}
		}
		emit(start, v)
	})
}

// niftiDecode converts raw voxels of a supported datatype to float64.
func niftiDecode(dt int16, o binary.ByteOrder, b []byte, v []float64) {
	switch dt {
	case niftiUint8:
		for i := range v {
			v[i] = float64(b[i])
		}
	case niftiInt8:
		for i := range v {
			v[i] = float64(int8(b[i]))
		}
	case niftiInt16:
		for i := range v {
			v[i] = float64(int16(o.Uint16(b[2*i:])))
		}
	case niftiUint16:
		for i := range v {
			v[i] = float64(o.Uint16(b[2*i:]))
		}
	case niftiInt32:
		for i := range v {
			v[i] = float64(int32(o.Uint32(b[4*i:])))
		}
	case niftiUint32:
		for i := range v {
			v[i] = float64(o.Uint32(b[4*i:]))
		}
	case niftiFloat32:
		for i := range v {
			v[i] = float64(math.Float32frombits(o.Uint32(b[4*i:])))
		}
	case niftiInt64:
		for i := range v {
			v[i] = float64(int64(o.Uint64(b[8*i:])))
		}
	case niftiUint64:
		for i := range v {
			v[i] = float64(o.Uint64(b[8*i:]))
		}
	case niftiFloat64:
		for i := range v {
			v[i] = math.Float64frombits(o.Uint64(b[8*i:]))
		}
	}
}

// niftiFinish drains what is left of a gzip stream (up to a bound) so that its CRC is checked: a
// corrupt .nii.gz whose damage happens to decode should not pass silently. Data beyond the bound
// (unusual: the data normally ends the file) is not read.
func niftiFinish(gz *gzip.Reader) error {
	if gz == nil {
		return nil
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(gz, 1<<20)); err != nil {
		return niftiIOError("gzip trailer", err)
	}
	return nil
}

// ReadNIfTIVolume reads a NIfTI-1 CT (.nii or .nii.gz) as a Volume: HU = value × scl_slope +
// scl_inter, rounded and clamped to int16, in the file's voxel order, with the affine (sform, else
// qform, else pixdim) turned from RAS into LPS Origin, Spacing and Direction.
func ReadNIfTIVolume(path string) (*Volume, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	defer f.Close()
	v, err := readNIfTIVolume(path, f, niftiFileSize(f))
	if err != nil {
		return nil, err
	}
	return v, nil
}

// niftiFileSize is the size of a regular file, or -1.
func niftiFileSize(f *os.File) int64 {
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		return st.Size()
	}
	return -1
}

// readNIfTIVolume is ReadNIfTIVolume on a stream; size is the stream's length when known (-1 when
// not), which lets an uncompressed file that is too short fail before anything is allocated.
func readNIfTIVolume(name string, r io.Reader, size int64) (*Volume, error) {
	v, err := readNIfTIVolumeStream(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	v.Series.Path = name
	return v, nil
}

func readNIfTIVolumeStream(r io.Reader, size int64) (*Volume, error) {
	h, data, gz, err := niftiSource(r)
	if err != nil {
		return nil, err
	}
	n := h.voxels()
	need := h.voxOffset + int64(n)*int64(h.bpv)
	if gz == nil && size >= 0 && size < need {
		return nil, fmt.Errorf("%w: %s %s voxels need %d bytes from offset %d, the file has %d",
			ErrTruncated, dimsString(h.dims), niftiTypeName(h.datatype), need-h.voxOffset, h.voxOffset, size)
	}
	v := &Volume{Dims: h.dims}
	if err := niftiSetGeometry(v, h); err != nil {
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
	if h.datatype == niftiInt16 && h.slope == 1 && h.inter == 0 {
		// What dcm2niix and liverseg write: the stored values are the HU, no conversion needed.
		err = readNIfTIRaw(h, data, func(_ int, raw []byte) {
			for i := 0; i < len(raw); i += 2 {
				vox = append(vox, int16(h.order.Uint16(raw[i:])))
			}
		})
	} else {
		err = readNIfTIData(h, data, func(_ int, vals []float64) {
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
	if err := niftiFinish(gz); err != nil {
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
	if h.datatype == niftiFloat32 || h.datatype == niftiFloat64 {
		v.Warnings = append(v.Warnings, "voxels are floating point, rounded to whole HU")
	}
	return v, nil
}

// niftiSetGeometry fills the volume's LPS geometry from the header's affine.
func niftiSetGeometry(v *Volume, h *niftiHeader) error {
	l := h.lps()
	for ax := 0; ax < 3; ax++ {
		col := [3]float64{l[0][ax], l[1][ax], l[2][ax]}
		s := math.Sqrt(niftiDot(col, col))
		if s == 0 || !niftiFinite(s) {
			return fmt.Errorf("%w: %s axis %d has length %g", ErrGeometry, h.rasSource, ax, s)
		}
		v.Spacing[ax] = s
		v.Direction[ax] = niftiScale(col, 1/s)
	}
	for a := 0; a < 3; a++ {
		v.Origin[a] = l[a][3]
	}
	const orthoTol = 1e-3
	if math.Abs(niftiDot(v.Direction[0], v.Direction[1])) > orthoTol ||
		math.Abs(niftiDot(v.Direction[0], v.Direction[2])) > orthoTol ||
		math.Abs(niftiDot(v.Direction[1], v.Direction[2])) > orthoTol {
		v.Warnings = append(v.Warnings, fmt.Sprintf("the %s axes are not orthogonal (a sheared grid)", h.rasSource))
	}
	return nil
}

// ReadNIfTILabel reads a NIfTI-1 label aligned to ref through its affine. The label's voxel axes
// may be any permutation and flip of ref's (a file written by another tool in another voxel order);
// those are undone exactly. Anything that would need interpolation — other dimensions, spacing,
// origin, or oblique axes — is an error wrapping ErrGeometry that prints both geometries. Nonzero
// (after scaling) is liver.
func ReadNIfTILabel(path string, ref *Volume) (*Mask, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readNIfTILabel(path, f, niftiFileSize(f), ref)
}

func readNIfTILabel(name string, r io.Reader, size int64, ref *Volume) (*Mask, error) {
	m, err := readNIfTILabelStream(r, size, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func readNIfTILabelStream(r io.Reader, size int64, ref *Volume) (*Mask, error) {
	h, data, gz, err := niftiSource(r)
	if err != nil {
		return nil, err
	}
	mp, err := niftiAlign(h, ref)
	if err != nil {
		return nil, err
	}
	n := h.voxels()
	need := h.voxOffset + int64(n)*int64(h.bpv)
	if gz == nil && size >= 0 && size < need {
		return nil, fmt.Errorf("%w: %s voxels need %d bytes from offset %d, the file has %d",
			ErrTruncated, dimsString(h.dims), need-h.voxOffset, h.voxOffset, size)
	}
	// The mask has ref's size, which the alignment has just checked equals the header's: this
	// allocation is bounded by a volume that already exists, not by the file.
	mask := NewMask(ref.Dims)
	d0, d1 := h.dims[0], h.dims[1]
	err = readNIfTIData(h, data, func(start int, vals []float64) {
		i := start % d0
		j := (start / d0) % d1
		k := start / (d0 * d1)
		off := mp.base + i*mp.step[0] + j*mp.step[1] + k*mp.step[2]
		for _, x := range vals {
			if x != 0 && !math.IsNaN(x) { // NaN is "no value", not a label
				mask.Voxels[off] = Liver
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
	if err := niftiFinish(gz); err != nil {
		return nil, err
	}
	return mask, nil
}

// niftiMapping sends NIfTI voxel (i, j, k) to ref's Voxels[base + i*step[0] + j*step[1] + k*step[2]].
type niftiMapping struct {
	base int
	step [3]int
}

// niftiAlign finds the permutation and flips that carry the label's voxel grid onto ref's, or says
// why there is none.
func niftiAlign(h *niftiHeader, ref *Volume) (niftiMapping, error) {
	var mp niftiMapping
	fail := func(why string, args ...any) (niftiMapping, error) {
		return mp, fmt.Errorf("%w: %s; label %s; volume %s", ErrGeometry, fmt.Sprintf(why, args...),
			niftiLabelGeometry(h), niftiVolumeGeometry(ref))
	}
	if ref == nil || ref.Len() <= 0 {
		return mp, fmt.Errorf("%w: no reference volume", ErrGeometry)
	}
	l := h.lps()
	stride := [3]int{1, ref.Dims[0], ref.Dims[0] * ref.Dims[1]}
	var refDir [3][3]float64
	for b := 0; b < 3; b++ {
		refDir[b] = niftiUnit(ref.Direction[b])
	}
	var used [3]bool
	var perm [3]int
	var flip [3]bool
	// The label's grid in the volume's axis order, for the check every label reader shares.
	grid := labelGrid{What: "label in the volume's axis order"}
	for a := 0; a < 3; a++ {
		col := [3]float64{l[0][a], l[1][a], l[2][a]}
		length := math.Sqrt(niftiDot(col, col))
		u := niftiScale(col, 1/length)
		found := false
		for b := 0; b < 3 && !found; b++ {
			for _, s := range []float64{1, -1} {
				if niftiNorm(niftiSub(u, niftiScale(refDir[b], s))) <= labelDirTol {
					if used[b] {
						return fail("label axes %d and another are both along volume axis %d", a, b)
					}
					used[b], perm[a], flip[a], found = true, b, s < 0, true
					grid.Dims[b], grid.Spacing[b], grid.Direction[b] = h.dims[a], length, niftiScale(u, s)
					break
				}
			}
		}
		if !found {
			return fail("label axis %d (%s) is parallel to no volume axis (oblique)", a, niftiVec(u))
		}
	}
	if err := checkLabelGeometry(ref, grid); err != nil {
		return mp, fmt.Errorf("%w; label %s; volume %s", err, niftiLabelGeometry(h), niftiVolumeGeometry(ref))
	}
	// The corners must coincide, not just the axes: label voxel (0,0,0) and the opposite corner
	// must land on the ref voxels the permutation says. The origin tolerance is a hundredth of a
	// voxel (no less than 0.01 mm, about what float32 positions and DICOM's decimal strings keep);
	// the far corner may drift by a tenth of a voxel, what spacing rounding adds up to over the
	// grid — more would shift the label visibly at the far end.
	minSp := min(ref.Spacing[0], ref.Spacing[1], ref.Spacing[2])
	tol := max(0.01, 0.01*minSp)
	farTol := max(tol, 0.1*minSp)
	var near, far [3]float64 // ref indices of the label's corners
	for a := 0; a < 3; a++ {
		b := perm[a]
		last := ref.Dims[b] - 1
		if flip[a] {
			near[b], far[b] = float64(last), 0
			mp.base += last * stride[b]
			mp.step[a] = -stride[b]
		} else {
			near[b], far[b] = 0, float64(last)
			mp.step[a] = stride[b]
		}
	}
	labelNear := [3]float64{l[0][3], l[1][3], l[2][3]}
	if d := niftiNorm(niftiSub(labelNear, ref.Position(near[0], near[1], near[2]))); d > tol {
		return fail("the label's first voxel is %.4g mm from the volume voxel it falls on", d)
	}
	var labelFar [3]float64
	for w := 0; w < 3; w++ {
		labelFar[w] = l[w][3]
		for a := 0; a < 3; a++ {
			labelFar[w] += l[w][a] * float64(h.dims[a]-1)
		}
	}
	if d := niftiNorm(niftiSub(labelFar, ref.Position(far[0], far[1], far[2]))); d > farTol {
		return fail("the label's last voxel is %.4g mm from the volume voxel it falls on", d)
	}
	return mp, nil
}

// niftiLabelGeometry describes a label's grid in LPS, the way niftiVolumeGeometry does a volume.
func niftiLabelGeometry(h *niftiHeader) string {
	v := &Volume{Dims: h.dims}
	if err := niftiSetGeometry(v, h); err != nil {
		return dimsString(h.dims) + " (degenerate " + h.rasSource + ")"
	}
	return niftiVolumeGeometry(v) + " from its " + h.rasSource
}

// niftiVolumeGeometry prints dims, spacing, LPS origin and axes, for geometry errors.
func niftiVolumeGeometry(v *Volume) string {
	return fmt.Sprintf("%s voxels, spacing %.6gx%.6gx%.6g mm, origin (%.7g, %.7g, %.7g) LPS, axes %s %s %s",
		dimsString(v.Dims), v.Spacing[0], v.Spacing[1], v.Spacing[2], v.Origin[0], v.Origin[1], v.Origin[2],
		niftiVec(v.Direction[0]), niftiVec(v.Direction[1]), niftiVec(v.Direction[2]))
}

// niftiVec prints a direction; adding 0 turns -0 (from negating RAS rows) into 0.
func niftiVec(u [3]float64) string { return fmt.Sprintf("(%.4g,%.4g,%.4g)", u[0]+0, u[1]+0, u[2]+0) }

func niftiTypeName(dt int16) string {
	switch dt {
	case niftiUint8:
		return "uint8"
	case niftiInt8:
		return "int8"
	case niftiInt16:
		return "int16"
	case niftiUint16:
		return "uint16"
	case niftiInt32:
		return "int32"
	case niftiUint32:
		return "uint32"
	case niftiFloat32:
		return "float32"
	case niftiFloat64:
		return "float64"
	case niftiInt64:
		return "int64"
	case niftiUint64:
		return "uint64"
	}
	return fmt.Sprintf("datatype %d", dt)
}

// niftiWrite is what a written file needs beyond its voxels.
type niftiWrite struct {
	dims     [3]int
	datatype int16 // niftiUint8 or niftiInt16 (the only two liverseg writes)
	ras      [3][4]float64
	intent   int16
	descrip  string
	calMin   float64
	calMax   float64
}

// niftiRAS is ref's voxel→RAS affine: its LPS affine with the first two rows negated.
func niftiRAS(v *Volume) [3][4]float64 {
	a := v.Affine()
	var m [3][4]float64
	for r := 0; r < 3; r++ {
		m[r] = a[r]
	}
	for c := 0; c < 4; c++ {
		m[0][c], m[1][c] = -m[0][c], -m[1][c]
	}
	return m
}

// niftiHeaderBytes builds the 352 bytes before the data (header and an empty extension flag).
// Both sform and qform are set, with code 1 (scanner): some readers use only one of them.
func niftiHeaderBytes(p niftiWrite, o binary.ByteOrder) []byte {
	b := make([]byte, niftiDataOffset)
	put16 := func(off int, v int16) { o.PutUint16(b[off:], uint16(v)) }
	putf := func(off int, v float64) { o.PutUint32(b[off:], math.Float32bits(float32(v))) }
	o.PutUint32(b[0:], niftiHeaderSize)
	b[38] = 'r' // "regular", as ANALYZE readers expect
	put16(40, 3)
	for i := 0; i < 3; i++ {
		put16(42+2*i, int16(p.dims[i]))
	}
	for i := 3; i < 7; i++ {
		put16(42+2*i, 1)
	}
	put16(68, p.intent)
	put16(70, p.datatype)
	put16(72, int16(8*niftiBytesPer(p.datatype)))

	var sp [3]float64
	var rot [3][3]float64
	for ax := 0; ax < 3; ax++ {
		col := [3]float64{p.ras[0][ax], p.ras[1][ax], p.ras[2][ax]}
		sp[ax] = niftiNorm(col)
		for w := 0; w < 3; w++ {
			if sp[ax] > 0 {
				rot[w][ax] = col[w] / sp[ax]
			}
		}
	}
	qb, qc, qd, qfac := niftiRotationToQuatern(rot)
	putf(76, qfac)
	for i := 0; i < 3; i++ {
		putf(80+4*i, sp[i])
	}
	for i := 3; i < 7; i++ {
		putf(80+4*i, 1)
	}
	putf(108, niftiDataOffset)
	putf(112, 1) // scl_slope 1, scl_inter 0: stored values are the values (as dcm2niix writes)
	putf(116, 0)
	b[123] = niftiUnitsMM
	putf(124, p.calMax)
	putf(128, p.calMin)
	copy(b[148:228], p.descrip)
	put16(252, 1) // qform_code NIFTI_XFORM_SCANNER_ANAT
	put16(254, 1) // sform_code likewise
	putf(256, qb)
	putf(260, qc)
	putf(264, qd)
	putf(268, p.ras[0][3])
	putf(272, p.ras[1][3])
	putf(276, p.ras[2][3])
	for r := 0; r < 3; r++ {
		for c := 0; c < 4; c++ {
			putf(280+16*r+4*c, p.ras[r][c])
		}
	}
	copy(b[344:348], "n+1\x00")
	return b
}

// writeNIfTI writes header and data to path, gzip-compressed when the name ends in .gz. It writes a
// temporary file in the same folder and renames it, so that a crash or a full disk never leaves a
// half-written label where a good one was.
func writeNIfTI(path string, p niftiWrite, data []byte) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var gz *gzip.Writer
		if strings.HasSuffix(strings.ToLower(path), ".gz") {
			// BestSpeed: labels and CTs compress well anyway, and the default level is several
			// times slower on a 500-slice volume.
			gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
			w = gz
		}
		if _, err := w.Write(niftiHeaderBytes(p, binary.LittleEndian)); err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		if gz != nil {
			return gz.Close()
		}
		return nil
	})
}

// niftiCheckWritable rejects a geometry that no NIfTI reader could place.
func niftiCheckWritable(path string, v *Volume) error {
	for ax := 0; ax < 3; ax++ {
		if v.Dims[ax] < 1 || v.Dims[ax] > math.MaxInt16 {
			return fmt.Errorf("%s: %w: %s voxels do not fit a NIfTI-1 header (1..32767 per axis)", path, ErrGeometry, dimsString(v.Dims))
		}
		if !(v.Spacing[ax] > 0) || !niftiFinite(v.Spacing[ax]) {
			return fmt.Errorf("%s: %w: spacing %v", path, ErrGeometry, v.Spacing)
		}
	}
	if math.Abs(niftiDet(niftiRAS(v))) < 1e-12 {
		return fmt.Errorf("%s: %w: degenerate directions %v", path, ErrGeometry, v.Direction)
	}
	return nil
}

// WriteNIfTILabel writes m as a uint8 NIfTI-1 label (intent NIFTI_INTENT_LABEL) with ref's
// geometry, in ref's voxel order (columns, rows, slices), gzip-compressed when path ends in .gz.
func WriteNIfTILabel(path string, ref *Volume, m *Mask) error {
	if err := ref.CheckMask(m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := niftiCheckWritable(path, ref); err != nil {
		return err
	}
	var maxLabel uint8
	for _, x := range m.Voxels {
		maxLabel = max(maxLabel, x)
	}
	return writeNIfTI(path, niftiWrite{
		dims: ref.Dims, datatype: niftiUint8, ras: niftiRAS(ref), intent: niftiIntentLabel,
		descrip: "liverseg label", calMin: 0, calMax: float64(maxLabel),
	}, m.Voxels)
}

// WriteNIfTIVolume writes the CT as int16 HU (scl_slope 1), as dcm2niix would, but in the volume's
// voxel order (columns, rows, slices) with the affine that places it: the same file that
// WriteNIfTILabel's labels line up with.
func WriteNIfTIVolume(path string, v *Volume) error {
	if len(v.Voxels) != v.Len() || v.Len() <= 0 {
		return fmt.Errorf("%s: %w: %d voxels for %s", path, ErrGeometry, len(v.Voxels), dimsString(v.Dims))
	}
	if err := niftiCheckWritable(path, v); err != nil {
		return err
	}
	data := make([]byte, 2*len(v.Voxels))
	lo, hi := int16(math.MaxInt16), int16(math.MinInt16)
	for i, x := range v.Voxels {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(x))
		lo, hi = min(lo, x), max(hi, x)
	}
	return writeNIfTI(path, niftiWrite{
		dims: v.Dims, datatype: niftiInt16, ras: niftiRAS(v), descrip: "liverseg CT (HU)",
		calMin: float64(lo), calMax: float64(hi),
	}, data)
}

// Small 3-vector helpers, named for this file so as not to clash with others in the package.

func niftiFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func niftiDot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func niftiNorm(a [3]float64) float64 { return math.Sqrt(niftiDot(a, a)) }

func niftiSub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

func niftiScale(a [3]float64, s float64) [3]float64 { return [3]float64{a[0] * s, a[1] * s, a[2] * s} }

func niftiUnit(a [3]float64) [3]float64 {
	n := niftiNorm(a)
	if n == 0 {
		return a
	}
	return niftiScale(a, 1/n)
}

func niftiCross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// niftiDet is the determinant of the 3x3 part of an affine.
func niftiDet(m [3][4]float64) float64 {
	return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
}
