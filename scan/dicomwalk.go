package scan

import (
	"encoding/binary"
	"fmt"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// The walker checks the element structure of a DICOM byte stream before the dicom library parses
// it. The library allocates each value's declared length before it reads it, so a hostile
// length (say 4 GB in a 1 kB file) would be allocated blindly; the walker proves that every length
// fits in the bytes that are there, and on the way finds where the top-level pixel data lies, so
// that pixels are decoded straight from the file's bytes.

const (
	maxNesting   = 32
	undefinedLen = 0xFFFFFFFF
)

var (
	tagItem          = tag.Tag{Group: 0xFFFE, Element: 0xE000}
	tagItemDelim     = tag.Tag{Group: 0xFFFE, Element: 0xE00D}
	tagSequenceDelim = tag.Tag{Group: 0xFFFE, Element: 0xE0DD}
	tagPixelData     = tag.Tag{Group: 0x7FE0, Element: 0x0010}
)

// pixelLocation is where the top-level Pixel Data element's value sits in the walked bytes.
type pixelLocation struct {
	Found        bool
	Offset       int // of the value (native) or of the first item (encapsulated)
	Length       int // native: the value length; encapsulated: bytes up to the sequence delimiter
	Encapsulated bool
	OffsetTable  []byte   // encapsulated: the Basic Offset Table item (may be empty)
	Fragments    [][]byte // encapsulated: the items after the offset table, sub-slices of the data
}

type walker struct {
	data     []byte
	bo       binary.ByteOrder
	implicit bool
	// stopAtPixels ends the walk when the top-level pixel data tag is reached, so that a header
	// can be checked from a prefix of the file; the pixel value is then bounded by fileSize.
	stopAtPixels bool
	fileSize     int64
	pixels       pixelLocation
	headerEnd    int // offset of the pixel data element's tag, or len(data)
}

// errShort is returned when the walk runs past the bytes it was given; with a prefix of a file it
// means "read more", with a whole file it means truncated.
var errShort = fmt.Errorf("%w: ends inside an element", ErrTruncated)

// isPrefix says whether the walker holds only the start of the file.
func (w *walker) isPrefix() bool { return w.stopAtPixels && int64(len(w.data)) < w.fileSize }

func (w *walker) u16(p int) uint16 { return w.bo.Uint16(w.data[p:]) }
func (w *walker) u32(p int) uint32 { return w.bo.Uint32(w.data[p:]) }

// longVR is the set of explicit VRs that have a 2-byte reserved field and a 4-byte length.
func longVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

func validVR(b0, b1 byte) bool { return b0 >= 'A' && b0 <= 'Z' && b1 >= 'A' && b1 <= 'Z' }

// implicitIsSequence says whether an implicit-VR element of the given tag is a sequence, from the
// dictionary; an undefined length also marks a sequence.
func implicitIsSequence(t tag.Tag) bool {
	info, err := tag.Find(t)
	return err == nil && len(info.VRs) > 0 && info.VRs[0] == "SQ"
}

// walkElements walks elements in data[pos:end]. With delim set it stops after that delimiter
// instead. It returns the position after the last element.
func (w *walker) walkElements(pos, end, depth int, delim *tag.Tag) (int, error) {
	if depth > maxNesting {
		return 0, fmt.Errorf("%w: sequences nested deeper than %d", ErrMalformed, maxNesting)
	}
	for pos < end {
		if pos+8 > len(w.data) {
			return 0, errShort
		}
		t := tag.Tag{Group: w.u16(pos), Element: w.u16(pos + 2)}
		if t.Group == 0xFFFE {
			if delim != nil && t == *delim {
				return pos + 8, nil
			}
			return 0, fmt.Errorf("%w: unexpected item tag %s at byte %d", ErrMalformed, t, pos)
		}
		implicit := w.implicit
		var vr string
		var vl uint32
		var vpos int
		if implicit {
			vl = w.u32(pos + 4)
			vpos = pos + 8
			if vl == undefinedLen || implicitIsSequence(t) {
				vr = "SQ"
			}
		} else {
			b0, b1 := w.data[pos+4], w.data[pos+5]
			if !validVR(b0, b1) {
				return 0, fmt.Errorf("%w: invalid VR %q for %s at byte %d", ErrMalformed, string([]byte{b0, b1}), t, pos)
			}
			vr = string([]byte{b0, b1})
			if longVR(vr) {
				if pos+12 > len(w.data) {
					return 0, errShort
				}
				vl = w.u32(pos + 8)
				vpos = pos + 12
			} else {
				vl = uint32(w.u16(pos + 6))
				vpos = pos + 8
			}
		}
		if depth == 0 && t == tagPixelData {
			w.headerEnd = pos
			return w.walkPixelData(vpos, vl, end)
		}
		if vl == undefinedLen {
			if vr != "SQ" && vr != "UN" {
				return 0, fmt.Errorf("%w: undefined length for %s (VR %s)", ErrMalformed, t, vr)
			}
			next, err := w.walkItems(vpos, len(w.data), depth+1, true)
			if err != nil {
				return 0, err
			}
			pos = next
			continue
		}
		next := vpos + int(vl)
		if next > end || next > len(w.data) {
			if next > len(w.data) {
				if w.isPrefix() {
					return 0, errShort
				}
				return 0, fmt.Errorf("%w: %s declares %d bytes, %d remain", ErrTruncated, t, vl, len(w.data)-vpos)
			}
			return 0, fmt.Errorf("%w: %s declares %d bytes beyond its container", ErrMalformed, t, vl)
		}
		if vr == "SQ" {
			if _, err := w.walkItems(vpos, next, depth+1, false); err != nil {
				return 0, err
			}
		}
		pos = next
	}
	if delim != nil {
		return 0, errShort
	}
	return pos, nil
}

// walkItems walks the items of a sequence in data[pos:end], or up to the sequence delimiter.
func (w *walker) walkItems(pos, end, depth int, untilDelim bool) (int, error) {
	for pos < end {
		if pos+8 > len(w.data) {
			return 0, errShort
		}
		t := tag.Tag{Group: w.u16(pos), Element: w.u16(pos + 2)}
		vl := w.u32(pos + 4)
		switch t {
		case tagSequenceDelim:
			if untilDelim {
				return pos + 8, nil
			}
			return 0, fmt.Errorf("%w: sequence delimiter in a defined-length sequence at byte %d", ErrMalformed, pos)
		case tagItem:
		default:
			return 0, fmt.Errorf("%w: %s where a sequence item was expected at byte %d", ErrMalformed, t, pos)
		}
		if vl == undefinedLen {
			next, err := w.walkElements(pos+8, len(w.data), depth, &tagItemDelim)
			if err != nil {
				return 0, err
			}
			pos = next
			continue
		}
		next := pos + 8 + int(vl)
		if next > len(w.data) {
			if w.isPrefix() {
				return 0, errShort
			}
			return 0, fmt.Errorf("%w: sequence item declares %d bytes, %d remain", ErrTruncated, vl, len(w.data)-pos-8)
		}
		if next > end {
			return 0, fmt.Errorf("%w: sequence item runs past its sequence", ErrMalformed)
		}
		if _, err := w.walkElements(pos+8, next, depth, nil); err != nil {
			return 0, err
		}
		pos = next
	}
	if untilDelim {
		return 0, errShort
	}
	return pos, nil
}

// walkPixelData records the top-level pixel data: native (defined length) or encapsulated.
func (w *walker) walkPixelData(vpos int, vl uint32, end int) (int, error) {
	w.pixels.Found = true
	w.pixels.Offset = vpos
	if vl != undefinedLen {
		w.pixels.Length = int(vl)
		if w.stopAtPixels {
			if int64(vpos)+int64(vl) > w.fileSize {
				return 0, fmt.Errorf("%w: pixel data declares %d bytes, %d remain", ErrTruncated, vl, w.fileSize-int64(vpos))
			}
			return vpos, nil
		}
		if vpos+int(vl) > len(w.data) {
			return 0, fmt.Errorf("%w: pixel data declares %d bytes, %d remain", ErrTruncated, vl, len(w.data)-vpos)
		}
		return vpos + int(vl), nil
	}
	w.pixels.Encapsulated = true
	if w.stopAtPixels {
		return vpos, nil
	}
	pos := vpos
	first := true
	for {
		if pos+8 > len(w.data) {
			return 0, fmt.Errorf("%w: encapsulated pixel data has no sequence delimiter", ErrTruncated)
		}
		t := tag.Tag{Group: w.u16(pos), Element: w.u16(pos + 2)}
		il := w.u32(pos + 4)
		if t == tagSequenceDelim {
			w.pixels.Length = pos - vpos
			return pos + 8, nil
		}
		if t != tagItem || il == undefinedLen {
			return 0, fmt.Errorf("%w: %s in encapsulated pixel data at byte %d", ErrMalformed, t, pos)
		}
		if pos+8+int(il) > len(w.data) {
			return 0, fmt.Errorf("%w: pixel data fragment declares %d bytes, %d remain", ErrTruncated, il, len(w.data)-pos-8)
		}
		item := w.data[pos+8 : pos+8+int(il) : pos+8+int(il)]
		if first {
			w.pixels.OffsetTable = item
			first = false
		} else {
			w.pixels.Fragments = append(w.pixels.Fragments, item)
		}
		pos += 8 + int(il)
	}
}
