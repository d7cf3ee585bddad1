// Package codec decodes the compressed pixel data of DICOM transfer syntaxes: RLE Lossless, JPEG
// Lossless (process 14, every predictor), JPEG baseline (8-bit), JPEG 2000 and HTJ2K (OpenJPEG),
// JPEG-LS (CharLS) and Deflated Image Frame Compression, and assembles encapsulated fragments into
// frames. It imports nothing of liverseg's.
//
// Every decoder writes one frame in the native layout of Explicit VR Little Endian: samples of
// BitsAllocated bits, little endian, pixel-interleaved; 1-bit frames stay packed. Declared sizes
// are checked against the expected frame before anything is allocated, and the C libraries are
// only called once the codestream header has been checked to describe the expected frame.
package codec

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is. Callers add the file name.
var (
	// ErrUnsupported: a transfer syntax (or a feature of a codestream) that this package does not
	// decode; the error names it.
	ErrUnsupported = errors.New("unsupported compression")
	// ErrCorrupt: the compressed data is broken (bad markers, bad lengths, a stream that ends early).
	ErrCorrupt = errors.New("corrupt compressed data")
	// ErrMismatch: the codestream describes another image than the DICOM header (size, bits,
	// samples), so it is not decoded.
	ErrMismatch = errors.New("codestream does not match the DICOM header")
	// ErrFrames: the encapsulated fragments cannot be assembled into the declared frames.
	ErrFrames = errors.New("fragments do not make up the frames")
)

// Transfer syntax UIDs with encapsulated (or per-frame compressed) pixel data.
const (
	JPEGBaseline      = "1.2.840.10008.1.2.4.50"
	JPEGExtended      = "1.2.840.10008.1.2.4.51"
	JPEGLossless      = "1.2.840.10008.1.2.4.57"
	JPEGLosslessSV1   = "1.2.840.10008.1.2.4.70"
	JPEGLSLossless    = "1.2.840.10008.1.2.4.80"
	JPEGLSNear        = "1.2.840.10008.1.2.4.81"
	JPEG2000Lossless  = "1.2.840.10008.1.2.4.90"
	JPEG2000          = "1.2.840.10008.1.2.4.91"
	HTJ2KLossless     = "1.2.840.10008.1.2.4.201"
	HTJ2KLosslessRPCL = "1.2.840.10008.1.2.4.202"
	HTJ2K             = "1.2.840.10008.1.2.4.203"
	RLELossless       = "1.2.840.10008.1.2.5"
	DeflatedFrame     = "1.2.840.10008.1.2.8.1"
)

// Format is what the DICOM header says one frame holds.
type Format struct {
	Rows, Cols    int
	Samples       int // samples per pixel
	BitsAllocated int // 1, 8 or 16 (32 for RLE and deflate)
	BitsStored    int
	Signed        bool // PixelRepresentation 1
}

// MaxFrameBytes bounds one decoded frame (a 65535x65535 frame of 16-bit RGB would be 24 GB).
const MaxFrameBytes = 1 << 30

// FrameBytes is the size of one decoded frame in the native layout; 1-bit frames are packed and
// rounded up to whole bytes.
func (f Format) FrameBytes() int {
	n := int64(f.Rows) * int64(f.Cols) * int64(max(f.Samples, 1))
	if f.BitsAllocated == 1 {
		return int((n + 7) / 8)
	}
	return int(n * int64(f.BitsAllocated/8))
}

func (f Format) check() error {
	if f.Rows <= 0 || f.Cols <= 0 || f.Rows > 65535 || f.Cols > 65535 {
		return fmt.Errorf("%w: %dx%d pixels", ErrMismatch, f.Cols, f.Rows)
	}
	if f.Samples != 1 && f.Samples != 3 {
		return fmt.Errorf("%w: %d samples per pixel", ErrUnsupported, f.Samples)
	}
	switch f.BitsAllocated {
	case 1, 8, 16, 32:
	default:
		return fmt.Errorf("%w: BitsAllocated %d", ErrUnsupported, f.BitsAllocated)
	}
	if int64(f.Rows)*int64(f.Cols)*int64(f.Samples)*int64(max(f.BitsAllocated, 8)/8) > MaxFrameBytes {
		return fmt.Errorf("%w: %dx%d frame is larger than %d MB", ErrUnsupported, f.Cols, f.Rows, MaxFrameBytes>>20)
	}
	return nil
}

// bitsStored is BitsStored, or BitsAllocated where the header leaves it out or gives nonsense.
func (f Format) bitsStored() int {
	if f.BitsStored <= 0 || f.BitsStored > f.BitsAllocated {
		return f.BitsAllocated
	}
	return f.BitsStored
}

// Name is the short name of a transfer syntax this package knows.
func Name(ts string) string {
	switch ts {
	case JPEGBaseline:
		return "JPEG Baseline"
	case JPEGExtended:
		return "JPEG Extended"
	case JPEGLossless:
		return "JPEG Lossless"
	case JPEGLosslessSV1:
		return "JPEG Lossless SV1"
	case JPEGLSLossless:
		return "JPEG-LS Lossless"
	case JPEGLSNear:
		return "JPEG-LS Near-Lossless"
	case JPEG2000Lossless:
		return "JPEG 2000 Lossless"
	case JPEG2000:
		return "JPEG 2000"
	case HTJ2KLossless:
		return "HTJ2K Lossless"
	case HTJ2KLosslessRPCL:
		return "HTJ2K Lossless RPCL"
	case HTJ2K:
		return "HTJ2K"
	case RLELossless:
		return "RLE Lossless"
	case DeflatedFrame:
		return "Deflated Image Frame Compression"
	}
	return ts
}

// Supported says whether Decode handles ts (in this build: the JPEG 2000 and JPEG-LS decoders
// need cgo).
func Supported(ts string) bool {
	switch ts {
	case JPEGBaseline, JPEGExtended, JPEGLossless, JPEGLosslessSV1, RLELossless, DeflatedFrame:
		return true
	case JPEGLSLossless, JPEGLSNear:
		return haveJPEGLS
	case JPEG2000Lossless, JPEG2000, HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K:
		return haveJPEG2000
	}
	return false
}

// Decode decodes one frame of transfer syntax ts from src into dst, which must be
// f.FrameBytes() long. Nothing larger than dst is allocated from what src declares.
func Decode(ts string, src []byte, f Format, dst []byte) error {
	if err := f.check(); err != nil {
		return err
	}
	if len(dst) != f.FrameBytes() {
		return fmt.Errorf("codec: destination holds %d bytes, the frame %d", len(dst), f.FrameBytes())
	}
	switch ts {
	case RLELossless:
		return decodeRLE(src, f, dst)
	case DeflatedFrame:
		return decodeDeflate(src, dst)
	}
	if f.BitsAllocated == 1 || f.BitsAllocated == 32 {
		return fmt.Errorf("%w: %d-bit samples in %s", ErrUnsupported, f.BitsAllocated, Name(ts))
	}
	switch ts {
	case JPEGLossless, JPEGLosslessSV1:
		return decodeJPEGLossless(src, f, dst)
	case JPEGBaseline, JPEGExtended:
		return decodeJPEGBaseline(src, f, dst)
	case JPEGLSLossless, JPEGLSNear:
		return decodeJPEGLS(src, f, dst)
	case JPEG2000Lossless, JPEG2000, HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K:
		return decodeJPEG2000(src, f, dst)
	}
	return fmt.Errorf("%w: transfer syntax %s", ErrUnsupported, Name(ts))
}

// trimMsg tidies a C library's message: one line, no trailing newline.
func trimMsg(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
