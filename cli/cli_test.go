package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"liverseg/internal/testenv"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// run runs one command in process, as main would, and returns its exit code and outputs.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("liverseg %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func TestInfoIRCAD7(t *testing.T) {
	out := mustRun(t, "info", testenv.IRCAD(t, 7, "PATIENT_DICOM"), "--json")
	var r struct {
		Series []map[string]any `json:"series"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Series) != 1 {
		t.Fatalf("%d series", len(r.Series))
	}
	s := r.Series[0]
	for _, k := range []string{"path", "series_uid", "description", "slices", "rows", "cols", "spacing", "hu_min", "hu_max", "transfer_syntax", "warnings"} {
		if _, ok := s[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	sp := s["spacing"].([]any)
	checks := map[string][2]float64{
		"slices": {s["slices"].(float64), 151}, "rows": {s["rows"].(float64), 512}, "cols": {s["cols"].(float64), 512},
		"pixel": {sp[0].(float64), 0.782}, "step": {sp[2].(float64), 1.6},
		"hu_min": {s["hu_min"].(float64), -1023}, "hu_max": {s["hu_max"].(float64), 1024},
	}
	for k, c := range checks {
		if math.Abs(c[0]-c[1]) > 0.001 {
			t.Errorf("%s = %v, want %v", k, c[0], c[1])
		}
	}
	if w := s["warnings"].([]any); len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
}

func TestInfoTotalSegmentator(t *testing.T) {
	out := mustRun(t, "info", testenv.Data(t, "ct/totalseg/example_ct_dicom"), "--json")
	var r struct {
		Series []struct {
			Slices         int        `json:"slices"`
			Spacing        [3]float64 `json:"spacing"`
			SliceThickness float64    `json:"slice_thickness"`
			HUMin          *int       `json:"hu_min"`
			TransferSyntax string     `json:"transfer_syntax"`
			Warnings       []string   `json:"warnings"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	s := r.Series[0]
	if s.Slices != 20 || math.Abs(s.Spacing[2]-2) > 0.001 || s.SliceThickness != 3 {
		t.Errorf("slices %d step %v thickness %v: want 20, 2 mm from positions, 3 mm thickness", s.Slices, s.Spacing[2], s.SliceThickness)
	}
	if s.HUMin == nil || *s.HUMin != -1024 || s.TransferSyntax != "JPEG 2000 Lossless" {
		t.Errorf("hu_min %v transfer syntax %q warnings %v: want -1024 HU from JPEG 2000 Lossless", s.HUMin, s.TransferSyntax, s.Warnings)
	}
}

type evalJSON struct {
	Dice, IoU, MIoU, MPA float64
	StudyMIoU            float64  `json:"study_miou"`
	StudyMPA             float64  `json:"study_mpa"`
	TruthML              float64  `json:"truth_ml"`
	PredML               float64  `json:"pred_ml"`
	HD95                 *float64 `json:"hd95_mm"`
	ASSD                 *float64 `json:"assd_mm"`
	NSD                  *float64 `json:"nsd_2mm"`
	Slices               []map[string]any
}

func evalPair(t *testing.T, series, truth, pred string, extra ...string) evalJSON {
	t.Helper()
	out := mustRun(t, append([]string{"eval", "--series", series, "--truth", truth, "--pred", pred, "--json"}, extra...)...)
	var e evalJSON
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func perfect(e evalJSON) bool {
	return e.Dice == 1 && e.IoU == 1 && e.MIoU == 1 && e.MPA == 1 && e.StudyMIoU == 1 && e.StudyMPA == 1 && e.TruthML == e.PredML &&
		e.HD95 != nil && *e.HD95 == 0 && e.ASSD != nil && *e.ASSD == 0 && e.NSD != nil && *e.NSD == 1
}

// TestLabelRoundTrips: each IRCAD liver mask against itself, and converted to NIfTI, DICOM SEG
// and a PNG stack and back, gives Dice 1; nibabel and pydicom, real peers, read what we wrote.
func TestLabelRoundTrips(t *testing.T) {
	for _, patient := range []int{1, 7, 17} {
		t.Run(strconv.Itoa(patient), func(t *testing.T) {
			series := testenv.IRCAD(t, patient, "PATIENT_DICOM")
			mask := testenv.IRCAD(t, patient, "MASKS_DICOM/liver")
			self := evalPair(t, series, mask, mask, "--per-slice")
			if !perfect(self) || len(self.Slices) == 0 {
				t.Fatalf("mask against itself: %+v", self)
			}
			dir := t.TempDir()
			outs := map[string]string{
				"nifti": filepath.Join(dir, "liver.nii.gz"),
				"seg":   filepath.Join(dir, "liver.dcm"),
				"png":   filepath.Join(dir, "liver_png"),
			}
			for name, out := range outs {
				mustRun(t, "convert", "--series", series, "--in", mask, "--out", out)
				if e := evalPair(t, series, mask, out); !perfect(e) {
					t.Errorf("%s: %+v, want Dice 1", name, e)
				}
			}
			voxels := int(math.Round(self.TruthML / voxelML(t, series)))
			checkNibabel(t, outs["nifti"], series, voxels)
			checkPydicomSEG(t, outs["seg"], voxels)
		})
	}
}

func voxelML(t *testing.T, series string) float64 {
	out := mustRun(t, "info", series, "--json")
	var r struct {
		Series []struct{ Spacing [3]float64 } `json:"series"`
	}
	json.Unmarshal([]byte(out), &r)
	s := r.Series[0].Spacing
	return s[0] * s[1] * s[2] / 1000
}

// checkNibabel: nibabel sees the same voxel count, and its affine maps voxel (0,0,0) to the
// first slice's ImagePositionPatient (read by pydicom) with x and y negated (LPS to RAS).
func checkNibabel(t *testing.T, nii, series string, voxels int) {
	py := testenv.Python(t, "nibabel, pydicom, numpy")
	script := `
import sys, glob, nibabel, pydicom, numpy as np
img = nibabel.load(sys.argv[1])
n = int((np.asarray(img.dataobj) != 0).sum())
o = img.affine @ [0, 0, 0, 1]
ds = [pydicom.dcmread(p, stop_before_pixels=True) for p in glob.glob(sys.argv[2] + "/*")]
normal = np.cross(np.array(ds[0].ImageOrientationPatient[:3], float), np.array(ds[0].ImageOrientationPatient[3:], float))
first = min(ds, key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
p = np.array(first.ImagePositionPatient, float)
print(n, o[0] + p[0], o[1] + p[1], o[2] - p[2])
`
	out, err := exec.Command(py, "-c", script, nii, series).CombinedOutput()
	if err != nil {
		t.Fatalf("nibabel: %v\n%s", err, out)
	}
	var n int
	var dx, dy, dz float64
	if _, err := fmt.Sscan(string(out), &n, &dx, &dy, &dz); err != nil {
		t.Fatalf("nibabel output %q: %v", out, err)
	}
	if n != voxels {
		t.Errorf("nibabel counts %d liver voxels, we have %d", n, voxels)
	}
	if math.Abs(dx) > 1e-3 || math.Abs(dy) > 1e-3 || math.Abs(dz) > 1e-3 {
		t.Errorf("nibabel's voxel (0,0,0) is off the DICOM origin (RAS) by %v %v %v", dx, dy, dz)
	}
}

// checkPydicomSEG: pydicom reads our SEG and counts the same liver voxels.
func checkPydicomSEG(t *testing.T, seg string, voxels int) {
	py := testenv.Python(t, "pydicom, numpy")
	out, err := exec.Command(py, "-c", `
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
print(int(ds.pixel_array.sum()), ds.SegmentSequence[0].SegmentLabel)
`, seg).CombinedOutput()
	if err != nil {
		t.Fatalf("pydicom: %v\n%s", err, out)
	}
	var n int
	var label string
	if _, err := fmt.Sscan(string(out), &n, &label); err != nil {
		t.Fatalf("pydicom output %q: %v", out, err)
	}
	if n != voxels || label != "Liver" {
		t.Errorf("pydicom: %d voxels, label %q; want %d, Liver", n, label, voxels)
	}
}

func TestExitCodesAndErrors(t *testing.T) {
	if code, _, _ := run(t, "nonsense"); code != ExitUsage {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "eval", "--series", "x"); code != ExitUsage {
		t.Errorf("eval without labels: exit %d, want 2", code)
	}
	missing := filepath.Join(t.TempDir(), "nothing-here")
	code, _, errOut := run(t, "info", missing)
	if code != ExitFailure || !strings.HasPrefix(errOut, "liverseg: "+missing) {
		t.Errorf("missing path: exit %d, stderr %q", code, errOut)
	}
	series := testenv.IRCAD(t, 1, "PATIENT_DICOM")
	wrong := testenv.IRCAD(t, 7, "MASKS_DICOM/liver")
	code, _, errOut = run(t, "eval", "--series", series, "--truth", wrong, "--pred", wrong)
	if code != ExitFailure || !strings.Contains(errOut, "geometry does not match") {
		t.Errorf("mask of another patient: exit %d, stderr %q", code, errOut)
	}
}
