package scan

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"liverseg/scan/codec"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// Transfer syntax UIDs that change how the dataset itself is encoded.
const (
	tsImplicitLE = "1.2.840.10008.1.2"
	tsExplicitLE = "1.2.840.10008.1.2.1"
	tsDeflatedLE = "1.2.840.10008.1.2.1.99"
	tsExplicitBE = "1.2.840.10008.1.2.2"
)

// headerPrefix is how much of a file is read to find its header; a header that does not fit is
// read whole. CT headers are a few kB; 64 kB leaves room for long private sequences.
const headerPrefix = 64 << 10

// maxInflated bounds a deflated dataset once inflated, against deflate bombs.
const maxInflated = 512 << 20

// dicomFile is one DICOM file's header elements and where its pixel data lies.
type dicomFile struct {
	Path           string
	Size           int64
	Elems          elements // meta and dataset elements, pixel data left out
	TransferSyntax string
	ByteOrder      binary.ByteOrder
	Deflated       bool
	Pixels         pixelLocation // offsets into the file (or, when Deflated, into the inflated dataset)
	data           []byte        // the bytes the offsets point into; nil when only a prefix was read
}

// readDICOMHeader reads the header of path and locates its pixel data without reading the pixels.
func readDICOMHeader(path string) (*dicomFile, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n := int64(headerPrefix)
	if st.Size() < n {
		n = st.Size()
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	df, err := parseDICOM(path, buf, st.Size())
	if errors.Is(err, errShort) && n < st.Size() {
		// The header is longer than the prefix: read the whole file.
		return readDICOMFile(path)
	}
	return df, err
}

// readDICOMFile reads and parses the whole of path, a regular file of at most MaxDICOMBytes; the
// pixel data is then in memory.
func readDICOMFile(path string) (*dicomFile, error) {
	return readDICOMFileLimit(path, MaxDICOMBytes, "a DICOM file")
}

// readDICOMFileLimit is readDICOMFile with the cap of another kind of DICOM file (what names it).
func readDICOMFileLimit(path string, limit int64, what string) (*dicomFile, error) {
	data, err := ReadFileLimit(context.Background(), path, limit, what)
	if err != nil {
		return nil, err
	}
	return parseDICOM(path, data, int64(len(data)))
}

// parseDICOM parses data, which is the whole file when len(data) == fileSize and a prefix of it
// otherwise. It never panics and allocates nothing that the bytes do not hold.
func parseDICOM(path string, data []byte, fileSize int64) (df *dicomFile, err error) {
	whole := int64(len(data)) == fileSize
	df = &dicomFile{Path: path, Size: fileSize}
	start, ts, tsAt, err := readMeta(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	df.TransferSyntax = ts
	metaEnd := 0 // for a deflated dataset: where the file meta group ends
	w := &walker{data: data, bo: binary.LittleEndian, stopAtPixels: !whole, fileSize: fileSize}
	switch ts {
	case tsImplicitLE:
		w.implicit = true
	case tsExplicitBE:
		w.bo = binary.BigEndian
	case tsDeflatedLE:
		var body []byte
		if whole {
			if body, err = inflate(data[start:]); err != nil {
				return nil, fmt.Errorf("%s: deflated dataset: %w", path, err)
			}
		} else {
			// A header needs only the start of the dataset: inflate what the prefix holds and
			// walk it as a prefix of unknown length; a header longer than that reads the file.
			body = inflatePrefix(data[start:])
			w.fileSize = math.MaxInt64
		}
		df.Deflated = true
		metaEnd = start
		w.data, start = body, 0
	}
	df.ByteOrder = w.bo
	w.headerEnd = len(w.data)
	if _, err := w.walkElements(start, len(w.data), 0, nil); err != nil {
		if errors.Is(err, errShort) && !whole {
			return nil, errShort
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	df.Pixels = w.pixels
	if whole {
		df.data = w.data
	}
	// The walk proved every length fits, so the library can parse the header safely. Parsing stops
	// before the pixel data, which is decoded straight from the bytes.
	libData := data[:w.headerEnd]
	if df.Deflated {
		// The library is given the meta group and the inflated header, marked explicit VR little
		// endian (below), so that it neither inflates the dataset again nor reads its pixels.
		libData = append(append(make([]byte, 0, metaEnd+w.headerEnd), data[:metaEnd]...), w.data[:w.headerEnd]...)
	}
	if _, _, err := uid.ParseTransferSyntaxUID(ts); (err != nil || df.Deflated) && tsAt[1] >= len(tsExplicitLE) {
		// The library dereferences a nil byte order for transfer syntaxes it does not know (HTJ2K,
		// Deflated Image Frame...). Every such syntax encodes the dataset as explicit VR little
		// endian, so the library is told that, in a copy of the header.
		if !df.Deflated {
			libData = append([]byte(nil), libData...)
		}
		v := libData[tsAt[0] : tsAt[0]+tsAt[1]]
		for i := range v {
			v[i] = 0
		}
		copy(v, tsExplicitLE)
	}
	elems, err := libraryParse(libData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrMalformed, err)
	}
	df.Elems = elems
	return df, nil
}

// libraryParse runs the dicom library over header bytes, turning a panic into an error: a
// malformed file must never bring liverseg down.
func libraryParse(data []byte) (elems elements, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dicom parser failed: %v", r)
		}
	}()
	ds, err := dicom.Parse(bytes.NewReader(data), int64(len(data)), nil,
		dicom.SkipPixelData(), dicom.AllowMissingMetaElementGroupLength(), dicom.AllowUnknownSpecificCharacterSet())
	if err != nil && len(ds.Elements) == 0 {
		return nil, err
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return ds.Elements, nil
}

// readMeta checks the preamble and reads the file meta group by hand (it is always explicit VR
// little endian); it returns where the dataset starts and its transfer syntax.
func readMeta(data []byte) (start int, ts string, tsAt [2]int, err error) {
	if len(data) >= 132 && string(data[128:132]) == "DICM" {
		p := 132
		ts = ""
		for p+8 <= len(data) && binary.LittleEndian.Uint16(data[p:]) == 0x0002 {
			el := binary.LittleEndian.Uint16(data[p+2:])
			if !validVR(data[p+4], data[p+5]) {
				return 0, "", tsAt, fmt.Errorf("%w: invalid VR in the file meta group", ErrMalformed)
			}
			vr := string(data[p+4 : p+6])
			var vl, vpos int
			if longVR(vr) {
				if p+12 > len(data) {
					return 0, "", tsAt, fmt.Errorf("%w: in the file meta group", ErrTruncated)
				}
				vl, vpos = int(binary.LittleEndian.Uint32(data[p+8:])), p+12
			} else {
				vl, vpos = int(binary.LittleEndian.Uint16(data[p+6:])), p+8
			}
			if vl < 0 || vpos+vl > len(data) {
				return 0, "", tsAt, fmt.Errorf("%w: in the file meta group", ErrTruncated)
			}
			if el == 0x0010 {
				ts = strings.TrimRight(string(data[vpos:vpos+vl]), " \x00")
				tsAt = [2]int{vpos, vl}
			}
			p = vpos + vl
		}
		if ts == "" {
			ts = tsImplicitLE
		}
		return p, ts, tsAt, nil
	}
	// No preamble: some old files start straight with the dataset. Accept one only when it starts
	// with a plausible group (0008 for identification) and guess the VR encoding.
	if len(data) < 8 {
		return 0, "", tsAt, fmt.Errorf("%w: no DICM preamble and no recognisable dataset", ErrNotDICOM)
	}
	g := binary.LittleEndian.Uint16(data)
	if g != 0x0008 && g != 0x0002 {
		return 0, "", tsAt, fmt.Errorf("%w: no DICM preamble and no recognisable dataset", ErrNotDICOM)
	}
	if validVR(data[4], data[5]) {
		return 0, tsExplicitLE, tsAt, nil
	}
	return 0, tsImplicitLE, tsAt, nil
}

// inflatePrefix inflates as much of a cut deflate stream as it holds, up to headerPrefix/2 bytes:
// room for a header, without inflating the pixels behind it.
func inflatePrefix(b []byte) []byte { return codec.InflatePrefix(b, headerPrefix/2) }

// inflate inflates a deflated dataset (zlib through scan/codec), refusing more than maxInflated.
func inflate(b []byte) ([]byte, error) {
	out, err := codec.Inflate(b, 0, maxInflated)
	switch {
	case errors.Is(err, codec.ErrMismatch):
		return nil, fmt.Errorf("%w: inflates to more than %d MB", ErrTooLarge, maxInflated>>20)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return out, nil
}

// elements gives typed access to a list of DICOM elements (a dataset or a sequence item).
type elements []*dicom.Element

func (e elements) get(t tag.Tag) *dicom.Element {
	for _, el := range e {
		if el.Tag == t {
			return el
		}
	}
	return nil
}

// strs returns the string values of t (nil when absent or not strings).
func (e elements) strs(t tag.Tag) []string {
	el := e.get(t)
	if el == nil || el.Value == nil || el.Value.ValueType() != dicom.Strings {
		return nil
	}
	v, _ := el.Value.GetValue().([]string)
	return v
}

// str returns the first string value of t, trimmed.
func (e elements) str(t tag.Tag) string {
	s := e.strs(t)
	if len(s) == 0 {
		return ""
	}
	return strings.TrimSpace(strings.TrimRight(s[0], "\x00"))
}

// ints returns integer values of t, whether stored binary (US, SS, UL...) or as text (IS).
func (e elements) ints(t tag.Tag) []int {
	el := e.get(t)
	if el == nil || el.Value == nil {
		return nil
	}
	switch el.Value.ValueType() {
	case dicom.Ints:
		v, _ := el.Value.GetValue().([]int)
		return v
	case dicom.Strings:
		var out []int
		for _, s := range e.strs(t) {
			s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			} else if f, err := strconv.ParseFloat(s, 64); err == nil {
				out = append(out, int(f))
			}
		}
		return out
	}
	return nil
}

// int returns the first integer value of t.
func (e elements) int(t tag.Tag) (int, bool) {
	v := e.ints(t)
	if len(v) == 0 {
		return 0, false
	}
	return v[0], true
}

// floats returns decimal values of t, whether stored as text (DS) or binary (FD, FL) or integers.
func (e elements) floats(t tag.Tag) []float64 {
	el := e.get(t)
	if el == nil || el.Value == nil {
		return nil
	}
	switch el.Value.ValueType() {
	case dicom.Floats:
		v, _ := el.Value.GetValue().([]float64)
		return v
	case dicom.Ints:
		var out []float64
		for _, n := range e.ints(t) {
			out = append(out, float64(n))
		}
		return out
	case dicom.Strings:
		var out []float64
		for _, s := range e.strs(t) {
			s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
			if s == "" {
				continue
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil
			}
			out = append(out, f)
		}
		return out
	}
	return nil
}

// seq returns the items of sequence t.
func (e elements) seq(t tag.Tag) []elements {
	el := e.get(t)
	if el == nil || el.Value == nil || el.Value.ValueType() != dicom.Sequences {
		return nil
	}
	items, _ := el.Value.GetValue().([]*dicom.SequenceItemValue)
	out := make([]elements, 0, len(items))
	for _, it := range items {
		sub, _ := it.GetValue().([]*dicom.Element)
		out = append(out, elements(sub))
	}
	return out
}

// first returns the first item of sequence t, or nil.
func (e elements) first(t tag.Tag) elements {
	s := e.seq(t)
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

// byteOrderOf is the byte order of native pixel data in a transfer syntax.
func byteOrderOf(ts string) binary.ByteOrder {
	if ts == tsExplicitBE {
		return binary.BigEndian
	}
	return binary.LittleEndian
}
