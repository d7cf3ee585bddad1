package thinseries

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// implementationClassUID names liverseg as the writer of a file (scan/segwrite.go's).
const implementationClassUID = "2.25.225516023251487502061288948430916966221"

// newUID is a UID under the 2.25 root from 128 random bits (ISO/IEC 9834-8).
func newUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("making a UID: %w", err)
	}
	return "2.25." + new(big.Int).SetBytes(b[:]).String(), nil
}

// placement is what a written slice's header says anew; the rest is its source file's.
type placement struct {
	SeriesUID     string
	Instance      int // InstanceNumber, 1-based
	Position      [3]float64
	SliceLocation float64
	Spacing       float64 // between the new slices, mm: SliceThickness and SpacingBetweenSlices where the source has them
}

// writeSlice writes the slice at path: src's header with p's placement, a new SOP Instance UID,
// the file meta of Explicit VR Little Endian, and stored as its native pixel data (encoded into
// buf, src.Format.bytes() long). Group lengths are dropped, being no longer right.
func writeSlice(path string, src *sliceFile, p placement, stored []int32, buf []byte) error {
	sop, err := newUID()
	if err != nil {
		return err
	}
	elems := make([]*dicom.Element, 0, len(src.Data.Elements)+8)
	for _, el := range src.Data.Elements {
		if el.Tag.Group != tag.MetadataGroup && el.Tag.Element != 0 && el.Tag != tag.PixelData {
			elems = append(elems, el)
		}
	}
	set := func(t tag.Tag, v any) {
		if err != nil {
			return
		}
		var el *dicom.Element
		if el, err = dicom.NewElement(t, v); err != nil {
			err = fmt.Errorf("%v: %w", t, err)
			return
		}
		elems = replace(elems, el)
	}
	ds := src.Data
	set(tag.FileMetaInformationVersion, []byte{0, 1})
	set(tag.MediaStorageSOPClassUID, []string{str(ds, tag.SOPClassUID)})
	set(tag.MediaStorageSOPInstanceUID, []string{sop})
	set(tag.TransferSyntaxUID, []string{explicitLE})
	set(tag.ImplementationClassUID, []string{implementationClassUID})
	set(tag.ImplementationVersionName, []string{"LIVERSEG"})
	set(tag.SOPInstanceUID, []string{sop})
	set(tag.SeriesInstanceUID, []string{p.SeriesUID})
	set(tag.InstanceNumber, []string{strconv.Itoa(p.Instance)})
	set(tag.ImagePositionPatient, []string{ds16(p.Position[0]), ds16(p.Position[1]), ds16(p.Position[2])})
	set(tag.SliceLocation, []string{ds16(p.SliceLocation)})
	for _, t := range []tag.Tag{tag.SliceThickness, tag.SpacingBetweenSlices} {
		if has(ds, t) {
			set(t, []string{ds16(p.Spacing)})
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	src.Format.encode(buf, stored)
	vr := "OW"
	if src.Format.BitsAllocated == 8 {
		vr = "OB"
	}
	px, _ := dicom.NewValue(dicom.PixelDataInfo{IntentionallyUnprocessed: true, UnprocessedValueData: buf})
	elems = replace(elems, &dicom.Element{Tag: tag.PixelData, ValueRepresentation: tag.VRPixelData,
		RawValueRepresentation: vr, ValueLength: uint32(len(buf)), Value: px})

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = dicom.Write(w, dicom.Dataset{Elements: elems})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// replace puts el into elems, which are in tag order, in place of the element of its tag or
// where its tag goes.
func replace(elems []*dicom.Element, el *dicom.Element) []*dicom.Element {
	i, found := slices.BinarySearchFunc(elems, el.Tag, func(e *dicom.Element, t tag.Tag) int {
		if e.Tag.Group != t.Group {
			return int(e.Tag.Group) - int(t.Group)
		}
		return int(e.Tag.Element) - int(t.Element)
	})
	if found {
		elems[i] = el
		return elems
	}
	return slices.Insert(elems, i, el)
}

// ds16 formats a decimal string within DS's 16 characters: 10 significant digits, which keeps
// a position to a micrometre.
func ds16(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 10, 64)
}
