package scan

import (
	"context"
	"image/color"
	"math"
	"math/big"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/internal/testenv"
)

// Sources of the SEG writer's tests: IRCAD 7 (no FrameOfReferenceUID, Study ID and Accession
// Number empty), the GE 3-slice CT of dcmqi (Accession Number, Study ID and Patient's Age set),
// the Siemens series of TotalSegmentator (no Study, Series or SOP Instance UID) and the highdicom
// CT (slices at z = -99.48, 103.02, 104.27, 105.52: far from an even grid).
func segSourceIRCAD7(t testing.TB) string { return ircad(t, "7", "PATIENT_DICOM") }
func segSourceGE(t testing.TB) string     { return testenv.Data(t, "formats", "dcmqi", "ct-3slice") }
func segSourceSiemens(t testing.TB) string {
	return testenv.Data(t, "ct", "totalseg", "example_ct_dicom")
}
func segSourceUneven(t testing.TB) string {
	return testenv.Data(t, "formats", "pydicom", "dicomdirtests", "77654033", "CT2")
}

func loadSEGSource(t testing.TB, dir string) *Volume {
	t.Helper()
	v, err := LoadVolume(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// segSourceMask is IRCAD 7's liver for IRCAD 7, and soft tissue (40..200 HU) for the others,
// which have no truth: a mask of real shape on every slice.
func segSourceMask(t testing.TB, dir string, ref *Volume) *Mask {
	t.Helper()
	if dir == segSourceIRCAD7(t) {
		m, err := ReadMaskFolder(ircad(t, "7", "MASKS_DICOM/liver"), ref)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := NewMask(ref.Dims)
	for i, v := range ref.Voxels {
		if v >= 40 && v <= 200 {
			m.Set(i, 1)
		}
	}
	return m
}

// writeTestSEG writes the SEG of m and returns its path and elements.
func writeTestSEG(t testing.TB, ref *Volume, m *Mask, meta LabelMeta) (string, elements) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seg.dcm")
	if err := WriteSEG(p, ref, m, meta); err != nil {
		t.Fatal(err)
	}
	df, err := readDICOMFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, df.Elems
}

// TestSEGCopiesStudyContext (issue 20 item 11): the SEG carries the patient, study and site
// attributes of its CT as the CT has them, the ones the issue found blanked first.
func TestSEGCopiesStudyContext(t *testing.T) {
	named := []tag.Tag{tag.StudyTime, tag.AccessionNumber, tag.ReferringPhysicianName, tag.StudyID,
		tag.PatientBirthDate, tag.PatientSex, tag.PatientName, tag.PatientID, tag.StudyDate,
		tag.StudyDescription, tag.PatientAge, tag.InstitutionName, tag.StudyInstanceUID}
	for _, tc := range []struct {
		name string
		dir  func(testing.TB) string
		// what the CT must have for the case to test anything
		want map[tag.Tag]string
	}{
		{"ircad7", segSourceIRCAD7, map[tag.Tag]string{tag.StudyTime: "125545", tag.PatientSex: "M", tag.PatientBirthDate: "20090527", tag.InstitutionName: "IRCAD"}},
		{"ge", segSourceGE, map[tag.Tag]string{tag.AccessionNumber: "03086212", tag.StudyID: "1", tag.PatientAge: "060Y", tag.StudyTime: "104607"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			ref := loadSEGSource(t, dir)
			_, seg := writeTestSEG(t, ref, segSourceMask(t, dir, ref), LabelMeta{})
			ct, err := readDICOMHeader(ref.Series.Files[0])
			if err != nil {
				t.Fatal(err)
			}
			for tg, v := range tc.want {
				if got := ct.Elems.str(tg); got != v {
					t.Fatalf("the CT has %v = %q, the test expects %q", tg, got, v)
				}
			}
			checked := 0
			for _, el := range ct.Elems {
				if !contextTags[el.Tag] && el.Tag != tag.StudyInstanceUID {
					continue
				}
				checked++
				if seg.get(el.Tag) == nil {
					t.Errorf("%v is in the CT, not in the SEG", el.Tag)
					continue
				}
				if c, s := strings.Join(ct.Elems.strs(el.Tag), `\`), strings.Join(seg.strs(el.Tag), `\`); strings.TrimRight(c, " \x00") != s {
					t.Errorf("%v: SEG %q, CT %q", el.Tag, s, c)
				}
			}
			for _, tg := range named {
				if ct.Elems.get(tg) != nil && seg.get(tg) == nil {
					t.Errorf("%v: in the CT, not in the SEG", tg)
				}
			}
			if checked < 8 {
				t.Errorf("only %d patient and study attributes compared", checked)
			}
			// The SEG's own equipment is liverseg's, whatever made the CT.
			if m := seg.str(tag.Manufacturer); m != "liverseg" {
				t.Errorf("Manufacturer %q, want liverseg", m)
			}
		})
	}
}

// TestSourceUID (issue 20 item 12): a UID the CT lacks is derived from it, the same in every SEG
// of the series (also one written from a NIfTI label of it: scan/labels), and differs between purposes and
// series; the SEG's own series and instance stay new each time.
func TestSourceUID(t *testing.T) {
	ircad7 := loadSEGSource(t, segSourceIRCAD7(t))
	siemens := loadSEGSource(t, segSourceSiemens(t))
	if ircad7.Series.FrameOfReference != "" || siemens.Series.StudyUID != "" || siemens.Series.SOPInstanceUIDs[0] != "" {
		t.Fatal("IRCAD 7 has a frame of reference or the Siemens series a study or SOP Instance UID: the test needs them missing")
	}

	t.Run("ircad7-frame-of-reference", func(t *testing.T) {
		m := segSourceMask(t, segSourceIRCAD7(t), ircad7)
		_, a := writeTestSEG(t, ircad7, m, LabelMeta{})
		// A second run: the series read again, a different label.
		again := loadSEGSource(t, segSourceIRCAD7(t))
		m2 := m.Clone()
		m2.Set(m2.Len()/2, m2.At(m2.Len()/2)^1)
		_, b := writeTestSEG(t, again, m2, LabelMeta{AlgorithmType: AlgorithmAutomatic})
		fa, fb := a.str(tag.FrameOfReferenceUID), b.str(tag.FrameOfReferenceUID)
		if fa == "" || fa != fb {
			t.Errorf("FrameOfReferenceUID %q then %q, want one", fa, fb)
		}
		checkUUIDUID(t, fa)
		if fa == sourceUID(ircad7, uidStudy) {
			t.Error("the frame of reference and study UIDs of one source are the same")
		}
		for _, tg := range []tag.Tag{tag.SeriesInstanceUID, tag.SOPInstanceUID} {
			if a.str(tg) == b.str(tg) {
				t.Errorf("%v %s in both SEGs, want a new one each time", tg, a.str(tg))
			}
		}
		if s := a.str(tag.StudyInstanceUID); s != ircad7.Series.StudyUID {
			t.Errorf("StudyInstanceUID %s, the CT's is %s", s, ircad7.Series.StudyUID)
		}
	})

	t.Run("siemens-study", func(t *testing.T) {
		dir := segSourceSiemens(t)
		m := segSourceMask(t, dir, siemens)
		_, direct := writeTestSEG(t, siemens, m, LabelMeta{AlgorithmType: AlgorithmAutomatic})
		// A second run: the series read again. (scan/labels' TestSEGThroughNIfTI does the same
		// through a NIfTI label, the way `convert --in label.nii.gz --out x.dcm` goes.)
		again := loadSEGSource(t, dir)
		_, b := writeTestSEG(t, again, m, LabelMeta{})
		sa, sb := direct.str(tag.StudyInstanceUID), b.str(tag.StudyInstanceUID)
		if sa == "" || sa != sb {
			t.Errorf("StudyInstanceUID %q of the SEG, %q of the second run's, want one", sa, sb)
		}
		checkUUIDUID(t, sa)
		if f := direct.str(tag.FrameOfReferenceUID); f != siemens.Series.FrameOfReference {
			t.Errorf("FrameOfReferenceUID %s, the CT's is %s", f, siemens.Series.FrameOfReference)
		}
	})

	t.Run("distinct", func(t *testing.T) {
		// Without SOP Instance UIDs the voxels tell two series of one geometry apart.
		other := *siemens
		other.Voxels = append([]int16(nil), siemens.Voxels...)
		other.Voxels[0]++
		uids := map[string]string{
			"ircad7 study":              sourceUID(ircad7, uidStudy),
			"ircad7 frame of reference": sourceUID(ircad7, uidFrameOfReference),
			"siemens study":             sourceUID(siemens, uidStudy),
			"siemens, one voxel off":    sourceUID(&other, uidStudy),
		}
		seen := map[string]string{}
		for what, u := range uids {
			if prev, ok := seen[u]; ok {
				t.Errorf("%s and %s share %s", what, prev, u)
			}
			seen[u] = what
		}
	})
}

// checkUUIDUID checks that u is a 2.25 UID of a version 8, variant 10 UUID, at most 64
// characters.
func checkUUIDUID(t *testing.T, u string) {
	t.Helper()
	n, ok := new(big.Int).SetString(strings.TrimPrefix(u, "2.25."), 10)
	if !strings.HasPrefix(u, "2.25.") || !ok || len(u) > 64 || n.BitLen() > 128 {
		t.Fatalf("%q is not a 2.25 UUID UID", u)
	}
	var b [16]byte
	n.FillBytes(b[:])
	if b[6]>>4 != 8 || b[8]>>6 != 2 {
		t.Errorf("%s: UUID version %d, variant %b, want 8 and 10", u, b[6]>>4, b[8]>>6)
	}
}

// TestCIELab (issue 20 item 13): sRGB to CIELab (D65) against published values (Lindbloom's
// calculator, sRGB, D65), and DICOM's 0..65535 encoding of it.
func TestCIELab(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       color.RGBA
		L, a, b float64
		dicom   [3]int // from the published Lab, ±1
	}{
		{"white", color.RGBA{255, 255, 255, 255}, 100, 0, 0, [3]int{65535, 32896, 32896}},
		{"black", color.RGBA{0, 0, 0, 255}, 0, 0, 0, [3]int{0, 32896, 32896}},
		{"red", color.RGBA{255, 0, 0, 255}, 53.2408, 80.0925, 67.2032, [3]int{34891, 53480, 50167}},
		{"green", color.RGBA{0, 255, 0, 255}, 87.7347, -86.1827, 83.1793, [3]int{57497, 10747, 54273}},
		{"blue", color.RGBA{0, 0, 255, 255}, 32.2970, 79.1875, -107.8602, [3]int{21166, 53247, 5176}},
		{"grey 50%", color.RGBA{119, 119, 119, 255}, 50.0325, 0, 0, [3]int{32789, 32896, 32896}},
	} {
		L, a, b := cieLab(tc.c)
		if math.Abs(L-tc.L) > 0.01 || math.Abs(a-tc.a) > 0.01 || math.Abs(b-tc.b) > 0.01 {
			t.Errorf("%s: Lab (%.4f, %.4f, %.4f), want (%.4f, %.4f, %.4f)", tc.name, L, a, b, tc.L, tc.a, tc.b)
		}
		got := DICOMLab(tc.c)
		for i := range got {
			if d := got[i] - tc.dicom[i]; d < -1 || d > 1 {
				t.Errorf("%s: DICOM Lab %v, want %v", tc.name, got, tc.dicom)
				break
			}
		}
	}
}

// TestSEGDisplayColour (issue 20 item 13): each segment recommends the colour the GUI shows it in.
func TestSEGDisplayColour(t *testing.T) {
	dir := segSourceGE(t)
	ref := loadSEGSource(t, dir)
	m := segSourceMask(t, dir, ref)
	for _, tc := range []struct {
		name string
		meta LabelMeta
		want color.RGBA
	}{
		{"manual: the truth's colour", LabelMeta{AlgorithmType: AlgorithmManual}, ColorTruth},
		{"model: the prediction's colour", LabelMeta{AlgorithmType: AlgorithmAutomatic}, ColorPrediction},
		{"the user's colour", LabelMeta{AlgorithmType: AlgorithmAutomatic, Color: color.RGBA{10, 20, 30, 255}}, color.RGBA{10, 20, 30, 255}},
	} {
		_, seg := writeTestSEG(t, ref, m, tc.meta)
		got := seg.first(tagSegmentSequence).ints(tag.RecommendedDisplayCIELabValue)
		want := DICOMLab(tc.want)
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("%s: RecommendedDisplayCIELabValue %v, want %v", tc.name, got, want)
		}
	}
}

// TestSEGFramePositions (issue 20 item 4): every frame sits where its source slice is, at that
// slice's ImagePositionPatient, also where the slices are far from an even grid.
func TestSEGFramePositions(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  func(testing.TB) string
		even bool
	}{
		{"uneven", segSourceUneven, false},
		{"ircad7", segSourceIRCAD7, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			ref := loadSEGSource(t, dir)
			m := NewMask(ref.Dims)
			for i := range m.Len() {
				m.Set(i, 1) // a frame for every slice
			}
			_, seg := writeTestSEG(t, ref, m, LabelMeta{})
			where := map[string][]float64{}
			for _, f := range ref.Series.Files {
				df, err := readDICOMHeader(f)
				if err != nil {
					t.Fatal(err)
				}
				where[df.Elems.str(tag.SOPInstanceUID)] = df.Elems.floats(tag.ImagePositionPatient)
			}
			frames := seg.seq(tagPerFrameFunctionalGroups)
			if len(frames) != ref.Dims[2] {
				t.Fatalf("%d frames, want %d", len(frames), ref.Dims[2])
			}
			worst := 0.0
			for i, g := range frames {
				src := g.first(tagDerivationImageSeq).first(tagSourceImageSeq).str(tag.ReferencedSOPInstanceUID)
				want, ok := where[src]
				got := g.first(tagPlanePositionSeq).floats(tag.ImagePositionPatient)
				if !ok || len(want) != 3 || len(got) != 3 {
					t.Fatalf("frame %d: source %q at %v, frame at %v", i+1, src, want, got)
				}
				for j := range got {
					worst = math.Max(worst, math.Abs(got[j]-want[j]))
				}
			}
			if worst > 1e-3 {
				t.Errorf("a frame lies %.3f mm from its source slice", worst)
			}
			// The spacing between slices, optional, is given only where it is one.
			spacing := seg.first(tagSharedFunctionalGroups).first(tagPixelMeasuresSeq).get(tag.SpacingBetweenSlices) != nil
			if spacing != tc.even {
				t.Errorf("SpacingBetweenSlices given: %v, want %v", spacing, tc.even)
			}
		})
	}
}

// TestSEGOutsideValidators (issue 20 items 5, 11): dicom3tools accept the SEG: dciodvfy finds no
// error, and dcentvfy over the CT and the SEG finds no attribute of the patient or study empty in
// one and not the other, nor different.
func TestSEGOutsideValidators(t *testing.T) {
	dciodvfy, dcentvfy := testenv.Tool(t, "dciodvfy"), testenv.Tool(t, "dcentvfy")
	for _, tc := range []struct {
		name string
		dir  func(testing.TB) string
	}{
		{"ircad7", segSourceIRCAD7},
		{"ge", segSourceGE},
		{"uneven", segSourceUneven},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			ref := loadSEGSource(t, dir)
			p, _ := writeTestSEG(t, ref, segSourceMask(t, dir, ref), LabelMeta{AlgorithmType: AlgorithmAutomatic, AlgorithmName: "liverseg U-Net"})
			out, _ := exec.Command(dciodvfy, p).CombinedOutput() // exits nonzero on warnings
			if !strings.Contains(string(out), "Segmentation") {
				t.Fatalf("dciodvfy did not check the file as a Segmentation:\n%s", out)
			}
			for _, l := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(l, "Error") {
					t.Errorf("dciodvfy: %s", l)
				}
			}
			out, _ = exec.Command(dcentvfy, append(append([]string(nil), ref.Series.Files...), p)...).CombinedOutput()
			bad := 0
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, "Attribute is empty") || strings.Contains(l, "different values") ||
					strings.Contains(l, "present in one instance but not the other") || strings.HasPrefix(l, "Error") {
					if bad++; bad <= 10 {
						t.Errorf("dcentvfy: %s", l)
					}
				}
			}
		})
	}
}
