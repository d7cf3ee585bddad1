package scan

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// pixelFormat is how the samples of an image are stored.
type pixelFormat struct {
	Rows, Cols, Frames int
	BitsAllocated      int
	BitsStored         int
	Signed             bool // PixelRepresentation 1
	Samples            int
	Photometric        string
}

// frameBytes is the size in bytes of one native frame (for 1-bit data, frames are packed
// back to back without padding, so use bitOffset instead).
func (pf pixelFormat) frameBytes() int { return pf.Rows * pf.Cols * pf.Samples * pf.BitsAllocated / 8 }

// readPixelFormat reads and checks the image pixel module of a header. It refuses what liverseg
// cannot turn into HU and bounds the size before anything is allocated.
func readPixelFormat(e elements, path string) (pixelFormat, error) {
	var pf pixelFormat
	var ok bool
	if pf.Rows, ok = e.int(tag.Rows); !ok {
		return pf, fmt.Errorf("%s: %w: no Rows", path, ErrMalformed)
	}
	if pf.Cols, ok = e.int(tag.Columns); !ok {
		return pf, fmt.Errorf("%s: %w: no Columns", path, ErrMalformed)
	}
	pf.Frames = 1
	if n, ok := e.int(tag.NumberOfFrames); ok {
		pf.Frames = n
	}
	pf.BitsAllocated, _ = e.int(tag.BitsAllocated)
	pf.BitsStored, ok = e.int(tag.BitsStored)
	if !ok {
		pf.BitsStored = pf.BitsAllocated
	}
	rep, _ := e.int(tag.PixelRepresentation)
	pf.Signed = rep == 1
	pf.Samples = 1
	if n, ok := e.int(tag.SamplesPerPixel); ok {
		pf.Samples = n
	}
	pf.Photometric = strings.ToUpper(e.str(tag.PhotometricInterpretation))
	if pf.Rows <= 0 || pf.Cols <= 0 || pf.Frames <= 0 || pf.Rows > 65535 || pf.Cols > 65535 {
		return pf, fmt.Errorf("%s: %w: %dx%d pixels, %d frames", path, ErrMalformed, pf.Cols, pf.Rows, pf.Frames)
	}
	if int64(pf.Rows)*int64(pf.Cols)*int64(pf.Frames) > MaxVoxels {
		return pf, fmt.Errorf("%s: %w: %dx%d pixels x %d frames", path, ErrTooLarge, pf.Cols, pf.Rows, pf.Frames)
	}
	switch pf.BitsAllocated {
	case 1, 8, 16, 32:
	default:
		return pf, fmt.Errorf("%s: %w: BitsAllocated %d", path, ErrUnsupported, pf.BitsAllocated)
	}
	if pf.BitsStored <= 0 || pf.BitsStored > pf.BitsAllocated {
		pf.BitsStored = pf.BitsAllocated
	}
	if pf.Samples != 1 {
		return pf, fmt.Errorf("%s: %w: %d samples per pixel (%s); CT is grayscale", path, ErrUnsupported, pf.Samples, pf.Photometric)
	}
	return pf, nil
}

// checkNativeLength says whether the native pixel data holds all the frames the header declares.
func (pf pixelFormat) checkNativeLength(length int, path string) error {
	need := int64(pf.Rows) * int64(pf.Cols) * int64(pf.Frames) * int64(pf.Samples)
	if pf.BitsAllocated == 1 {
		need = (need + 7) / 8
	} else {
		need *= int64(pf.BitsAllocated / 8)
	}
	if int64(length) < need {
		return fmt.Errorf("%s: %w: pixel data holds %d bytes, %dx%dx%d at %d bits needs %d",
			path, ErrTruncated, length, pf.Cols, pf.Rows, pf.Frames, pf.BitsAllocated, need)
	}
	return nil
}

// rescale maps a stored value to HU.
type rescale struct {
	Slope, Intercept float64
	LUT              *modalityLUT // a Modality LUT Sequence replaces slope and intercept
}

// modalityLUT maps stored values from First on to Data; values outside take the end entries.
type modalityLUT struct {
	First int64
	Data  []uint16
}

func (l *modalityLUT) apply(v int64) int16 {
	i := v - l.First
	if i < 0 {
		i = 0
	}
	if i >= int64(len(l.Data)) {
		i = int64(len(l.Data)) - 1
	}
	return clampInt(int64(l.Data[i]))
}

// integral says whether the rescale is an integer shift, which is exact in integer arithmetic.
func (r rescale) integral() bool {
	return r.LUT == nil && r.Slope == 1 && r.Intercept == math.Trunc(r.Intercept) && math.Abs(r.Intercept) < 1<<20
}

func clampHU(v float64) int16 {
	v = math.Round(v)
	if v < math.MinInt16 {
		return math.MinInt16
	}
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	return int16(v)
}

func clampInt(v int64) int16 {
	if v < math.MinInt16 {
		return math.MinInt16
	}
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	return int16(v)
}

// decodeHU converts one native frame (raw holds exactly its bytes) to HU in dst.
// Stored values are masked to BitsStored and sign-extended from it when PixelRepresentation is 1:
// the dicom library hands back uint16 for signed data, and the bits above BitsStored may hold
// overlay or garbage.
func decodeHU(dst []int16, raw []byte, pf pixelFormat, bo binary.ByteOrder, rs rescale) {
	n := len(dst)
	bits := uint(pf.BitsStored)
	mask := uint32(1)<<bits - 1
	if bits >= 32 {
		mask = 0xFFFFFFFF
	}
	shift := 32 - bits // for sign extension through int32
	value := func(u uint32) int64 {
		u &= mask
		if pf.Signed {
			return int64(int32(u<<shift) >> shift)
		}
		return int64(u)
	}
	if rs.LUT != nil && pf.BitsAllocated != 1 {
		for i := 0; i < n; i++ {
			var u uint32
			switch pf.BitsAllocated {
			case 8:
				u = uint32(raw[i])
			case 16:
				u = uint32(bo.Uint16(raw[2*i:]))
			case 32:
				u = bo.Uint32(raw[4*i:])
			}
			dst[i] = rs.LUT.apply(value(u))
		}
		return
	}
	intShift := int64(rs.Intercept)
	exact := rs.integral()
	// fits: every value the stored bits can hold, shifted, is an int16 (a CT of signed 16 bits
	// with intercept 0, an 8-bit mask): the loops then need no clamp per voxel.
	lo, hi := int64(0), int64(mask)
	if pf.Signed {
		lo, hi = -int64(mask>>1)-1, int64(mask>>1)
	}
	fits := exact && lo+intShift >= math.MinInt16 && hi+intShift <= math.MaxInt16
	switch pf.BitsAllocated {
	case 16:
		if exact && bo == binary.LittleEndian && pf.Signed && bits == 16 {
			// The common CT case: signed 16-bit, slope 1: one add per voxel.
			if fits {
				for i := 0; i < n; i++ {
					dst[i] = int16(uint16(raw[2*i])|uint16(raw[2*i+1])<<8) + int16(intShift)
				}
				return
			}
			for i := 0; i < n; i++ {
				dst[i] = clampInt(int64(int16(uint16(raw[2*i])|uint16(raw[2*i+1])<<8)) + intShift)
			}
			return
		}
		for i := 0; i < n; i++ {
			v := value(uint32(bo.Uint16(raw[2*i:])))
			if exact {
				dst[i] = clampInt(v + intShift)
			} else {
				dst[i] = clampHU(float64(v)*rs.Slope + rs.Intercept)
			}
		}
	case 8:
		if fits {
			for i := 0; i < n; i++ {
				dst[i] = int16(value(uint32(raw[i])) + intShift)
			}
			return
		}
		for i := 0; i < n; i++ {
			v := value(uint32(raw[i]))
			if exact {
				dst[i] = clampInt(v + intShift)
			} else {
				dst[i] = clampHU(float64(v)*rs.Slope + rs.Intercept)
			}
		}
	case 32:
		for i := 0; i < n; i++ {
			v := value(bo.Uint32(raw[4*i:]))
			if exact {
				dst[i] = clampInt(v + intShift)
			} else {
				dst[i] = clampHU(float64(v)*rs.Slope + rs.Intercept)
			}
		}
	case 1:
		for i := 0; i < n; i++ {
			dst[i] = int16(raw[i>>3] >> (uint(i) & 7) & 1)
		}
	}
}

// decodeBinary turns frame f of native pixel data into a 0/1 mask (nonzero is 1). Bit-packed data
// (BitsAllocated 1) runs on across frames, least significant bit first, without padding between
// frames, so frame f starts at bit f*rows*cols.
func decodeBinary(dst []uint8, pixels []byte, f int, pf pixelFormat, bo binary.ByteOrder, threshold uint32) {
	n := pf.Rows * pf.Cols
	switch pf.BitsAllocated {
	case 1:
		start := f * n
		for i := 0; i < n; i++ {
			b := start + i
			dst[i] = pixels[b>>3] >> (uint(b) & 7) & 1
		}
	case 8:
		raw := pixels[f*n:]
		for i := 0; i < n; i++ {
			dst[i] = b2u(uint32(raw[i]) >= threshold)
		}
	case 16:
		raw := pixels[2*f*n:]
		for i := 0; i < n; i++ {
			dst[i] = b2u(uint32(bo.Uint16(raw[2*i:])) >= threshold)
		}
	case 32:
		raw := pixels[4*f*n:]
		for i := 0; i < n; i++ {
			dst[i] = b2u(bo.Uint32(raw[4*i:]) >= threshold)
		}
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
