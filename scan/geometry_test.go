package scan

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan/internal/vec3"
)

// rewriteSlices copies six IRCAD slices through pydicom, letting a Python expression change each
// dataset `ds` (slice index `i`), and returns the folder.
func rewriteSlices(t *testing.T, change string) string {
	t.Helper()
	py := testenv.Python(t, "pydicom, numpy")
	dir := t.TempDir()
	script := `
import sys, os, pydicom, numpy as np
src, dst = sys.argv[1], sys.argv[2]
for i in range(6):
    ds = pydicom.dcmread(os.path.join(src, "image_%d" % (30 + i)))
` + change + `
    ds.save_as(os.path.join(dst, "slice%d" % i))
`
	if out, err := exec.Command(py, "-c", script, ircad(t, "7", "PATIENT_DICOM"), dir).CombinedOutput(); err != nil {
		t.Fatalf("pydicom: %v\n%s", err, out)
	}
	return dir
}

func TestAssemblyWarnings(t *testing.T) {
	tests := []struct {
		name, change, warning string
		slices                int
	}{
		{"gantry tilt", `    p = [float(x) for x in ds.ImagePositionPatient]; p[1] += 0.5 * i; ds.ImagePositionPatient = p`, "gantry tilt of 17.35 degrees", 6},
		{"uneven spacing", `    p = [float(x) for x in ds.ImagePositionPatient]; p[2] += 0.3 * (i % 2); ds.ImagePositionPatient = p`, "uneven slice spacing", 6},
		{"mixed orientation", `    ds.ImageOrientationPatient = [1, 0, 0, 0, 0.8, 0.6] if i == 2 else ds.ImageOrientationPatient`, "mixed orientation: 1 slices left out", 5},
		{"mixed matrix", `
    if i == 4:
        a = ds.pixel_array[:256, :256].copy()
        ds.Rows, ds.Columns = 256, 256
        ds.PixelData = a.tobytes()`, "mixed matrix size (256x256, not 512x512): 1 slices left out", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := rewriteSlices(t, tc.change)
			cat := discover(t, dir)
			if len(cat.Series) != 1 {
				t.Fatalf("%d series, problems %v", len(cat.Series), cat.Problems)
			}
			s := cat.Series[0]
			if s.Slices() != tc.slices || !hasWarning(s, tc.warning) {
				t.Fatalf("%d slices, warnings %q; want %d and %q", s.Slices(), s.Warnings, tc.slices, tc.warning)
			}
			v, err := s.Load(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "gantry tilt" {
				// Every voxel sits where the scanner put it: slice k's corner is its position.
				for k, f := range s.frames {
					p := v.Position(0, 0, float64(k))
					if d := vec3.Norm(vec3.Sub(p, f.Position)); d > 1e-6 {
						t.Errorf("slice %d (%s) is %.3g mm off its ImagePositionPatient", k, filepath.Base(f.File), d)
					}
				}
			}
		})
	}
}
