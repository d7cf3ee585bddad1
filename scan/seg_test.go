package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/internal/testenv"
)

// runPydicom runs script with args and input on stdin and decodes the JSON it prints.
func runPydicom(t *testing.T, script string, input any, out any, args ...string) {
	t.Helper()
	python := testenv.Python(t, "pydicom, numpy")
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	if input != nil {
		b, err := json.Marshal(input)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = bytes.NewReader(b)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("pydicom: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("pydicom output %q: %v", b, err)
	}
}

// pydicomSegCounts reads a SEG with pydicom, places each frame of the segment on the CT file it
// references (SOP Instance UID, never the frame order), ORs overlapping frames and prints, per
// referenced instance, its z and the voxel count. It thresholds as the standard says: BINARY
// nonzero, FRACTIONAL at half the maximum, LABELMAP equal to the segment number.
const pydicomSegCounts = `
import sys, json
import numpy as np, pydicom
seg = pydicom.dcmread(sys.argv[1])
want = int(sys.argv[2])
z = {}
for f in sys.argv[3:]:
    d = pydicom.dcmread(f, stop_before_pixels=True)
    z[d.SOPInstanceUID] = float(d.ImagePositionPatient[2])
n = int(seg.get("NumberOfFrames", 1))
arr = seg.pixel_array.reshape(n, seg.Rows, seg.Columns)
kind = seg.SegmentationType
acc = {}
for i, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
    if kind == "LABELMAP":
        inside = arr[i] == want
    else:
        if int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber) != want:
            continue
        if kind == "FRACTIONAL":
            inside = arr[i].astype(np.int64) * 2 >= int(seg.MaximumFractionalValue)
        else:
            inside = arr[i] != 0
    uid = fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    acc[uid] = acc.get(uid, np.zeros_like(inside)) | inside
print(json.dumps({u: {"z": z[u], "count": int(a.sum())} for u, a in acc.items()}))
`

type pydicomCount struct {
	Z     float64 `json:"z"`
	Count int     `json:"count"`
}

func sliceCounts(m *Mask) []int {
	c := make([]int, m.Dims[2])
	for k := range c {
		for _, v := range m.SliceInto(k, nil) {
			if v != 0 {
				c[k]++
			}
		}
	}
	return c
}

// checkAgainstPydicom compares our mask slice by slice with pydicom's placement of the same SEG:
// by the SOP Instance UID of each slice and, where the volume is a regular grid, by the z of
// ref.Position(0,0,k) as well.
func checkAgainstPydicom(t *testing.T, segPath string, ref *Volume, segment int, m *Mask, byZ bool) {
	t.Helper()
	var want map[string]pydicomCount
	runPydicom(t, pydicomSegCounts, nil, &want, append([]string{segPath, fmt.Sprint(segment)}, ref.Series.Files...)...)
	got := sliceCounts(m)
	total := 0
	for k, n := range got {
		uid := ref.Series.SOPInstanceUIDs[k]
		w := want[uid] // zero when pydicom put nothing there
		if n != w.Count {
			t.Errorf("slice %d (%s): %d voxels, pydicom %d", k, uid, n, w.Count)
		}
		if byZ && w.Count > 0 {
			if z := ref.Position(0, 0, float64(k))[2]; math.Abs(z-w.Z) > 0.01 {
				t.Errorf("slice %d: z %.2f, pydicom's frame is at z %.2f", k, z, w.Z)
			}
		}
		total += n
	}
	if len(want) == 0 || total == 0 {
		t.Errorf("segment %d: nothing to compare (pydicom %v, ours %v)", segment, want, got)
	}
	t.Logf("%s segment %d: per-slice counts %v match pydicom", filepath.Base(segPath), segment, got)
}

func loadRef(t *testing.T, rel ...string) *Volume {
	t.Helper()
	v, err := LoadVolume(context.Background(), testenv.Data(t, rel...), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// reversed is v with its slice axis the other way round (a view of the same geometry: voxels are
// not needed to place a SEG).
func reversed(v *Volume) *Volume {
	r := *v
	n := v.Dims[2]
	r.Voxels = nil
	r.Origin = v.Position(0, 0, float64(n-1))
	for a := range r.Direction[2] {
		r.Direction[2][a] = -v.Direction[2][a]
	}
	se := &r.Series
	se.SOPInstanceUIDs, se.Files, se.FrameNumbers, se.Positions = nil, nil, nil, nil
	for k := n - 1; k >= 0; k-- {
		if len(v.Series.Positions) == n {
			se.Positions = append(se.Positions, v.Series.Positions[k])
		}
		se.SOPInstanceUIDs = append(se.SOPInstanceUIDs, v.Series.SOPInstanceUIDs[k])
		se.Files = append(se.Files, v.Series.Files[k])
		se.FrameNumbers = append(se.FrameNumbers, v.Series.FrameNumbers[k])
	}
	return &r
}

func ct3Slice(t *testing.T) *Volume { return loadRef(t, "formats", "dcmqi", "ct-3slice") }

// TestReadSEGLiver: the 3-frame "Liver" SEG in each native encoding lands on the CT slices its
// frames reference, although its frames run in the opposite order to the slices.
func TestReadSEGLiver(t *testing.T) {
	ref := ct3Slice(t)
	for _, name := range []string{"liver.dcm", "liver_expb.dcm"} {
		t.Run(name, func(t *testing.T) {
			p := testenv.Data(t, "formats", "pydicom-data", name)
			m, err := ReadSEG(p, ref, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstPydicom(t, p, ref, 1, m, true)
			// Frames 1..3 hold 36233, 35645, 35220 voxels and reference instances 03, 02, 01,
			// which the volume orders by ascending z.
			if got := sliceCounts(m); fmt.Sprint(got) != "[36233 35645 35220]" {
				t.Errorf("per-slice counts %v, want [36233 35645 35220]", got)
			}
			// The same CT with its slices the other way round: the frames must follow their
			// instances, not their order in the file.
			rev := reversed(ref)
			m, err = ReadSEG(p, rev, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstPydicom(t, p, rev, 1, m, true)
			if got := sliceCounts(m); fmt.Sprint(got) != "[35220 35645 36233]" {
				t.Errorf("reversed volume: per-slice counts %v, want [35220 35645 36233]", got)
			}
		})
	}
}

// TestReadSEGDeflated: the liver SEG re-encoded by pydicom as Deflated Explicit VR Little Endian
// (the whole dataset deflated, unlike liver_deflate.dcm's per-frame compression) reads the same.
func TestReadSEGDeflated(t *testing.T) {
	ref := ct3Slice(t)
	src := testenv.Data(t, "formats", "pydicom-data", "liver.dcm")
	p := filepath.Join(t.TempDir(), "liver_dfl.dcm")
	var ts string
	runPydicom(t, `
import sys, json, pydicom
ds = pydicom.dcmread(sys.argv[1])
ds.file_meta.TransferSyntaxUID = pydicom.uid.DeflatedExplicitVRLittleEndian
ds.save_as(sys.argv[2], write_like_original=False)
print(json.dumps(str(pydicom.dcmread(sys.argv[2]).file_meta.TransferSyntaxUID)))
`, nil, &ts, src, p)
	if ts != tsDeflatedLE {
		t.Fatalf("pydicom wrote %s", ts)
	}
	m, err := ReadSEG(p, ref, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := sliceCounts(m); fmt.Sprint(got) != "[36233 35645 35220]" {
		t.Errorf("per-slice counts %v, want [36233 35645 35220]", got)
	}
}

// TestReadSEGNonByteAligned: 510x510 frames put frame boundaries inside bytes (260100 bits a
// frame); bits run on across them.
func TestReadSEGNonByteAligned(t *testing.T) {
	ct := ct3Slice(t)
	ref := *ct
	ref.Dims = [3]int{510, 510, 3}
	ref.Voxels = nil
	p := testenv.Data(t, "formats", "pydicom-data", "liver_nonbyte_aligned.dcm")
	m, err := ReadSEG(p, &ref, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstPydicom(t, p, &ref, 1, m, true)
	if _, err := ReadSEG(p, ct, 0); !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "510x510") {
		t.Errorf("510x510 SEG on a 512x512 volume: err = %v, want ErrGeometry naming both sizes", err)
	}
}

// TestReadSEGPartialOverlaps: five overlapping segments, frames in no slice order; each lands
// where pydicom puts it, by reference. A segment is chosen by number: none is the liver.
func TestReadSEGPartialOverlaps(t *testing.T) {
	ref := ct3Slice(t)
	p := testenv.Data(t, "formats", "dcmqi", "partial_overlaps.dcm")
	for seg := 1; seg <= 5; seg++ {
		m, err := ReadSEG(p, ref, seg)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstPydicom(t, p, ref, seg, m, true)
	}
	_, err := ReadSEG(p, ref, 0)
	if !errors.Is(err, ErrNoSegment) || !strings.Contains(err.Error(), `3 "PURPLE"`) || !strings.Contains(err.Error(), p) {
		t.Errorf("no liver among 5 segments: err = %v, want ErrNoSegment listing them and naming the file", err)
	}
	if _, err := ReadSEG(p, ref, 9); !errors.Is(err, ErrNoSegment) {
		t.Errorf("segment 9: err = %v, want ErrNoSegment", err)
	}
}

// TestReadSEGByPosition: without SOP Instance UIDs to match, frames go by ImagePositionPatient;
// a volume shifted by a slice and a half matches no frame.
func TestReadSEGByPosition(t *testing.T) {
	ct := ct3Slice(t)
	p := testenv.Data(t, "formats", "pydicom-data", "liver.dcm")
	for want, v := range map[string]*Volume{"[36233 35645 35220]": ct, "[35220 35645 36233]": reversed(ct)} {
		ref := *v
		ref.Series.SOPInstanceUIDs = nil
		m, err := ReadSEG(p, &ref, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := sliceCounts(m); fmt.Sprint(got) != want {
			t.Errorf("by position: per-slice counts %v, want %s", got, want)
		}
	}
	ref := *ct
	ref.Series.SOPInstanceUIDs = nil
	shift := 1.5 * ref.Spacing[2] * ref.Direction[2][2]
	ref.Origin[2] += shift
	// The slices' own positions move with the volume, as they would in a series read from files.
	ref.Series.Positions = append([][3]float64(nil), ct.Series.Positions...)
	for k := range ref.Series.Positions {
		ref.Series.Positions[k][2] += shift
	}
	_, err := ReadSEG(p, &ref, 0)
	if !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "frame 1 at (") {
		t.Errorf("shifted volume: err = %v, want ErrGeometry naming the frame and its position", err)
	}
	t.Log(err)
}

// TestReadSEGHighdicom: highdicom's binary, fractional and overlapping SEGs on the 16x16 CT they
// reference, whose slices are unevenly spaced (a 200 mm gap): only references place them.
func TestReadSEGHighdicom(t *testing.T) {
	ref := loadRef(t, "formats", "pydicom", "dicomdirtests", "77654033", "CT2")
	for _, tc := range []struct {
		file     string
		segments []int
	}{
		{"seg_image_ct_binary.dcm", []int{1}},
		{"seg_image_ct_binary_fractional.dcm", []int{1}},
		{"seg_image_ct_true_fractional.dcm", []int{1}},
		{"seg_image_ct_binary_overlap.dcm", []int{1, 2}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := testenv.Data(t, "formats", "highdicom", tc.file)
			for _, seg := range tc.segments {
				m, err := ReadSEG(p, ref, seg)
				if err != nil {
					t.Fatal(err)
				}
				checkAgainstPydicom(t, p, ref, seg, m, false)
			}
			if len(tc.segments) == 1 {
				// One segment, labelled "first segment": read without asking.
				if _, err := ReadSEG(p, ref, 0); err != nil {
					t.Errorf("the only segment: %v", err)
				}
			} else if _, err := ReadSEG(p, ref, 0); !errors.Is(err, ErrNoSegment) {
				t.Errorf("two segments, no liver: err = %v, want ErrNoSegment", err)
			}
		})
	}
	t.Run("single_frame", func(t *testing.T) {
		ct := loadRef(t, "formats", "highdicom", "ct_image.dcm")
		p := testenv.Data(t, "formats", "highdicom", "seg_image_ct_binary_single_frame.dcm")
		m, err := ReadSEG(p, ct, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstPydicom(t, p, ct, 1, m, true)
	})
}

// TestReadSEGLabelmap: LABELMAP SEGs (pixel value = segment number, "Liver" = 1) on their CT.
func TestReadSEGLabelmap(t *testing.T) {
	ref := loadRef(t, "formats", "dcmqi", "24x38x3", "image")
	for _, name := range []string{"sparse-labelmap-noppv.dcm", "sparse-labelmap-ppv5.dcm"} {
		t.Run(name, func(t *testing.T) {
			p := testenv.Data(t, "formats", "dcmqi", name)
			m, err := ReadSEG(p, ref, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstPydicom(t, p, ref, 1, m, true)
		})
	}
}

// TestReadSEGCompressed: encapsulated SEGs are refused with the transfer syntax named.
func TestReadSEGCompressed(t *testing.T) {
	ref := ct3Slice(t)
	want, err := ReadSEG(testenv.Data(t, "formats", "pydicom-data", "liver.dcm"), ref, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"liver_rle.dcm", "liver_j2k.dcm", "liver_deflate.dcm", "liver_expb.dcm"} {
		p := testenv.Data(t, "formats", "pydicom-data", name)
		m, err := ReadSEG(p, ref, 0)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !m.Equal(want) {
			t.Errorf("%s: mask differs from liver.dcm's (%d voxels against %d)", name, int(m.Count()), int(want.Count()))
		}
	}
}

func count(v []uint8) int {
	n := 0
	for _, x := range v {
		if x != 0 {
			n++
		}
	}
	return n
}

// TestReadSEGErrors: another matrix, and truncated copies of liver.dcm: an error that names the
// file, never a panic.
func TestReadSEGErrors(t *testing.T) {
	p := testenv.Data(t, "formats", "pydicom-data", "liver.dcm")
	small := loadRef(t, "formats", "pydicom", "dicomdirtests", "77654033", "CT2")
	_, err := ReadSEG(p, small, 0)
	if !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "512x512") || !strings.Contains(err.Error(), "16x16") {
		t.Errorf("512x512 SEG on a 16x16 volume: err = %v, want ErrGeometry with both sizes", err)
	}
	ref := ct3Slice(t)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []int{0, 10, 128, 132, 200, 400, 1000, 3000, 4000, len(data) / 2, len(data) - 100, len(data) - 1} {
		cut := filepath.Join(dir, fmt.Sprintf("liver_%d.dcm", n))
		if err := os.WriteFile(cut, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadSEG(cut, ref, 0)
		if err == nil || !strings.Contains(err.Error(), cut) {
			t.Errorf("truncated to %d bytes: err = %v, want an error naming %s", n, err, cut)
		}
	}
	if _, err := ReadSEG(testenv.Data(t, "formats", "dcmqi", "ct-3slice", "01.dcm"), ref, 0); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a CT image read as a SEG: err = %v, want ErrUnsupported", err)
	}
}

// segTestVolume is a small synthetic volume whose slices name made-up source instances.
func segTestVolume(dims [3]int) *Volume {
	v := &Volume{
		Voxels:    make([]int16, dims[0]*dims[1]*dims[2]),
		Dims:      dims,
		Spacing:   [3]float64{0.75, 0.8, 2.5},
		Origin:    [3]float64{-120.5, -99.25, 30},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		Series: Series{
			PatientName: "Doe^Jane", PatientID: "P1", StudyUID: "1.2.3.4", StudyDate: "20240102",
			SeriesUID: "1.2.3.4.5", SeriesNumber: 3, FrameOfReference: "1.2.3.4.6",
			SOPClassUID: "1.2.840.10008.5.1.4.1.1.2",
		},
	}
	for k := 0; k < dims[2]; k++ {
		v.Series.SOPInstanceUIDs = append(v.Series.SOPInstanceUIDs, fmt.Sprintf("1.2.3.4.5.%d", k+1))
		v.Series.FrameNumbers = append(v.Series.FrameNumbers, 1)
	}
	return v
}

// segTestBytes is a SEG of a pattern on segTestVolume(13x7x6), in memory.
func segTestBytes(t testing.TB) (*Volume, *Mask, []byte) {
	t.Helper()
	ref := segTestVolume([3]int{13, 7, 6})
	m := NewMask(ref.Dims)
	for i := range m.Len() {
		m.Set(i, uint8(i%3%2))
	}
	ds, err := buildSEG(ref, m, LabelMeta{}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := dicom.Write(&buf, ds); err != nil {
		t.Fatal(err)
	}
	return ref, m, buf.Bytes()
}

// TestReadSEGHostileHeader: headers that promise more than the file holds, or pixels liverseg
// cannot read as a SEG, are refused before any pixel is decoded.
func TestReadSEGHostileHeader(t *testing.T) {
	ref, m, src := segTestBytes(t)
	got, err := readSEGBytes("own.dcm", src, ref, 0)
	if err != nil || !got.Equal(m) {
		t.Fatalf("unpatched: err = %v", err)
	}
	// patchStr replaces a string value of the same length.
	patchStr := func(b []byte, g, e uint16, vr, from, to string) {
		pat := append([]byte{byte(g), byte(g >> 8), byte(e), byte(e >> 8), vr[0], vr[1], byte(len(from)), 0}, from...)
		i := bytes.Index(b, pat)
		if i < 0 || len(from) != len(to) {
			t.Fatalf("%s %04x,%04x %q not found", vr, g, e, from)
		}
		copy(b[i+8:], to)
	}
	for _, tc := range []struct {
		name  string
		patch func(b []byte)
		want  error
	}{
		{"frames beyond the pixel data", func(b []byte) { patchStr(b, 0x0028, 0x0008, "IS", "6 ", "99") }, ErrTruncated},
		{"16 bits in the room of 1", func(b []byte) { patchUS(t, b, 0x0028, 0x0100, 16) }, ErrTruncated},
		{"unknown segmentation type", func(b []byte) { patchStr(b, 0x0062, 0x0001, "CS", "BINARY", "BINORY") }, ErrUnsupported},
		{"another matrix", func(b []byte) { patchUS(t, b, 0x0028, 0x0010, 8) }, ErrGeometry},
		{"absurd matrix", func(b []byte) {
			patchUS(t, b, 0x0028, 0x0010, 65535)
			patchUS(t, b, 0x0028, 0x0011, 65535)
		}, ErrTooLarge},
		{"segment 2 named by the frames", func(b []byte) { patchUS(t, b, 0x0062, 0x000B, 2) }, ErrMalformed},
	} {
		b := append([]byte(nil), src...)
		tc.patch(b)
		got, err := readSEGBytes("own.dcm", b, ref, 0)
		switch {
		case tc.want == nil && err == nil:
			// The frame of segment 2 is not the liver's: that slice stays empty.
			if n := sliceCounts(got); n[0] != 0 {
				t.Errorf("%s: slice 0 holds %d voxels of another segment", tc.name, n[0])
			}
		case tc.want == nil || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "own.dcm"):
			t.Errorf("%s: err = %v, want %v naming the file", tc.name, err, tc.want)
		}
	}
}

// TestWriteSEGSynthetic: odd sizes (frames that end inside a byte), empty masks, multi-frame
// sources and volumes without DICOM identity all come back identical.
func TestWriteSEGSynthetic(t *testing.T) {
	dir := t.TempDir()
	dims := [3]int{13, 7, 6}
	full := NewMask(dims)
	for k := 0; k < dims[2]; k++ {
		if k == 2 {
			continue // a slice without liver between two with
		}
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				if (i*7+j*3+k)%5 < 2 {
					full.SetIJK(i, j, k, 1)
				}
			}
		}
	}
	multi := segTestVolume(dims)
	for k := range multi.Series.SOPInstanceUIDs {
		multi.Series.SOPInstanceUIDs[k] = "1.2.3.4.5.99"
		multi.Series.FrameNumbers[k] = k + 1
	}
	bare := segTestVolume(dims)
	bare.Series = Series{}
	for _, tc := range []struct {
		name   string
		ref    *Volume
		m      *Mask
		frames int
	}{
		{"pattern", segTestVolume(dims), full, 5},
		{"empty", segTestVolume(dims), NewMask(dims), 1},
		{"multiframe-source", multi, full, 5},
		{"no-dicom-identity", bare, full, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".dcm")
			meta := LabelMeta{AlgorithmType: "automatic", AlgorithmName: "liverseg U-Net", ModelVersion: "v7", Author: "Tester^Ann"}
			if err := WriteSEG(p, tc.ref, tc.m, meta); err != nil {
				t.Fatal(err)
			}
			got, err := ReadSEG(p, tc.ref, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.m) {
				t.Errorf("read back %v, wrote %v", sliceCounts(got), sliceCounts(tc.m))
			}
			df, err := readDICOMFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := df.Elems.int(tag.NumberOfFrames); n != tc.frames {
				t.Errorf("%d frames, want %d", n, tc.frames)
			}
			sg := df.Elems.first(tagSegmentSequence)
			if a, n := sg.str(tag.SegmentAlgorithmType), sg.str(tag.SegmentAlgorithmName); a != "AUTOMATIC" || n != "liverseg U-Net v7" {
				t.Errorf("algorithm %q %q, want AUTOMATIC \"liverseg U-Net v7\"", a, n)
			}
			if df.Pixels.Length%2 != 0 {
				t.Errorf("pixel data of odd length %d", df.Pixels.Length)
			}
		})
	}
	if err := WriteSEG(filepath.Join(dir, "bad.dcm"), segTestVolume(dims), full, LabelMeta{AlgorithmType: "GUESSED"}); err == nil {
		t.Error("algorithm type GUESSED accepted")
	}
	if err := WriteSEG(filepath.Join(dir, "bad.dcm"), segTestVolume([3]int{13, 7, 5}), full, LabelMeta{}); !errors.Is(err, ErrGeometry) {
		t.Errorf("mask of another size: err = %v, want ErrGeometry", err)
	}
	if err := WriteSEG(filepath.Join(dir, "missing", "x.dcm"), segTestVolume(dims), full, LabelMeta{}); err == nil {
		t.Error("wrote into a folder that does not exist")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") || e.Name() == "bad.dcm" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// pydicomCheckOurSEG reads our SEG with pydicom, refusing a file without preamble and meta, and
// checks it against the CT it references: every reference is a CT instance, every frame sits at
// its source's ImagePositionPatient and holds the voxels we wrote for that instance.
const pydicomCheckOurSEG = `
import sys, json
import numpy as np, pydicom
inp = json.load(sys.stdin)
try:
    ds = pydicom.dcmread(sys.argv[1], enforce_file_format=True)
except TypeError:  # pydicom 2.x: force=False is the strict read
    ds = pydicom.dcmread(sys.argv[1], force=False)
files = inp["files"]
out = {"errors": []}
def err(s): out["errors"].append(s)
arr = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
out["sum"] = int(arr.astype(np.int64).sum())
out["frames"] = int(ds.NumberOfFrames)
out["label"] = str(ds.SegmentSequence[0].SegmentLabel)
out["ts"] = str(ds.file_meta.TransferSyntaxUID)
out["sop"] = str(ds.SOPClassUID)
out["pixel_vr"] = ds["PixelData"].VR
out["type"] = str(ds.SegmentationType)
out["category"] = str(ds.SegmentSequence[0].SegmentedPropertyCategoryCodeSequence[0].CodeValue)
out["property"] = str(ds.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodeValue)
out["patient"] = str(ds.PatientName)
out["study"] = str(ds.StudyInstanceUID)
out["ref_series"] = str(ds.ReferencedSeriesSequence[0].SeriesInstanceUID)
out["ref_instances"] = len(ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence)
out["spacing"] = [float(x) for x in ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing]
try:  # GDCM, where installed, as a second reader
    import gdcm
    r = gdcm.ImageReader()
    r.SetFileName(sys.argv[1])
    if not r.Read():
        err("GDCM cannot read the file")
    else:
        out["gdcm"] = [r.GetImage().GetDimension(i) for i in range(3)]
except ImportError:
    pass
counts = {}
for i, fg in enumerate(ds.PerFrameFunctionalGroupsSequence):
    uid = fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    if uid not in files:
        err("frame %d references %s, not a CT instance" % (i + 1, uid))
        continue
    ct = pydicom.dcmread(files[uid], stop_before_pixels=True)
    p = [float(x) for x in fg.PlanePositionSequence[0].ImagePositionPatient]
    q = [float(x) for x in ct.ImagePositionPatient]
    if max(abs(a - b) for a, b in zip(p, q)) > 0.01:
        err("frame %d at %s, its source at %s" % (i + 1, p, q))
    if int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber) != 1:
        err("frame %d not of segment 1" % (i + 1))
    counts[uid] = counts.get(uid, 0) + int(arr[i].sum())
for uid, n in inp["counts"].items():
    if counts.get(uid, 0) != n:
        err("instance %s: pydicom %d voxels, liverseg %d" % (uid, counts.get(uid, 0), n))
print(json.dumps(out))
`

// TestWriteSEGIRCAD: IRCAD case 7's liver written as a SEG reads back identical, and pydicom
// reads the same file as a valid SEG of the CT series with the same voxels on the same instances.
func TestWriteSEGIRCAD(t *testing.T) {
	ref, err := LoadVolume(context.Background(), ircad(t, "7", "PATIENT_DICOM"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMaskFolder(ircad(t, "7", "MASKS_DICOM/liver"), ref)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "liver.dcm")
	start := time.Now()
	if err := WriteSEG(p, ref, m, LabelMeta{Author: "Reader^One", Description: "IRCAD 7 liver"}); err != nil {
		t.Fatal(err)
	}
	t.Logf("written in %v", time.Since(start))
	got, err := ReadSEG(p, ref, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(m) {
		t.Fatalf("read back differs: %v\nwrote %v", sliceCounts(got), sliceCounts(m))
	}
	voxels, withLiver := 0, 0
	counts := map[string]int{}
	for k, n := range sliceCounts(m) {
		voxels += n
		if n > 0 {
			withLiver++
			counts[ref.Series.SOPInstanceUIDs[k]] = n
		}
	}
	files := map[string]string{}
	for k, u := range ref.Series.SOPInstanceUIDs {
		files[u] = ref.Series.Files[k]
	}
	var res struct {
		Errors       []string  `json:"errors"`
		Sum          int       `json:"sum"`
		Frames       int       `json:"frames"`
		Label        string    `json:"label"`
		TS           string    `json:"ts"`
		SOP          string    `json:"sop"`
		PixelVR      string    `json:"pixel_vr"`
		Type         string    `json:"type"`
		Category     string    `json:"category"`
		Property     string    `json:"property"`
		Patient      string    `json:"patient"`
		Study        string    `json:"study"`
		RefSeries    string    `json:"ref_series"`
		RefInstances int       `json:"ref_instances"`
		Spacing      []float64 `json:"spacing"`
		GDCM         []int     `json:"gdcm"`
	}
	runPydicom(t, pydicomCheckOurSEG, map[string]any{"files": files, "counts": counts}, &res, p)
	for _, e := range res.Errors {
		t.Error(e)
	}
	if res.Sum != voxels || res.Frames != withLiver {
		t.Errorf("pydicom: %d voxels in %d frames, we wrote %d in %d", res.Sum, res.Frames, voxels, withLiver)
	}
	want := []string{"Liver", tsExplicitLE, sopSegmentation, "OB", "BINARY", "123037004", "10200004",
		ref.Series.PatientName, ref.Series.StudyUID, ref.Series.SeriesUID}
	have := []string{res.Label, res.TS, res.SOP, res.PixelVR, res.Type, res.Category, res.Property,
		res.Patient, res.Study, res.RefSeries}
	for i := range want {
		if have[i] != want[i] {
			t.Errorf("pydicom reads %q, want %q", have[i], want[i])
		}
	}
	if res.RefInstances != ref.Dims[2] {
		t.Errorf("%d referenced instances, want %d", res.RefInstances, ref.Dims[2])
	}
	if len(res.Spacing) != 2 || math.Abs(res.Spacing[0]-ref.Spacing[1]) > 1e-6 || math.Abs(res.Spacing[1]-ref.Spacing[0]) > 1e-6 {
		t.Errorf("PixelSpacing %v, want %v\\%v", res.Spacing, ref.Spacing[1], ref.Spacing[0])
	}
	if res.GDCM != nil && fmt.Sprint(res.GDCM) != fmt.Sprint([]int{ref.Dims[0], ref.Dims[1], withLiver}) {
		t.Errorf("GDCM reads %v", res.GDCM)
	}
	t.Logf("%d voxels on %d frames; pydicom agrees per instance; GDCM reads %v", voxels, withLiver, res.GDCM)
}

// segSeed is a fuzz seed and the index of the volume whose matrix it has.
type segSeed struct {
	data []byte
	ref  uint8
}

// segFuzzRefs returns the volumes the fuzz target places frames on, one per matrix size of the
// seeds so that mutated seeds reach the pixel decoding, and the seeds.
func segFuzzRefs(f *testing.F) ([]*Volume, []segSeed) {
	own, _, b := segTestBytes(f)
	refs, seeds := []*Volume{own}, []segSeed{{b, 0}}
	if os.Getenv(testenv.EnvData) == "" {
		return refs, seeds
	}
	for _, rel := range [][]string{
		{"formats", "pydicom", "dicomdirtests", "77654033", "CT2"},
		{"formats", "dcmqi", "24x38x3", "image"},
	} {
		v, err := LoadVolume(context.Background(), testenv.Data(f, rel...), "", nil)
		if err != nil {
			f.Fatal(err)
		}
		refs = append(refs, v)
	}
	for rel, ref := range map[string]uint8{
		"highdicom/seg_image_ct_binary.dcm": 1, "highdicom/seg_image_ct_binary_fractional.dcm": 1,
		"highdicom/seg_image_ct_binary_overlap.dcm": 1, "dcmqi/sparse-labelmap-noppv.dcm": 2,
		"dcmqi/sparse-labelmap-ppv5.dcm": 2, "pydicom-data/liver_deflate.dcm": 0,
		"pydicom-data/liver_rle.dcm": 0, "pydicom-data/liver_j2k.dcm": 0,
	} {
		b, err := os.ReadFile(testenv.Data(f, "formats", rel))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, segSeed{b, ref})
	}
	return refs, seeds
}

// FuzzReadSEG: no input makes the SEG reader panic, and what it returns fits the volume.
func FuzzReadSEG(f *testing.F) {
	refs, seeds := segFuzzRefs(f)
	for _, s := range seeds {
		f.Add(s.data, 0, s.ref)
	}
	// One volume an input: parsing dominates the cost, and the fuzzer mutates the choice too.
	f.Fuzz(func(t *testing.T, data []byte, segment int, which uint8) {
		ref := refs[int(which)%len(refs)]
		m, err := readSEGBytes("fuzz.dcm", data, ref, segment)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.dcm") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if m.Dims != ref.Dims || m.Len() != ref.Len() {
			t.Fatalf("mask %v for a volume %v", m.Dims, ref.Dims)
		}
	})
}
