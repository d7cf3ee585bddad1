package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"liverseg/internal/testenv"
)

// TestDICOMDIR writes a DICOMDIR with pydicom's FileSet (a real peer) over five IRCAD slices and
// checks that discovery reads the files it references, and only those.
func TestDICOMDIR(t *testing.T) {
	py := testenv.Python(t, "pydicom.fileset")
	src := t.TempDir()
	copySlices(t, "7", src, "image_20", "image_21", "image_22", "image_23", "image_24")
	dst := t.TempDir()
	script := `
import sys, glob, pydicom
from pydicom.fileset import FileSet
fs = FileSet()
for i, p in enumerate(sorted(glob.glob(sys.argv[1] + "/*"))):
    ds = pydicom.dcmread(p)
    # IRCAD files lack elements the default records need.
    for k, v in (("PatientID", "IRCAD7"), ("PatientName", "IRCAD7"), ("StudyDate", "20000101"),
                 ("StudyTime", "000000"), ("StudyID", "1"), ("SeriesNumber", 1), ("InstanceNumber", i + 1)):
        if not getattr(ds, k, None):
            setattr(ds, k, v)
    fs.add(ds)
fs.write(sys.argv[2])
`
	if out, err := exec.Command(py, "-c", script, src, dst).CombinedOutput(); err != nil {
		t.Fatalf("pydicom FileSet: %v\n%s", err, out)
	}
	// A stray DICOM file that the DICOMDIR does not reference must not join the series.
	b, _ := os.ReadFile(filepath.Join(ircad(t, "7", "PATIENT_DICOM"), "image_60"))
	os.WriteFile(filepath.Join(dst, "stray"), b, 0o644)

	for _, path := range []string{dst, filepath.Join(dst, "DICOMDIR")} {
		cat, err := Discover(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if len(cat.Series) != 1 || cat.Series[0].Slices() != 5 {
			t.Fatalf("%s: %d series, problems %v", path, len(cat.Series), cat.Problems)
		}
		v, err := cat.Series[0].Load(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if v.Spacing[2] < 1.59 || v.Spacing[2] > 1.61 || len(v.Warnings) != 0 {
			t.Errorf("step %v warnings %v", v.Spacing[2], v.Warnings)
		}
	}
}
