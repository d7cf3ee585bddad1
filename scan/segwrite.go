package scan

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/internal/atomicfile"
	"liverseg/scan/internal/vec3"
)

// implementationClassUID identifies liverseg as the writer of a DICOM file (a fixed 2.25 UUID).
const implementationClassUID = "2.25.225516023251487502061288948430916966221"

// Codes of the written segment and its references.
var (
	codeAnatomicalStructure = segCode{"123037004", "SCT", "Anatomical Structure"}
	codeLiver               = segCode{"10200004", "SCT", "Liver"}
	codeSourceImage         = segCode{"121322", "DCM", "Source image for image processing operation"}
	codeSegmentation        = segCode{"113076", "DCM", "Segmentation"}
)

type segCode struct{ value, scheme, meaning string }

// WriteSEG writes m as a BINARY DICOM Segmentation of ref's series, in Explicit VR Little Endian:
// one segment "Liver" (SNOMED CT 10200004), one frame per slice that holds liver (one empty frame
// when none does, since a SEG needs a frame), each frame referencing its source instance and
// carrying its position. The file appears whole or not at all.
func WriteSEG(path string, ref *Volume, m *Mask, meta LabelMeta) error {
	if ref == nil || m == nil {
		return fmt.Errorf("%s: no volume or no mask to write", path)
	}
	if err := ref.CheckMask(m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if ref.Dims[0] <= 0 || ref.Dims[1] <= 0 || ref.Dims[2] <= 0 || ref.Dims[0] > 65535 || ref.Dims[1] > 65535 {
		return fmt.Errorf("%s: %w: cannot write a SEG of %s voxels", path, ErrUnsupported, DimsString(ref.Dims))
	}
	ds, err := buildSEG(ref, m, meta, time.Now())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return dicom.Write(w, ds) })
}

// buildSEG makes the dataset of WriteSEG.
func buildSEG(ref *Volume, m *Mask, meta LabelMeta, now time.Time) (dicom.Dataset, error) {
	algType := strings.ToUpper(strings.TrimSpace(meta.AlgorithmType))
	if algType == "" {
		algType = AlgorithmManual
	}
	switch algType {
	case AlgorithmAutomatic, AlgorithmSemiAutomatic, AlgorithmManual:
	default:
		return dicom.Dataset{}, fmt.Errorf("algorithm type %q: want %s, %s or %s", meta.AlgorithmType, AlgorithmAutomatic, AlgorithmSemiAutomatic, AlgorithmManual)
	}
	var uidErr error
	uid := func() string {
		u, err := newUID()
		if err != nil && uidErr == nil {
			uidErr = err
		}
		return u
	}
	// The SEG's own series and instance are new each time.
	sopUID, seriesUID, dimUID := uid(), uid(), uid()
	if uidErr != nil {
		return dicom.Dataset{}, uidErr
	}
	se := ref.Series
	// A source without a study or frame of reference UID (IRCAD has no frame of reference, an
	// anonymised series no study) still needs them in the SEG, the same in every SEG of it.
	studyUID, frameOfRef := se.StudyUID, se.FrameOfReference
	if studyUID == "" {
		studyUID = sourceUID(ref, uidStudy)
	}
	if frameOfRef == "" {
		frameOfRef = sourceUID(ref, uidFrameOfReference)
	}
	frames := m.LiverSlices()
	if len(frames) == 0 {
		frames = []int{0}
	}
	withRefs := referencesSources(ref)
	software := []string{"liverseg"}
	algName := loText(meta.AlgorithmName)
	if meta.ModelVersion != "" {
		software = append(software, loText("model "+meta.ModelVersion))
		if algName != "" {
			algName = loText(algName + " " + meta.ModelVersion)
		}
	}
	if algName == "" && algType != AlgorithmManual {
		// Required (type 1C) for anything a program made.
		algName = loText(strings.Join(software, " "))
	}
	description := loText(meta.Description)
	if description == "" {
		description = "liverseg liver"
	}
	date, clock := now.Format("20060102"), now.Format("150405")

	b := &segBuilder{}
	b.elems = append(b.elems, bytesElem(tag.FileMetaInformationVersion, []byte{0, 1}))
	b.str(tag.MediaStorageSOPClassUID, "UI", sopSegmentation)
	b.str(tag.MediaStorageSOPInstanceUID, "UI", sopUID)
	b.str(tag.TransferSyntaxUID, "UI", tsExplicitLE)
	b.str(tag.ImplementationClassUID, "UI", implementationClassUID)
	b.str(tag.ImplementationVersionName, "SH", "LIVERSEG")

	b.studyContext(se)
	b.str(tag.StudyInstanceUID, "UI", studyUID)

	// Series and instance.
	b.str(tag.SpecificCharacterSet, "CS", "ISO_IR 192") // Go strings are UTF-8
	b.str(tag.ImageType, "CS", "DERIVED", "PRIMARY")
	b.str(tag.InstanceCreationDate, "DA", date)
	b.str(tag.InstanceCreationTime, "TM", clock)
	b.str(tag.SOPClassUID, "UI", sopSegmentation)
	b.str(tag.SOPInstanceUID, "UI", sopUID)
	b.str(tag.SeriesDate, "DA", date)
	b.str(tag.ContentDate, "DA", date)
	b.str(tag.SeriesTime, "TM", clock)
	b.str(tag.ContentTime, "TM", clock)
	b.str(tag.Modality, "CS", "SEG")
	b.str(tag.Manufacturer, "LO", "liverseg")
	b.str(tag.SeriesDescription, "LO", description)
	b.str(tag.ManufacturerModelName, "LO", "liverseg")
	if withRefs {
		b.seq(tag.ReferencedSeriesSequence, []*dicom.Element{
			seqElem(tag.ReferencedInstanceSequence, instanceRefs(ref)...),
			strElem(tag.SeriesInstanceUID, "UI", se.SeriesUID),
		})
	}
	// The Enhanced General Equipment module requires a serial number; software has none.
	b.str(tag.DeviceSerialNumber, "LO", "0")
	b.str(tag.SoftwareVersions, "LO", software...)
	b.str(tag.SeriesInstanceUID, "UI", seriesUID)
	// Beside the source's number, so that viewers list it next to its series.
	b.str(tag.SeriesNumber, "IS", strconv.Itoa(se.SeriesNumber+1000))
	b.str(tag.InstanceNumber, "IS", "1")
	b.str(tag.FrameOfReferenceUID, "UI", frameOfRef)
	b.str(tag.PositionReferenceIndicator, "LO", "")

	// Multi-frame dimensions: which segment, then where.
	b.seq(tag.DimensionOrganizationSequence, []*dicom.Element{strElem(tag.DimensionOrganizationUID, "UI", dimUID)})
	b.seq(tag.DimensionIndexSequence,
		dimensionIndex(dimUID, tag.ReferencedSegmentNumber, tagSegmentIdentificationSeq, "ReferencedSegmentNumber"),
		dimensionIndex(dimUID, tag.ImagePositionPatient, tagPlanePositionSeq, "ImagePositionPatient"))

	// Image pixel module: 1-bit binary frames.
	b.int(tag.SamplesPerPixel, "US", 1)
	b.str(tag.PhotometricInterpretation, "CS", "MONOCHROME2")
	b.str(tag.NumberOfFrames, "IS", strconv.Itoa(len(frames)))
	b.int(tag.Rows, "US", ref.Dims[1])
	b.int(tag.Columns, "US", ref.Dims[0])
	b.int(tag.BitsAllocated, "US", 1)
	b.int(tag.BitsStored, "US", 1)
	b.int(tag.HighBit, "US", 0)
	b.int(tag.PixelRepresentation, "US", 0)
	b.str(tag.LossyImageCompression, "CS", "00")

	// Segmentation.
	b.str(tag.SegmentationType, "CS", segBinary)
	lab := DICOMLab(displayColor(meta, algType))
	segItem := []*dicom.Element{
		seqElem(tag.SegmentedPropertyCategoryCodeSequence, codeItem(codeAnatomicalStructure)),
		intElem(tag.SegmentNumber, "US", 1),
		strElem(tag.SegmentLabel, "LO", "Liver"),
		strElem(tag.SegmentAlgorithmType, "CS", algType),
		seqElem(tag.SegmentedPropertyTypeCodeSequence, codeItem(codeLiver)),
		intElem(tag.RecommendedDisplayCIELabValue, "US", lab[:]...),
	}
	if algName != "" {
		segItem = append(segItem, strElem(tag.SegmentAlgorithmName, "LO", algName))
	}
	b.seq(tag.SegmentSequence, segItem)
	b.str(tag.ContentLabel, "CS", "LIVER")
	b.str(tag.ContentDescription, "LO", description)
	b.str(tag.ContentCreatorName, "PN", loText(meta.Author))

	b.seq(tagSharedFunctionalGroups, sharedGroups(ref))
	perFrame := make([][]*dicom.Element, len(frames))
	for i, k := range frames {
		perFrame[i] = frameGroup(ref, i, k, withRefs)
	}
	b.seq(tagPerFrameFunctionalGroups, perFrame...)
	b.elems = append(b.elems, pixelElem(packFrames(m, frames)))
	sortElems(b.elems)
	return dicom.Dataset{Elements: b.elems}, nil
}

// studyContext adds the patient, study and site attributes of the source as it has them
// (sourceContext), and, where it lacks them, the Type 2 ones of a SEG empty: a SEG is of the
// source's patient and study, and archives match them attribute by attribute.
func (b *segBuilder) studyContext(se Series) {
	have := map[tag.Tag]bool{}
	for _, el := range se.context {
		b.elems = append(b.elems, el)
		have[el.Tag] = true
	}
	// A volume not read from DICOM here may still name its patient and study.
	for _, a := range []struct {
		t     tag.Tag
		vr, v string
	}{
		{tag.PatientName, "PN", se.PatientName},
		{tag.PatientID, "LO", se.PatientID},
		{tag.PatientBirthDate, "DA", ""},
		{tag.PatientSex, "CS", ""},
		{tag.StudyDate, "DA", se.StudyDate},
		{tag.StudyTime, "TM", ""},
		{tag.ReferringPhysicianName, "PN", ""},
		{tag.StudyID, "SH", ""},
		{tag.AccessionNumber, "SH", ""},
	} {
		if !have[a.t] {
			b.str(a.t, a.vr, a.v)
		}
	}
	if !have[tag.StudyDescription] && se.StudyDescription != "" {
		b.str(tag.StudyDescription, "LO", loText(se.StudyDescription))
	}
}

// packFrames packs the given slices of m one bit a pixel, least significant bit first, the frames
// running on without padding between them (PS3.5 8.1.1); the whole is padded to an even length.
func packFrames(m *Mask, frames []int) []byte {
	n := m.SliceLen()
	bits := len(frames) * n
	out := make([]byte, (bits+7)/8+((bits+7)/8)%2)
	for i, k := range frames {
		base, cols, s := i*n, m.Dims[0], m.Slice(k)
		for j := s.Rect.Min.Y; j < s.Rect.Max.Y; j++ {
			row := s.Pix[(j-s.Rect.Min.Y)*s.Rect.Dx():][:s.Rect.Dx()]
			for x, v := range row {
				if v != 0 {
					b := base + j*cols + s.Rect.Min.X + x
					out[b>>3] |= 1 << (uint(b) & 7)
				}
			}
		}
	}
	return out
}

// referencesSources says whether every slice of ref names its source instance, so that the SEG
// can reference them; a volume from elsewhere (NIfTI) is placed by position only.
func referencesSources(ref *Volume) bool {
	se := ref.Series
	if se.SOPClassUID == "" || se.SeriesUID == "" || len(se.SOPInstanceUIDs) != ref.Dims[2] {
		return false
	}
	for _, u := range se.SOPInstanceUIDs {
		if u == "" {
			return false
		}
	}
	return true
}

// instanceRefs lists every source instance once (a multi-frame source gives several slices).
func instanceRefs(ref *Volume) [][]*dicom.Element {
	var items [][]*dicom.Element
	seen := map[string]bool{}
	for _, u := range ref.Series.SOPInstanceUIDs {
		if seen[u] {
			continue
		}
		seen[u] = true
		items = append(items, []*dicom.Element{
			strElem(tag.ReferencedSOPClassUID, "UI", ref.Series.SOPClassUID),
			strElem(tag.ReferencedSOPInstanceUID, "UI", u),
		})
	}
	return items
}

func sharedGroups(ref *Volume) []*dicom.Element {
	d := ref.Direction
	orient := []string{formatDS(d[0][0]), formatDS(d[0][1]), formatDS(d[0][2]), formatDS(d[1][0]), formatDS(d[1][1]), formatDS(d[1][2])}
	// The distance between slice planes: the slice axis leans off the normal under gantry tilt.
	step := ref.Spacing[2] * math.Abs(vec3.Dot(d[2], vec3.Unit(vec3.Cross(d[0], d[1]))))
	if !(step > 0) {
		step = ref.Spacing[2]
	}
	measures := []*dicom.Element{
		strElem(tag.SliceThickness, "DS", formatDS(step)),
		// DICOM order: between rows (along a column), then between columns.
		strElem(tag.PixelSpacing, "DS", formatDS(ref.Spacing[1]), formatDS(ref.Spacing[0])),
	}
	if evenSlices(ref, step) {
		// Optional, and a lie where the frames lie at uneven steps (slicePosition).
		measures = append(measures, strElem(tag.SpacingBetweenSlices, "DS", formatDS(step)))
	}
	return []*dicom.Element{
		seqElem(tagPlaneOrientationSeq, []*dicom.Element{strElem(tag.ImageOrientationPatient, "DS", orient...)}),
		seqElem(tagPixelMeasuresSeq, measures),
	}
}

// frameGroup is the per-frame functional group item of frame i, which shows slice k.
func frameGroup(ref *Volume, i, k int, withRefs bool) []*dicom.Element {
	p := slicePosition(ref, k)
	g := []*dicom.Element{
		seqElem(tagFrameContentSeq, []*dicom.Element{intElem(tag.DimensionIndexValues, "UL", 1, i+1)}),
		seqElem(tagPlanePositionSeq, []*dicom.Element{strElem(tag.ImagePositionPatient, "DS", formatDS(p[0]), formatDS(p[1]), formatDS(p[2]))}),
		seqElem(tagSegmentIdentificationSeq, []*dicom.Element{intElem(tag.ReferencedSegmentNumber, "US", 1)}),
	}
	if withRefs {
		se := ref.Series
		src := []*dicom.Element{
			strElem(tag.ReferencedSOPClassUID, "UI", se.SOPClassUID),
			strElem(tag.ReferencedSOPInstanceUID, "UI", se.SOPInstanceUIDs[k]),
			seqElem(tag.PurposeOfReferenceCodeSequence, codeItem(codeSourceImage)),
		}
		if multiFrameSource(se, k) {
			src = append(src, strElem(tag.ReferencedFrameNumber, "IS", strconv.Itoa(se.FrameNumbers[k])))
		}
		g = append(g, seqElem(tagDerivationImageSeq, []*dicom.Element{
			seqElem(tagSourceImageSeq, src),
			seqElem(tag.DerivationCodeSequence, codeItem(codeSegmentation)),
		}))
	}
	return g
}

// slicePosition is where slice k of ref lies: its ImagePositionPatient as read, which the
// volume's even grid is not where slices are uneven or missing; the grid for a volume without.
func slicePosition(ref *Volume, k int) [3]float64 {
	if len(ref.Series.Positions) == ref.Dims[2] {
		return ref.Series.Positions[k]
	}
	return ref.Position(0, 0, float64(k))
}

// evenSlices says whether the slices of ref lie step apart along the slice normal, as the
// volume's grid has them: always for a volume without slice positions.
func evenSlices(ref *Volume, step float64) bool {
	ps := ref.Series.Positions
	if len(ps) != ref.Dims[2] {
		return true
	}
	normal := vec3.Unit(vec3.Cross(ref.Direction[0], ref.Direction[1]))
	for k := 1; k < len(ps); k++ {
		if d := vec3.Dot(vec3.Sub(ps[k], ps[k-1]), normal); math.Abs(math.Abs(d)-step) > stepTolerance*step {
			return false
		}
	}
	return true
}

// multiFrameSource says whether slice k comes from a file with several frames.
func multiFrameSource(se Series, k int) bool {
	if k >= len(se.FrameNumbers) {
		return false
	}
	if se.FrameNumbers[k] != 1 {
		return true
	}
	for j, u := range se.SOPInstanceUIDs {
		if j != k && u == se.SOPInstanceUIDs[k] {
			return true
		}
	}
	return false
}

func dimensionIndex(orgUID string, pointer, group tag.Tag, label string) []*dicom.Element {
	return []*dicom.Element{
		strElem(tag.DimensionOrganizationUID, "UI", orgUID),
		atElem(tag.DimensionIndexPointer, pointer),
		atElem(tag.FunctionalGroupPointer, group),
		strElem(tag.DimensionDescriptionLabel, "LO", label),
	}
}

func codeItem(c segCode) []*dicom.Element {
	return []*dicom.Element{
		strElem(tag.CodeValue, "SH", c.value),
		strElem(tag.CodingSchemeDesignator, "SH", c.scheme),
		strElem(tag.CodeMeaning, "LO", c.meaning),
	}
}

// segBuilder collects the top-level elements of a dataset.
type segBuilder struct{ elems []*dicom.Element }

func (b *segBuilder) str(t tag.Tag, vr string, v ...string) {
	b.elems = append(b.elems, strElem(t, vr, v...))
}
func (b *segBuilder) int(t tag.Tag, vr string, v ...int) {
	b.elems = append(b.elems, intElem(t, vr, v...))
}
func (b *segBuilder) seq(t tag.Tag, items ...[]*dicom.Element) {
	b.elems = append(b.elems, seqElem(t, items...))
}

// The element makers build elements with an explicit VR. dicom.NewValue fails only for value
// types it does not know, and these pass only the ones it does, so its error is not checked.

func strElem(t tag.Tag, vr string, v ...string) *dicom.Element {
	if v == nil {
		v = []string{}
	}
	val, _ := dicom.NewValue(v)
	return &dicom.Element{Tag: t, ValueRepresentation: tag.GetVRKind(t, vr), RawValueRepresentation: vr, Value: val}
}

func intElem(t tag.Tag, vr string, v ...int) *dicom.Element {
	val, _ := dicom.NewValue(v)
	return &dicom.Element{Tag: t, ValueRepresentation: tag.GetVRKind(t, vr), RawValueRepresentation: vr, Value: val}
}

// atElem is an attribute tag value: the library writes AT as one 16-bit word per int, so a tag
// is its group and element in turn.
func atElem(t tag.Tag, v tag.Tag) *dicom.Element {
	return intElem(t, "AT", int(v.Group), int(v.Element))
}

func bytesElem(t tag.Tag, v []byte) *dicom.Element {
	val, _ := dicom.NewValue(v)
	return &dicom.Element{Tag: t, ValueRepresentation: tag.GetVRKind(t, "OB"), RawValueRepresentation: "OB", Value: val}
}

// seqElem is a sequence of items, each sorted by tag as DICOM requires.
func seqElem(t tag.Tag, items ...[]*dicom.Element) *dicom.Element {
	for _, it := range items {
		sortElems(it)
	}
	if items == nil {
		items = [][]*dicom.Element{}
	}
	val, _ := dicom.NewValue(items)
	return &dicom.Element{Tag: t, ValueRepresentation: tag.VRSequence, RawValueRepresentation: "SQ", Value: val}
}

// pixelElem is native OB pixel data. The library's native pixel writer knows 8, 16 and 32-bit
// samples only, so the packed bits go through as unprocessed value data, written as they are.
func pixelElem(packed []byte) *dicom.Element {
	val, _ := dicom.NewValue(dicom.PixelDataInfo{IntentionallyUnprocessed: true, UnprocessedValueData: packed})
	return &dicom.Element{Tag: tag.PixelData, ValueRepresentation: tag.VRPixelData, RawValueRepresentation: "OB", Value: val}
}

func sortElems(e []*dicom.Element) {
	sort.SliceStable(e, func(a, b int) bool {
		ta, tb := e[a].Tag, e[b].Tag
		if ta.Group != tb.Group {
			return ta.Group < tb.Group
		}
		return ta.Element < tb.Element
	})
}

// formatDS formats a decimal string: at most 16 characters, as precise as that allows.
func formatDS(v float64) string {
	if v == 0 || math.Abs(v) < 1e-9 {
		return "0"
	}
	for prec := 15; prec > 0; prec-- {
		s := strconv.FormatFloat(v, 'g', prec, 64)
		if len(s) <= 16 {
			return s
		}
	}
	return strconv.FormatFloat(v, 'e', 6, 64)
}

// loText makes free text fit a LO (or PN) value: one value (no backslash), at most 64 characters.
func loText(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, `\`, "/"))
	if utf8.RuneCountInString(s) <= 64 {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:64]))
}
