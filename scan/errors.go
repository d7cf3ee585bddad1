package scan

import "errors"

// Sentinel errors, for errors.Is. Every error that leaves this package also names the file.
var (
	// ErrNotDICOM: the file is not a DICOM file (no DICM magic and no readable dataset).
	ErrNotDICOM = errors.New("not a DICOM file")
	// ErrTruncated: the file ends before the data its header promises.
	ErrTruncated = errors.New("file is truncated")
	// ErrMalformed: the structure of the file is broken (bad lengths, bad values).
	ErrMalformed = errors.New("malformed file")
	// ErrTooLarge: the header declares dimensions larger than the file or than liverseg accepts.
	ErrTooLarge = errors.New("declared size is too large")
	// ErrCompressed: the pixel data is compressed in a transfer syntax liverseg does not decode.
	// Every image syntax is decoded (JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE, deflated frames) except
	// the video ones (MPEG-2, H.264, HEVC) and, in a build without cgo, JPEG-LS and JPEG 2000.
	ErrCompressed = errors.New("compressed in a transfer syntax liverseg does not decode")
	// ErrUnsupported: a valid file that liverseg does not handle (photometric, bit depth...).
	ErrUnsupported = errors.New("unsupported")
	// ErrGeometry: a label or image does not match the geometry of the volume.
	ErrGeometry = errors.New("geometry does not match")
	// ErrNoSeries: no image series was found where one was expected.
	ErrNoSeries = errors.New("no DICOM image series found")
	// ErrNoSegment: a DICOM SEG has no segment that is the liver (or the one asked for).
	ErrNoSegment = errors.New("no such segment")
)

// MaxVoxels bounds any volume or label liverseg allocates (2^31 voxels: 2048x2048x512), so that a
// hostile header cannot make it allocate without limit.
const MaxVoxels = 1 << 31
