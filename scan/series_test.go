package scan

import (
	"context"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"liverseg/internal/testenv"
)

func TestLoadIRCAD(t *testing.T) {
	tests := []struct {
		patient      string
		slices       int
		pixel, step  float64
		huMin, huMax int16
	}{
		{"7", 151, 0.782, 1.6, -1023, 1024},
		{"1", 129, 0.57, 1.6, 0, 0},
		{"17", 119, 0.743, 1.6, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.patient, func(t *testing.T) {
			v, err := LoadVolume(context.Background(), ircad(t, tc.patient, "PATIENT_DICOM"), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.Dims != [3]int{512, 512, tc.slices} {
				t.Errorf("dims %v, want 512x512x%d", v.Dims, tc.slices)
			}
			if math.Abs(v.Spacing[0]-tc.pixel) > 0.001 || math.Abs(v.Spacing[2]-tc.step) > 0.001 {
				t.Errorf("spacing %v, want %.3f pixels and %.1f step", v.Spacing, tc.pixel, tc.step)
			}
			lo, hi := HURange(v)
			if tc.huMin != 0 && (lo != tc.huMin || hi != tc.huMax) {
				t.Errorf("HU %d..%d, want %d..%d", lo, hi, tc.huMin, tc.huMax)
			}
			if len(v.Warnings) != 0 {
				t.Errorf("warnings: %v", v.Warnings)
			}
		})
	}
}

// TestIRCADMatchesPydicom: case 7's HU volume equals pydicom's, slice by slice, with pydicom's
// slices sorted along the normal (the order a reader of the design expects).
func TestIRCADMatchesPydicom(t *testing.T) {
	py := testenv.Python(t, "pydicom, numpy")
	dir := ircad(t, "7", "PATIENT_DICOM")
	out, err := exec.Command(py, "-c", `
import sys, glob, numpy as np, pydicom
ds = [pydicom.dcmread(p) for p in glob.glob(sys.argv[1] + "/*")]
o = np.array(ds[0].ImageOrientationPatient, float)
n = np.cross(o[:3], o[3:])
ds.sort(key=lambda d: float(np.dot(n, np.array(d.ImagePositionPatient, float))))
print(" ".join(str(int((d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)).sum())) for d in ds))
`, dir).Output()
	if err != nil {
		t.Fatalf("pydicom: %v", err)
	}
	want := strings.Fields(string(out))
	v, err := LoadVolume(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != v.Dims[2] {
		t.Fatalf("pydicom has %d slices, we have %d", len(want), v.Dims[2])
	}
	for k := 0; k < v.Dims[2]; k++ {
		var sum int64
		for _, x := range v.Slice(k) {
			sum += int64(x)
		}
		if strconv.FormatInt(sum, 10) != want[k] {
			t.Fatalf("slice %d: HU sum %d, pydicom %s", k, sum, want[k])
		}
	}
}
