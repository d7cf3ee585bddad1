package codec

import (
	"encoding/binary"
	"fmt"
)

// Frames assembles the fragments of encapsulated pixel data into nFrames compressed frames.
//
// offsetTable is the value of the Basic Offset Table item (may be empty); fragments are the values
// of the items after it, in order. extOffsets and extLengths are the Extended Offset Table
// (7FE0,0001) and its lengths (7FE0,0002), raw little-endian 64-bit values, or nil; where present
// they take precedence over the Basic Offset Table. Offsets count from the first byte of the
// first item after the Basic Offset Table, item headers (8 bytes) included.
//
// Without an offset table: one frame takes every fragment; as many fragments as frames take one
// each; otherwise a frame starts at each fragment that opens with a JPEG (FFD8) or JPEG 2000
// (FF4F, or a JP2 signature box) start marker. A frame of one fragment is a sub-slice of it; a
// frame of several is a new slice of their bytes.
func Frames(offsetTable []byte, fragments [][]byte, nFrames int, extOffsets, extLengths []byte) ([][]byte, error) {
	if nFrames <= 0 {
		return nil, fmt.Errorf("%w: %d frames", ErrFrames, nFrames)
	}
	if len(fragments) == 0 {
		return nil, fmt.Errorf("%w: no fragments", ErrFrames)
	}
	if nFrames > len(fragments) {
		return nil, fmt.Errorf("%w: %d frames declared, %d fragments", ErrFrames, nFrames, len(fragments))
	}
	// Item offsets of the fragments, relative to the first fragment item.
	itemAt := make(map[uint64]int, len(fragments))
	var pos uint64
	for i, fr := range fragments {
		itemAt[pos] = i
		pos += 8 + uint64(len(fr))
	}
	var starts []int
	switch {
	case len(extOffsets) > 0:
		if len(extOffsets) != 8*nFrames {
			return nil, fmt.Errorf("%w: Extended Offset Table has %d bytes for %d frames", ErrFrames, len(extOffsets), nFrames)
		}
		if len(extLengths) != 0 && len(extLengths) != 8*nFrames {
			return nil, fmt.Errorf("%w: Extended Offset Table Lengths has %d bytes for %d frames", ErrFrames, len(extLengths), nFrames)
		}
		starts = make([]int, nFrames)
		for f := range starts {
			i, ok := itemAt[binary.LittleEndian.Uint64(extOffsets[8*f:])]
			if !ok {
				return nil, fmt.Errorf("%w: Extended Offset Table entry %d points inside a fragment", ErrFrames, f)
			}
			starts[f] = i
		}
	case len(offsetTable) > 0:
		if len(offsetTable) != 4*nFrames {
			return nil, fmt.Errorf("%w: Basic Offset Table has %d entries for %d frames", ErrFrames, len(offsetTable)/4, nFrames)
		}
		starts = make([]int, nFrames)
		for f := range starts {
			i, ok := itemAt[uint64(binary.LittleEndian.Uint32(offsetTable[4*f:]))]
			if !ok {
				return nil, fmt.Errorf("%w: Basic Offset Table entry %d points inside a fragment", ErrFrames, f)
			}
			starts[f] = i
		}
	case nFrames == 1:
		starts = []int{0}
	case nFrames == len(fragments):
		starts = make([]int, nFrames)
		for f := range starts {
			starts[f] = f
		}
	default:
		for i, fr := range fragments {
			if startsFrame(fr) {
				starts = append(starts, i)
			}
		}
		if len(starts) != nFrames || starts[0] != 0 {
			return nil, fmt.Errorf("%w: no offset table, %d fragments, %d frames, %d start markers", ErrFrames, len(fragments), nFrames, len(starts))
		}
	}
	if starts[0] != 0 {
		return nil, fmt.Errorf("%w: the first frame does not start at the first fragment", ErrFrames)
	}
	frames := make([][]byte, nFrames)
	for f := range frames {
		end := len(fragments)
		if f+1 < nFrames {
			end = starts[f+1]
		}
		if end <= starts[f] {
			return nil, fmt.Errorf("%w: offset table entries are not increasing at frame %d", ErrFrames, f)
		}
		if end-starts[f] == 1 {
			frames[f] = fragments[starts[f]]
			continue
		}
		n := 0
		for _, fr := range fragments[starts[f]:end] {
			n += len(fr)
		}
		b := make([]byte, 0, n)
		for _, fr := range fragments[starts[f]:end] {
			b = append(b, fr...)
		}
		frames[f] = b
	}
	return frames, nil
}

// startsFrame says whether a fragment opens with the start marker of a JPEG-family codestream.
func startsFrame(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch {
	case b[0] == 0xFF && b[1] == 0xD8: // JPEG, JPEG-LS
		return true
	case b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51: // J2K codestream
		return true
	case len(b) >= 12 && string(b[4:8]) == "jP  ": // JP2 signature box
		return true
	}
	return false
}
