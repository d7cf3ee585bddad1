package scan

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math"
	"math/big"
	"strconv"
)

// UIDs made under the 2.25 root (ISO/IEC 9834-8: a UUID as one decimal number), which needs no
// registered organisation root.

// newUID makes a UID from a random 128-bit number: for what is new each time (a SEG's own series
// and instance).
func newUID() (string, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", fmt.Errorf("generating a UID: %w", err)
	}
	return "2.25." + n.String(), nil
}

// UID purposes of sourceUID.
const (
	uidStudy            = "study"
	uidFrameOfReference = "frame-of-reference"
)

// sourceUID is the UID, for purpose, of a source that lacks it (a study or frame of reference
// UID): a version 8 UUID from the SHA-256 of the purpose and the source's identity, so that every
// object derived from one series, in any run, names the same study and frame of reference.
//
// The identity is the series' SOP Instance UIDs in volume order. A source without them (an
// anonymised series, a NIfTI volume) is identified by what it holds instead: its header
// identifiers, its geometry and slice positions, and its voxels, so that two such series of
// the same size are still two.
func sourceUID(ref *Volume, purpose string) string {
	h := sha256.New()
	fmt.Fprintf(h, "liverseg source UID 1\x00%s\x00", purpose)
	se := ref.Series
	if allSet(se.SOPInstanceUIDs) && len(se.SOPInstanceUIDs) > 0 {
		fmt.Fprint(h, "sop")
		for _, u := range se.SOPInstanceUIDs {
			fmt.Fprintf(h, "\x00%s", u)
		}
	} else {
		writeContentIdentity(h, ref)
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8: custom (RFC 9562 5.8)
	u[8] = u[8]&0x3f | 0x80 // variant 10
	return "2.25." + new(big.Int).SetBytes(u[:]).String()
}

func allSet(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return false
		}
	}
	return true
}

// writeContentIdentity writes what a source without SOP Instance UIDs holds (sourceUID).
func writeContentIdentity(h hash.Hash, ref *Volume) {
	se := ref.Series
	fmt.Fprint(h, "content")
	for _, s := range []string{se.PatientName, se.PatientID, se.StudyUID, se.StudyDate, se.SeriesUID,
		se.SeriesDescription, strconv.Itoa(se.SeriesNumber), se.Modality, se.Manufacturer, se.FrameOfReference} {
		fmt.Fprintf(h, "\x00%s", s)
	}
	var b [8]byte
	f := func(v float64) {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	for _, d := range ref.Dims {
		f(float64(d))
	}
	for i := 0; i < 3; i++ {
		f(ref.Spacing[i])
		f(ref.Origin[i])
		for j := 0; j < 3; j++ {
			f(ref.Direction[i][j])
		}
	}
	for _, p := range se.Positions {
		f(p[0])
		f(p[1])
		f(p[2])
	}
	buf := make([]byte, 0, 64<<10)
	for _, v := range ref.Voxels {
		buf = binary.LittleEndian.AppendUint16(buf, uint16(v))
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
}
