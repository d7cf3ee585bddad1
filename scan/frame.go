package scan

import (
	"fmt"

	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/scan/internal/vec3"
)

// Tags the dicom library's tag package does not name as constants.
var (
	tagSharedFunctionalGroups   = tag.Tag{Group: 0x5200, Element: 0x9229}
	tagPerFrameFunctionalGroups = tag.Tag{Group: 0x5200, Element: 0x9230}
	tagPlanePositionSeq         = tag.Tag{Group: 0x0020, Element: 0x9113}
	tagPlaneOrientationSeq      = tag.Tag{Group: 0x0020, Element: 0x9116}
	tagPixelMeasuresSeq         = tag.Tag{Group: 0x0028, Element: 0x9110}
	tagPixelValueTransformSeq   = tag.Tag{Group: 0x0028, Element: 0x9145}
	tagFrameContentSeq          = tag.Tag{Group: 0x0020, Element: 0x9111}
	tagModalityLUTSeq           = tag.Tag{Group: 0x0028, Element: 0x3000}
	tagSegmentSequence          = tag.Tag{Group: 0x0062, Element: 0x0002}
)

// frameInfo is what assembly needs of one 2D image: a single-frame file or one frame of a
// multi-frame (enhanced) file.
type frameInfo struct {
	File           string
	Frame          int // 0-based frame within the file
	SOPInstanceUID string
	InstanceNumber int
	Position       [3]float64
	HasPosition    bool
	Orientation    [6]float64 // row cosine (direction of increasing column), column cosine
	HasOrientation bool
	PixelSpacing   [2]float64 // between rows, between columns (DICOM order)
	Thickness      float64
	Rescale        rescale
	Format         pixelFormat
	PixelOffset    int64 // where the frame's native pixels start in the file
	Encapsulated   bool
	Deflated       bool
	TransferSyntax string
}

// seriesHeader is what identifies the series and study of a file.
type seriesHeader struct {
	PatientName, PatientID                  string
	StudyUID, StudyDate, StudyDescription   string
	SeriesUID, SeriesDescription            string
	SeriesNumber                            int
	Modality, Manufacturer, FrameOfRef, SOP string
	ImageType                               []string
	// WindowCenter and WindowWidth are the first display window the file suggests (0 width: none).
	WindowCenter, WindowWidth float64
	Context                   elements // patient, study and site attributes (sourceContext)
}

func readSeriesHeader(e elements) seriesHeader {
	sn, _ := e.int(tag.SeriesNumber)
	var wc, ww float64
	if c, w := e.floats(tag.WindowCenter), e.floats(tag.WindowWidth); len(c) > 0 && len(w) > 0 && vec3.Finite(c[0], w[0]) && w[0] >= 1 {
		wc, ww = c[0], w[0]
	}
	return seriesHeader{
		WindowCenter:      wc,
		WindowWidth:       ww,
		PatientName:       e.str(tag.PatientName),
		PatientID:         e.str(tag.PatientID),
		StudyUID:          e.str(tag.StudyInstanceUID),
		StudyDate:         e.str(tag.StudyDate),
		StudyDescription:  e.str(tag.StudyDescription),
		SeriesUID:         e.str(tag.SeriesInstanceUID),
		SeriesDescription: e.str(tag.SeriesDescription),
		SeriesNumber:      sn,
		Modality:          e.str(tag.Modality),
		Manufacturer:      e.str(tag.Manufacturer),
		FrameOfRef:        e.str(tag.FrameOfReferenceUID),
		SOP:               e.str(tag.SOPClassUID),
		ImageType:         e.strs(tag.ImageType),
		Context:           sourceContext(e),
	}
}

// geometryOf fills position, orientation, spacing and rescale from a set of elements: the dataset
// for classic images, or the functional groups of an enhanced frame.
func (fi *frameInfo) geometryOf(e elements) {
	if p := e.floats(tag.ImagePositionPatient); len(p) == 3 && vec3.Finite(p...) {
		copy(fi.Position[:], p)
		fi.HasPosition = true
	}
	if o := e.floats(tag.ImageOrientationPatient); len(o) == 6 && vec3.Finite(o...) {
		copy(fi.Orientation[:], o)
		fi.HasOrientation = true
	}
	if s := e.floats(tag.PixelSpacing); len(s) == 2 && vec3.Finite(s...) && s[0] > 0 && s[1] > 0 {
		copy(fi.PixelSpacing[:], s)
	}
	if t := e.floats(tag.SliceThickness); len(t) == 1 && vec3.Finite(t...) {
		fi.Thickness = t[0]
	}
	if s := e.floats(tag.RescaleSlope); len(s) == 1 && vec3.Finite(s...) && s[0] != 0 {
		fi.Rescale.Slope = s[0]
	}
	if i := e.floats(tag.RescaleIntercept); len(i) == 1 && vec3.Finite(i...) {
		fi.Rescale.Intercept = i[0]
	}
}

// functionalGroups applies the macros of an enhanced frame's functional group item.
func (fi *frameInfo) functionalGroups(g elements) {
	if g == nil {
		return
	}
	if s := g.first(tagPlanePositionSeq); s != nil {
		fi.geometryOf(s)
	}
	if s := g.first(tagPlaneOrientationSeq); s != nil {
		fi.geometryOf(s)
	}
	if s := g.first(tagPixelMeasuresSeq); s != nil {
		fi.geometryOf(s)
	}
	if s := g.first(tagPixelValueTransformSeq); s != nil {
		fi.geometryOf(s)
	}
}

// imageFrames lists the 2D frames of an image file. Files without pixel data, and label objects
// (SEG) give no frames.
func imageFrames(df *dicomFile) ([]frameInfo, error) {
	if !df.Pixels.Found {
		return nil, nil
	}
	pf, err := readPixelFormat(df.Elems, df.Path)
	if err != nil {
		return nil, err
	}
	if df.Pixels.Encapsulated {
		// Each compressed frame takes at least one 8-byte item, which bounds a hostile
		// NumberOfFrames before the frame list is allocated.
		if room := (df.Size - int64(df.Pixels.Offset)) / 8; int64(pf.Frames) > room {
			return nil, fmt.Errorf("%s: %w: %d frames declared, the file has room for %d", df.Path, ErrTruncated, pf.Frames, room)
		}
	} else {
		if err := pf.checkNativeLength(df.Pixels.Length, df.Path); err != nil {
			return nil, err
		}
		if pf.BitsAllocated == 1 {
			return nil, fmt.Errorf("%s: %w: 1-bit pixels in an image", df.Path, ErrUnsupported)
		}
	}
	base := frameInfo{
		File:           df.Path,
		SOPInstanceUID: df.Elems.str(tag.SOPInstanceUID),
		Rescale:        rescale{Slope: 1},
		Format:         pf,
		PixelOffset:    int64(df.Pixels.Offset),
		Encapsulated:   df.Pixels.Encapsulated,
		Deflated:       df.Deflated,
		TransferSyntax: df.TransferSyntax,
	}
	base.InstanceNumber, _ = df.Elems.int(tag.InstanceNumber)
	base.geometryOf(df.Elems)
	if lut := df.Elems.first(tagModalityLUTSeq); lut != nil {
		base.Rescale.LUT = readModalityLUT(lut, pf.Signed)
	}
	shared := df.Elems.first(tagSharedFunctionalGroups)
	perFrame := df.Elems.seq(tagPerFrameFunctionalGroups)
	if pf.Frames == 1 && shared == nil && perFrame == nil {
		return []frameInfo{base}, nil
	}
	base.functionalGroups(shared)
	frames := make([]frameInfo, pf.Frames)
	for f := range frames {
		fi := base
		fi.Frame = f
		fi.HasPosition = fi.HasPosition && pf.Frames == 1
		if f < len(perFrame) {
			fi.functionalGroups(perFrame[f])
		}
		if !df.Pixels.Encapsulated {
			fi.PixelOffset = base.PixelOffset + int64(f)*int64(pf.frameBytes())
		}
		frames[f] = fi
	}
	return frames, nil
}

var (
	tagLUTDescriptor = tag.Tag{Group: 0x0028, Element: 0x3002}
	tagLUTData       = tag.Tag{Group: 0x0028, Element: 0x3006}
)

// readModalityLUT reads the first item of a Modality LUT Sequence, used instead of rescale by
// some modalities; nil when it is incomplete. LUTData comes as US values or as OW bytes.
func readModalityLUT(item elements, signed bool) *modalityLUT {
	desc := item.ints(tagLUTDescriptor)
	if len(desc) != 3 {
		return nil
	}
	n, first := desc[0], int64(desc[1])
	if n == 0 {
		n = 65536
	}
	if signed && first > 32767 {
		first -= 65536 // the descriptor's first value follows the pixel representation
	}
	var data []uint16
	if v := item.ints(tagLUTData); len(v) > 0 {
		for _, x := range v {
			data = append(data, uint16(x))
		}
	} else if el := item.get(tagLUTData); el != nil && el.Value != nil {
		if b, ok := el.Value.GetValue().([]byte); ok {
			for i := 0; i+1 < len(b); i += 2 {
				data = append(data, uint16(b[i])|uint16(b[i+1])<<8)
			}
		}
	}
	if len(data) == 0 || len(data) < n {
		return nil
	}
	return &modalityLUT{First: first, Data: data[:n]}
}
