package codec

import (
	"encoding/binary"
	"fmt"
)

// decodeRLE decodes a DICOM RLE Lossless frame (PS3.5 Annex G): a 64-byte header of 16 little-endian
// uint32 (the segment count, then up to 15 segment offsets), then PackBits segments, one per byte
// of each sample, most significant byte first.
func decodeRLE(src []byte, f Format, dst []byte) error {
	if len(src) < 64 {
		return fmt.Errorf("%w: RLE frame of %d bytes has no header", ErrCorrupt, len(src))
	}
	bytesPer := f.BitsAllocated / 8
	pixels := f.Rows * f.Cols
	segLen := pixels
	if f.BitsAllocated == 1 {
		bytesPer, segLen = 1, len(dst)/max(f.Samples, 1)
	}
	nseg := f.Samples * bytesPer
	if got := int(binary.LittleEndian.Uint32(src)); got != nseg {
		return fmt.Errorf("%w: RLE header has %d segments, %d-bit samples x %d need %d", ErrMismatch, got, f.BitsAllocated, f.Samples, nseg)
	}
	if nseg > 15 {
		return fmt.Errorf("%w: RLE with %d segments", ErrUnsupported, nseg)
	}
	var offs [16]int
	for i := 0; i < nseg; i++ {
		offs[i] = int(binary.LittleEndian.Uint32(src[4+4*i:]))
		if offs[i] < 64 || offs[i] > len(src) || (i > 0 && offs[i] < offs[i-1]) {
			return fmt.Errorf("%w: RLE segment %d at offset %d of %d", ErrCorrupt, i, offs[i], len(src))
		}
	}
	offs[nseg] = len(src)
	direct := nseg == 1
	var scratch []byte
	if !direct {
		scratch = make([]byte, segLen)
	}
	for s := 0; s < nseg; s++ {
		out := scratch
		if direct {
			out = dst
		}
		if err := unpackBits(src[offs[s]:offs[s+1]], out); err != nil {
			return fmt.Errorf("RLE segment %d: %w", s, err)
		}
		if direct {
			break
		}
		// Segment s is byte (bytesPer-1-b) of sample c, in little-endian order.
		c, b := s/bytesPer, s%bytesPer
		off := c*bytesPer + (bytesPer - 1 - b)
		stride := f.Samples * bytesPer
		if stride == 2 {
			d := dst[off:]
			for i, v := range scratch {
				d[2*i] = v
			}
			continue
		}
		for i, v := range scratch {
			dst[off+i*stride] = v
		}
	}
	return nil
}

// unpackBits decodes a PackBits stream until out is full; bytes after that (padding) are ignored.
func unpackBits(src, out []byte) error {
	o, i := 0, 0
	for o < len(out) {
		if i >= len(src) {
			return fmt.Errorf("%w: ends after %d of %d bytes", ErrCorrupt, o, len(out))
		}
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			n++
			if i+n > len(src) {
				return fmt.Errorf("%w: literal run past the end", ErrCorrupt)
			}
			if o+n > len(out) {
				return fmt.Errorf("%w: literal run past the frame", ErrCorrupt)
			}
			copy(out[o:], src[i:i+n])
			i += n
			o += n
		case n == -128:
		default:
			n = 1 - n
			if i >= len(src) {
				return fmt.Errorf("%w: replicate run past the end", ErrCorrupt)
			}
			if o+n > len(out) {
				return fmt.Errorf("%w: replicate run past the frame", ErrCorrupt)
			}
			v := src[i]
			i++
			seg := out[o : o+n]
			for k := range seg {
				seg[k] = v
			}
			o += n
		}
	}
	return nil
}
