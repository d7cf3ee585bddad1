package scan

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/scan/codec"
	"liverseg/scan/internal/vec3"
)

// SOP classes of DICOM Segmentation objects.
const (
	sopSegmentation         = "1.2.840.10008.5.1.4.1.1.66.4"
	sopLabelmapSegmentation = "1.2.840.10008.5.1.4.1.1.66.7"
)

// Segmentation types (0062,0001).
const (
	segBinary     = "BINARY"
	segFractional = "FRACTIONAL"
	segLabelmap   = "LABELMAP"
)

var (
	tagSegmentIdentificationSeq = tag.Tag{Group: 0x0062, Element: 0x000A}
	tagDerivationImageSeq       = tag.Tag{Group: 0x0008, Element: 0x9124}
	tagSourceImageSeq           = tag.Tag{Group: 0x0008, Element: 0x2112}
)

// segmentInfo is one item of a SEG's SegmentSequence.
type segmentInfo struct {
	Number int
	Label  string
}

// segObject is what placing a SEG's frames needs of its header.
type segObject struct {
	kind      string // segBinary, segFractional or segLabelmap
	pf        pixelFormat
	bo        binary.ByteOrder
	threshold uint32 // BINARY and FRACTIONAL: a stored value at or above it is inside
	segments  []segmentInfo
	shared    elements   // the SharedFunctionalGroupsSequence item, or nil
	perFrame  []elements // the PerFrameFunctionalGroupsSequence items
}

// ReadSEG reads a DICOM Segmentation (BINARY, FRACTIONAL or LABELMAP) and returns the segment
// that is the liver as a mask aligned to ref. segment > 0 picks a segment by its number instead;
// with 0, the segment labelled "liver" (any case) is read, or the only segment there is.
// Frames are placed on ref's slices through the source image they reference, else through their
// ImagePositionPatient; frames of one slice are ORed together.
func ReadSEG(path string, ref *Volume, segment int) (*Mask, error) {
	df, err := readDICOMFile(path)
	if err != nil {
		return nil, err
	}
	return readSEG(df, ref, segment)
}

// readSEGBytes is ReadSEG on a file already in memory; name stands for its path in errors. It is
// the entry point of the fuzz test.
func readSEGBytes(name string, data []byte, ref *Volume, segment int) (*Mask, error) {
	df, err := parseDICOM(name, data, int64(len(data)))
	if err != nil {
		return nil, err
	}
	return readSEG(df, ref, segment)
}

func readSEG(df *dicomFile, ref *Volume, want int) (*Mask, error) {
	path := df.Path
	s, err := readSEGHeader(df, ref)
	if err != nil {
		return nil, err
	}
	number, err := s.chooseSegment(want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pixels := df.data[df.Pixels.Offset : df.Pixels.Offset+df.Pixels.Length]
	var frames [][]byte
	if df.Pixels.Encapsulated {
		if frames, err = assembleFrames(df, s.pf.Frames); err != nil {
			return nil, err
		}
	}
	idx := newSliceIndex(ref)
	m := NewMask(ref.Dims)
	n := ref.SliceLen()
	buf, plane := make([]uint8, n), make([]uint8, n)
	var raw []byte
	for f := 0; f < s.pf.Frames; f++ {
		g := s.groups(f)
		if s.kind != segLabelmap {
			in, err := s.frameSegment(g, f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if in != number {
				continue
			}
		}
		if err := checkFrameGrid(g, ref, f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		k, err := idx.place(g, ref, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		src, pf, bo, frame, threshold := pixels, s.pf, s.bo, f, s.threshold
		if frames != nil {
			// A compressed frame decodes to one native little-endian frame. 1-bit frames come out
			// packed from RLE and deflate; the JPEG family codes them as 8-bit samples, where
			// any nonzero value is inside.
			pf.Frames = 1
			if pf.BitsAllocated == 1 && df.TransferSyntax != codec.RLELossless && df.TransferSyntax != codec.DeflatedFrame {
				pf.BitsAllocated, pf.BitsStored, threshold = 8, 8, 1
			}
			if raw, err = decodeFrame(path, df.TransferSyntax, frames[f], pf, raw); err != nil {
				return nil, err
			}
			src, bo, frame = raw, binary.LittleEndian, 0
		}
		if s.kind == segLabelmap {
			decodeLabelValue(buf, src, frame, pf, bo, uint32(number))
		} else {
			decodeBinary(buf, src, frame, pf, bo, threshold)
		}
		plane = m.SliceInto(k, plane)
		for i, v := range buf {
			plane[i] |= v
		}
		m.SetSlice(k, plane)
	}
	return m, nil
}

// readSEGHeader checks that df is a SEG whose native pixel data can be read and whose frames have
// ref's matrix, and gathers what placing the frames needs.
func readSEGHeader(df *dicomFile, ref *Volume) (*segObject, error) {
	path := df.Path
	if ref == nil || ref.Dims[0] <= 0 || ref.Dims[1] <= 0 || ref.Dims[2] <= 0 || int64(ref.Dims[0])*int64(ref.Dims[1])*int64(ref.Dims[2]) > MaxVoxels {
		return nil, fmt.Errorf("%s: no valid volume to align the SEG to", path)
	}
	e := df.Elems
	sop := e.str(tag.SOPClassUID)
	if sop != sopSegmentation && sop != sopLabelmapSegmentation && e.str(tag.Modality) != "SEG" {
		return nil, fmt.Errorf("%s: %w: not a DICOM SEG (SOP class %q)", path, ErrUnsupported, sop)
	}
	if !df.Pixels.Found {
		return nil, fmt.Errorf("%s: %w: no pixel data", path, ErrMalformed)
	}
	if df.Pixels.Encapsulated {
		if err := checkCodec(df.TransferSyntax); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	pf, err := readPixelFormat(e, path)
	if err != nil {
		return nil, err
	}
	if err := (LabelGrid{What: "SEG frames", Dims: [3]int{pf.Cols, pf.Rows, 0}}).Check(ref); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Sizes are checked before any pixel is touched: the decoders index without bounds checks
	// of their own.
	if df.Pixels.Offset < 0 || df.Pixels.Offset+df.Pixels.Length > len(df.data) {
		return nil, fmt.Errorf("%s: %w: pixel data runs past the end of the file", path, ErrTruncated)
	}
	if !df.Pixels.Encapsulated {
		if err := pf.checkNativeLength(df.Pixels.Length, path); err != nil {
			return nil, err
		}
	}
	s := &segObject{
		kind:     strings.ToUpper(e.str(tag.SegmentationType)),
		pf:       pf,
		bo:       df.ByteOrder,
		shared:   e.first(tagSharedFunctionalGroups),
		perFrame: e.seq(tagPerFrameFunctionalGroups),
	}
	if s.kind == "" {
		// Type 1, but its absence is unambiguous for the two common cases.
		switch {
		case sop == sopLabelmapSegmentation:
			s.kind = segLabelmap
		case pf.BitsAllocated == 1:
			s.kind = segBinary
		}
	}
	switch {
	case s.kind == segBinary && (pf.BitsAllocated == 1 || pf.BitsAllocated == 8):
		s.threshold = 1
	case s.kind == segFractional && pf.BitsAllocated == 8:
		max, ok := e.int(tag.MaximumFractionalValue)
		if !ok || max <= 0 || max > 255 {
			return nil, fmt.Errorf("%s: %w: FRACTIONAL SEG with MaximumFractionalValue %d", path, ErrMalformed, max)
		}
		// Inside when value >= max/2: for an odd max that is value >= (max+1)/2.
		s.threshold = uint32((max + 1) / 2)
	case s.kind == segLabelmap && (pf.BitsAllocated == 8 || pf.BitsAllocated == 16):
	default:
		return nil, fmt.Errorf("%s: %w: SegmentationType %q with BitsAllocated %d", path, ErrUnsupported, s.kind, pf.BitsAllocated)
	}
	for _, it := range e.seq(tagSegmentSequence) {
		n, ok := it.int(tag.SegmentNumber)
		if !ok {
			return nil, fmt.Errorf("%s: %w: a segment without SegmentNumber", path, ErrMalformed)
		}
		s.segments = append(s.segments, segmentInfo{Number: n, Label: it.str(tag.SegmentLabel)})
	}
	if len(s.segments) == 0 {
		return nil, fmt.Errorf("%s: %w: the SEG lists no segments", path, ErrNoSegment)
	}
	return s, nil
}

// chooseSegment picks the segment number to read: want when > 0, else the segment labelled
// liver, else the only one. LABELMAP segment 0 is the background and never counts as "the only
// one".
func (s *segObject) chooseSegment(want int) (int, error) {
	if want > 0 {
		for _, sg := range s.segments {
			if sg.Number == want {
				return want, nil
			}
		}
		return 0, fmt.Errorf("%w: segment %d is not in the file; it has %s", ErrNoSegment, want, s.listSegments())
	}
	var candidates []segmentInfo
	for _, sg := range s.segments {
		if strings.EqualFold(strings.TrimSpace(sg.Label), "liver") {
			return sg.Number, nil
		}
		if !(s.kind == segLabelmap && sg.Number == 0) {
			candidates = append(candidates, sg)
		}
	}
	if len(candidates) == 1 {
		return candidates[0].Number, nil
	}
	return 0, fmt.Errorf("%w: no segment is labelled liver; the file has %s; pick one by its number", ErrNoSegment, s.listSegments())
}

func (s *segObject) listSegments() string {
	parts := make([]string, len(s.segments))
	for i, sg := range s.segments {
		parts[i] = fmt.Sprintf("%d %q", sg.Number, sg.Label)
	}
	return fmt.Sprintf("%d segments (%s)", len(s.segments), strings.Join(parts, ", "))
}

// frameGroups is the functional groups of one frame: its own, then the shared ones.
type frameGroups struct{ own, shared elements }

// first returns the first item of macro sequence t, from the frame's own groups when there,
// else from the shared groups.
func (g frameGroups) first(t tag.Tag) elements {
	if s := g.own.first(t); s != nil {
		return s
	}
	return g.shared.first(t)
}

// seq returns the items of macro sequence t, from the frame's own groups when there, else from
// the shared groups.
func (g frameGroups) seq(t tag.Tag) []elements {
	if s := g.own.seq(t); len(s) > 0 {
		return s
	}
	return g.shared.seq(t)
}

func (s *segObject) groups(f int) frameGroups {
	g := frameGroups{shared: s.shared}
	if f < len(s.perFrame) {
		g.own = s.perFrame[f]
	}
	return g
}

// frameSegment is the segment number frame f of a BINARY or FRACTIONAL SEG belongs to.
func (s *segObject) frameSegment(g frameGroups, f int) (int, error) {
	if n, ok := g.first(tagSegmentIdentificationSeq).int(tag.ReferencedSegmentNumber); ok {
		// A frame of a segment the file does not list is a broken file, not a frame to skip: it
		// may be the very segment asked for under a wrong number.
		for _, sg := range s.segments {
			if sg.Number == n {
				return n, nil
			}
		}
		return 0, fmt.Errorf("%w: frame %d names segment %d, which the SegmentSequence does not list; the file has %s",
			ErrMalformed, f+1, n, s.listSegments())
	}
	if len(s.segments) == 1 {
		return s.segments[0].Number, nil
	}
	return 0, fmt.Errorf("%w: frame %d names no segment (no SegmentIdentificationSequence)", ErrMalformed, f+1)
}

// checkFrameGrid refuses a frame whose pixel grid, where the SEG states it, is not the volume's:
// its pixels would land on the wrong voxels even on the right slice.
func checkFrameGrid(g frameGroups, ref *Volume, f int) error {
	grid := LabelGrid{What: fmt.Sprintf("frame %d", f+1)}
	if o := g.first(tagPlaneOrientationSeq).floats(tag.ImageOrientationPatient); len(o) == 6 {
		grid.Direction[0] = [3]float64{o[0], o[1], o[2]}
		grid.Direction[1] = [3]float64{o[3], o[4], o[5]}
	}
	if sp := g.first(tagPixelMeasuresSeq).floats(tag.PixelSpacing); len(sp) == 2 {
		// DICOM gives the spacing between rows first, then between columns.
		grid.Spacing[0], grid.Spacing[1] = sp[1], sp[0]
	}
	return grid.Check(ref)
}

// decodeLabelValue turns frame f of a LABELMAP SEG into a 0/1 mask: 1 where the stored value is
// the segment number.
func decodeLabelValue(dst []uint8, pixels []byte, f int, pf pixelFormat, bo binary.ByteOrder, value uint32) {
	n := pf.Rows * pf.Cols
	switch pf.BitsAllocated {
	case 8:
		raw := pixels[f*n:]
		for i := 0; i < n; i++ {
			dst[i] = b2u(uint32(raw[i]) == value)
		}
	case 16:
		raw := pixels[2*f*n:]
		for i := 0; i < n; i++ {
			dst[i] = b2u(uint32(bo.Uint16(raw[2*i:])) == value)
		}
	}
}

// sliceIndex finds the slice of a volume that a SEG frame belongs to.
type sliceIndex struct {
	// byUID lists, for each SOP Instance UID of the volume, its slices and their frame numbers
	// (several for a multi-frame source).
	byUID map[string][]sliceRef
}

type sliceRef struct{ k, frame int }

func newSliceIndex(ref *Volume) sliceIndex {
	idx := sliceIndex{byUID: map[string][]sliceRef{}}
	uids := ref.Series.SOPInstanceUIDs
	if len(uids) != ref.Dims[2] {
		return idx // not from DICOM, or inconsistent: place by position only
	}
	for k, uid := range uids {
		frame := 1
		if k < len(ref.Series.FrameNumbers) {
			frame = ref.Series.FrameNumbers[k]
		}
		if uid != "" {
			idx.byUID[uid] = append(idx.byUID[uid], sliceRef{k, frame})
		}
	}
	return idx
}

// place returns the slice of ref that frame f (0-based) belongs to: the slice of the source image
// it was derived from when that is one of ref's instances, else the slice at its
// ImagePositionPatient.
func (idx sliceIndex) place(g frameGroups, ref *Volume, f int) (int, error) {
	for _, derivation := range g.seq(tagDerivationImageSeq) {
		if k, ok := idx.byReference(derivation); ok {
			return k, nil
		}
	}
	p := g.first(tagPlanePositionSeq).floats(tag.ImagePositionPatient)
	if len(p) != 3 || !vec3.Finite(p...) {
		return 0, fmt.Errorf("%w: frame %d references no slice of the volume and has no ImagePositionPatient", ErrGeometry, f+1)
	}
	return labelSlice(ref, [3]float64{p[0], p[1], p[2]}, fmt.Sprintf("frame %d", f+1))
}

// byReference finds the slice through a DerivationImageSequence item: the first source image
// (and frame, for a multi-frame source) that is one of the volume's.
func (idx sliceIndex) byReference(derivation elements) (int, bool) {
	if len(idx.byUID) == 0 {
		return 0, false
	}
	for _, src := range derivation.seq(tagSourceImageSeq) {
		refs := idx.byUID[src.str(tag.ReferencedSOPInstanceUID)]
		if len(refs) == 0 {
			continue
		}
		if frames := src.ints(tag.ReferencedFrameNumber); len(frames) > 0 {
			var match []sliceRef
			for _, r := range refs {
				if r.frame == frames[0] {
					match = append(match, r)
				}
			}
			refs = match
		}
		if len(refs) == 1 {
			return refs[0].k, true
		}
		// None, or several: a multi-frame source without a frame number, or a UID that two of the
		// volume's files share (the series warns of it). The position must decide.
	}
	return 0, false
}
