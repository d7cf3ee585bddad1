package thinseries

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/scan"
	"liverseg/scan/codec"
)

// Transfer syntaxes of native pixel data; every file written is in explicitLE.
const (
	implicitLE = "1.2.840.10008.1.2"
	explicitLE = "1.2.840.10008.1.2.1"
	explicitBE = "1.2.840.10008.1.2.2"
)

// sliceFile is one source file read: its dataset (with its pixel data left as bytes) and its
// stored pixel values, one a pixel.
type sliceFile struct {
	Path    string
	Data    dicom.Dataset
	Format  pixelFormat
	Rescale rescale
	Stored  []int32
}

// readSlice reads the single-frame image file path: native pixel data in any byte order, or
// compressed pixel data that scan/codec decodes. stored, when long enough, is reused for the
// values.
func readSlice(path string, stored []int32) (*sliceFile, error) {
	ds, err := dicom.ParseFile(path, nil, dicom.SkipProcessingPixelDataValue())
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrSource, err)
	}
	sf := &sliceFile{Path: path, Data: ds}
	ts := str(ds, tag.TransferSyntaxUID)
	if n := intOf(ds, tag.NumberOfFrames, 1); n != 1 {
		return nil, fmt.Errorf("%s: %w: %d frames in one file (single-frame series only)", path, ErrSource, n)
	}
	f := pixelFormat{
		Rows:          intOf(ds, tag.Rows, 0),
		Cols:          intOf(ds, tag.Columns, 0),
		BitsAllocated: intOf(ds, tag.BitsAllocated, 0),
		BitsStored:    intOf(ds, tag.BitsStored, 0),
		Signed:        intOf(ds, tag.PixelRepresentation, 0) == 1,
	}
	if err := f.check(intOf(ds, tag.SamplesPerPixel, 1), intOf(ds, tag.HighBit, f.BitsStored-1)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sf.Format = f
	sf.Rescale = rescale{Slope: 1}
	if v, ok := float(ds, tag.RescaleSlope); ok && v != 0 {
		sf.Rescale.Slope = v
	}
	if v, ok := float(ds, tag.RescaleIntercept); ok {
		sf.Rescale.Intercept = v
	}
	if el, err := ds.FindElementByTag(tag.PixelPaddingValue); err == nil {
		if v, ok := el.Value.GetValue().([]int); ok && len(v) == 1 {
			// As the pixels' type: a signed padding value read as US (implicit VR) comes out positive.
			pad := int32(v[0])
			if f.Signed && f.BitsAllocated == 16 {
				pad = int32(int16(uint16(pad)))
			} else if f.Signed {
				pad = int32(int8(uint8(pad)))
			}
			sf.Rescale.Pad, sf.Rescale.Padded = pad, true
		}
	}
	raw, bo, err := pixelBytes(path, ds, ts, f)
	if err != nil {
		return nil, err
	}
	if len(stored) < f.pixels() {
		stored = make([]int32, f.pixels())
	}
	sf.Stored = stored[:f.pixels()]
	if err := f.decode(sf.Stored, raw, bo); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sf, nil
}

// pixelBytes is the native pixel data of ds and its byte order: as stored for the native
// syntaxes, decoded by scan/codec for the compressed ones it supports.
func pixelBytes(path string, ds dicom.Dataset, ts string, f pixelFormat) ([]byte, binary.ByteOrder, error) {
	el, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: no pixel data", path, ErrSource)
	}
	px, ok := el.Value.GetValue().(dicom.PixelDataInfo)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: pixel data of an unexpected kind", path, ErrSource)
	}
	switch ts {
	case implicitLE, explicitLE:
		return px.UnprocessedValueData, binary.LittleEndian, nil
	case explicitBE:
		return px.UnprocessedValueData, binary.BigEndian, nil
	}
	if !px.IsEncapsulated || !codec.Supported(ts) {
		return nil, nil, fmt.Errorf("%s: %w: transfer syntax %s (%s)", path, ErrSource, scan.TransferSyntaxName(ts), ts)
	}
	fragments := make([][]byte, len(px.Frames))
	for i, fr := range px.Frames {
		fragments[i] = fr.EncapsulatedData.Data
	}
	frames, err := codec.Frames(nil, fragments, 1, nil, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %w", path, ErrSource, err)
	}
	cf := codec.Format{Rows: f.Rows, Cols: f.Cols, Samples: 1, BitsAllocated: f.BitsAllocated, BitsStored: f.BitsStored, Signed: f.Signed}
	raw := make([]byte, cf.FrameBytes())
	if err := codec.Decode(ts, frames[0], cf, raw); err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %s: %w", path, ErrSource, scan.TransferSyntaxName(ts), err)
	}
	return raw, binary.LittleEndian, nil
}

// str is the first value of a string attribute, "" where there is none.
func str(ds dicom.Dataset, t tag.Tag) string {
	el, err := ds.FindElementByTag(t)
	if err != nil || el.Value == nil {
		return ""
	}
	if v, ok := el.Value.GetValue().([]string); ok && len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// floats are the values of a decimal string (DS) attribute; nil where one is not a number.
func floats(ds dicom.Dataset, t tag.Tag) []float64 {
	el, err := ds.FindElementByTag(t)
	if err != nil || el.Value == nil {
		return nil
	}
	v, ok := el.Value.GetValue().([]string)
	if !ok {
		return nil
	}
	out := make([]float64, len(v))
	for i, s := range v {
		if out[i], err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return nil
		}
	}
	return out
}

// float is the one value of a decimal string attribute.
func float(ds dicom.Dataset, t tag.Tag) (float64, bool) {
	if v := floats(ds, t); len(v) == 1 {
		return v[0], true
	}
	return 0, false
}

// intOf is the first value of an integer (US, IS) attribute, def where there is none.
func intOf(ds dicom.Dataset, t tag.Tag, def int) int {
	el, err := ds.FindElementByTag(t)
	if err != nil || el.Value == nil {
		return def
	}
	switch v := el.Value.GetValue().(type) {
	case []int:
		if len(v) > 0 {
			return v[0]
		}
	case []string:
		if len(v) > 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(v[0])); err == nil {
				return n
			}
		}
	}
	return def
}

// has says whether ds holds attribute t.
func has(ds dicom.Dataset, t tag.Tag) bool {
	_, err := ds.FindElementByTag(t)
	return err == nil
}
