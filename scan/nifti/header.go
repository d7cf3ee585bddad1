// Package nifti reads and writes NIfTI-1 images (.nii and .nii.gz), pure Go: a CT as a
// scan.Volume, a label as a scan.Mask aligned to one.
//
// NIfTI world coordinates are RAS (+x = Right, +y = Anterior, +z = Superior), while a Volume, like
// DICOM, is LPS (+x = Left, +y = Posterior, +z = Superior). Going from one to the other negates the
// first two rows of the affine; that is all this package ever does to coordinates, and it never
// resamples voxels.
package nifti

// The header: its byte layout (rawHeader, for reader and writer alike) and what liverseg uses of
// it, checked (header).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"liverseg/scan"
	"liverseg/scan/internal/vec3"
)

// ErrNotNIfTI: the file is not a single-file NIfTI-1 image (no sizeof_hdr 348 in either byte order).
var ErrNotNIfTI = errors.New("not a NIfTI-1 file")

const (
	headerSize = 348
	// dataOffset is where a single-file NIfTI-1 puts its data when it has no extensions: the
	// 348-byte header plus the 4-byte extension flag.
	dataOffset = 352

	intentLabel  = 1002 // NIFTI_INTENT_LABEL
	unitsMM      = 2    // NIFTI_UNITS_MM in xyzt_units
	xformScanner = 1    // NIFTI_XFORM_SCANNER_ANAT, the qform_code and sform_code liverseg writes

	// maxVoxOffset bounds the extension area skipped before the data. Extensions are small (a few
	// kB of JSON or DICOM tags); anything beyond this is a broken or hostile header.
	maxVoxOffset = 1 << 30
)

// rawHeader is the NIfTI-1 header as stored, field by field in the standard's order (nifti1.h),
// 348 bytes with no padding; encoding/binary reads and writes it in the file's byte order. The
// offsets are the standard's.
type rawHeader struct {
	SizeofHdr     int32         // 0: 348
	DataType      [10]byte      // 4: unused (ANALYZE)
	DBName        [18]byte      // 14: unused
	Extents       int32         // 32: unused
	SessionError  int16         // 36: unused
	Regular       byte          // 38: 'r'
	DimInfo       byte          // 39
	Dim           [8]int16      // 40: dim[0] the number of dimensions, dim[1..7] their sizes
	IntentP1      float32       // 56
	IntentP2      float32       // 60
	IntentP3      float32       // 64
	IntentCode    int16         // 68
	Datatype      int16         // 70
	Bitpix        int16         // 72
	SliceStart    int16         // 74
	Pixdim        [8]float32    // 76: pixdim[0] is qfac, pixdim[1..3] the voxel size
	VoxOffset     float32       // 108: where the data starts
	SclSlope      float32       // 112
	SclInter      float32       // 116
	SliceEnd      int16         // 120
	SliceCode     byte          // 122
	XYZTUnits     byte          // 123
	CalMax        float32       // 124
	CalMin        float32       // 128
	SliceDuration float32       // 132
	Toffset       float32       // 136
	Glmax         int32         // 140: unused
	Glmin         int32         // 144: unused
	Descrip       [80]byte      // 148
	AuxFile       [24]byte      // 228
	QformCode     int16         // 252
	SformCode     int16         // 254
	Quatern       [3]float32    // 256: quatern_b, quatern_c, quatern_d
	Qoffset       [3]float32    // 268: qoffset_x, qoffset_y, qoffset_z
	Srow          [3][4]float32 // 280: srow_x, srow_y, srow_z
	IntentName    [16]byte      // 328
	Magic         [4]byte       // 344: "n+1\0" for a single file
}

// Sniff reports whether head, the first bytes of a file (at least 348 to see the magic), look like
// NIfTI-1: gzip (a .nii.gz under another name) or the magic of a single file or a .hdr/.img pair.
func Sniff(head []byte) bool {
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return true
	}
	var r rawHeader
	if _, err := binary.Decode(head, binary.LittleEndian, &r); err != nil {
		return false // shorter than a header
	}
	return r.Magic == [4]byte{'n', '+', '1', 0} || r.Magic == [4]byte{'n', 'i', '1', 0}
}

// NIfTI-1 datatype codes.
const (
	typeUint8   = 2
	typeInt16   = 4
	typeInt32   = 8
	typeFloat32 = 16
	typeFloat64 = 64
	typeInt8    = 256
	typeUint16  = 512
	typeUint32  = 768
	typeInt64   = 1024
	typeUint64  = 1280
)

// datatypes are the voxel types liverseg reads: their size and name. The others (complex, RGB,
// float128...) are refused.
var datatypes = map[int16]struct {
	bytes int
	name  string
}{
	typeUint8: {1, "uint8"}, typeInt8: {1, "int8"},
	typeInt16: {2, "int16"}, typeUint16: {2, "uint16"},
	typeInt32: {4, "int32"}, typeUint32: {4, "uint32"}, typeFloat32: {4, "float32"},
	typeInt64: {8, "int64"}, typeUint64: {8, "uint64"}, typeFloat64: {8, "float64"},
}

// bytesPer is the size of one voxel of a supported datatype, 0 for the others.
func bytesPer(dt int16) int { return datatypes[dt].bytes }

// typeName names a datatype for messages.
func typeName(dt int16) string {
	if t, ok := datatypes[dt]; ok {
		return t.name
	}
	return fmt.Sprintf("datatype %d", dt)
}

// header is what liverseg uses of a NIfTI-1 header, already checked.
type header struct {
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
func (h *header) voxels() int { return h.dims[0] * h.dims[1] * h.dims[2] }

// lps is the voxel→LPS affine.
func (h *header) lps() [3][4]float64 { return flipRAS(h.ras) }

// parseHeader checks and decodes the 348 header bytes. It checks everything needed to bound the
// work that follows: the dimensions (each positive, product at most scan.MaxVoxels), the datatype
// and vox_offset. It does not know how many bytes follow; readData finds that out.
func parseHeader(b []byte) (*header, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrNotNIfTI, len(b))
	}
	var order binary.ByteOrder
	switch le, be := binary.LittleEndian.Uint32(b), binary.BigEndian.Uint32(b); {
	case le == headerSize:
		order = binary.LittleEndian
	case be == headerSize:
		order = binary.BigEndian
	case le == 540 || be == 540:
		return nil, fmt.Errorf("%w: NIfTI-2 (sizeof_hdr 540)", scan.ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: sizeof_hdr is %d, not 348", ErrNotNIfTI, le)
	}
	if len(b) < headerSize {
		return nil, fmt.Errorf("%w: header has %d of 348 bytes", scan.ErrTruncated, len(b))
	}
	var r rawHeader
	if _, err := binary.Decode(b, order, &r); err != nil {
		return nil, fmt.Errorf("%w: header: %w", scan.ErrMalformed, err) // cannot happen: 348 bytes are there
	}
	switch magic := r.Magic[:]; {
	case bytes.Equal(magic[:3], []byte("n+1")):
	case bytes.Equal(magic[:3], []byte("ni1")):
		// A header/image pair keeps its voxels in a separate .img file.
		return nil, fmt.Errorf("%w: NIfTI-1 pair (.hdr/.img); convert it to a single .nii", scan.ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: magic %q is not \"n+1\" (an ANALYZE 7.5 file?)", ErrNotNIfTI, magic)
	}

	h := &header{order: order}
	ndim := int(r.Dim[0])
	if ndim < 1 || ndim > 7 {
		return nil, fmt.Errorf("%w: dim[0] = %d, want 1..7", scan.ErrMalformed, ndim)
	}
	total := int64(1)
	for i := 1; i <= 7; i++ {
		d := 1
		if i <= ndim {
			d = int(r.Dim[i])
		}
		if d < 1 {
			return nil, fmt.Errorf("%w: dim[%d] = %d", scan.ErrMalformed, i, d)
		}
		if i > 3 {
			if d != 1 {
				return nil, fmt.Errorf("%w: %d-D image (dim[%d] = %d); liverseg reads 3-D volumes and labels", scan.ErrUnsupported, ndim, i, d)
			}
			continue
		}
		h.dims[i-1] = d
		total *= int64(d) // at most 32767^3: no overflow in int64
	}
	if total > scan.MaxVoxels {
		return nil, fmt.Errorf("%w: %s voxels is more than %d", scan.ErrTooLarge, scan.DimsString(h.dims), int64(scan.MaxVoxels))
	}

	h.datatype = r.Datatype
	bpv := bytesPer(h.datatype)
	if bpv == 0 {
		return nil, fmt.Errorf("%w: NIfTI datatype %d", scan.ErrUnsupported, h.datatype)
	}
	h.bpv = bpv

	off := float64(r.VoxOffset)
	if math.IsNaN(off) || off < 0 || off > maxVoxOffset || off != math.Trunc(off) {
		return nil, fmt.Errorf("%w: vox_offset %g", scan.ErrMalformed, off)
	}
	h.voxOffset = int64(off)
	if h.voxOffset < dataOffset {
		// Some writers leave vox_offset 0 in single files (TotalSegmentator's example does); the
		// data then follows the header and extension flag, which is what nibabel reads too.
		h.voxOffset = dataOffset
	}

	// scl_slope 0 or not finite means "no scaling" (the standard, and nibabel).
	h.slope, h.inter = float64(r.SclSlope), float64(r.SclInter)
	if h.slope == 0 || !vec3.Finite(h.slope) {
		h.slope, h.inter = 1, 0
	}
	if !vec3.Finite(h.inter) {
		h.inter = 0
	}

	var err error
	h.ras, h.rasSource, err = affineOf(&r)
	if err != nil {
		return nil, err
	}
	return h, nil
}
