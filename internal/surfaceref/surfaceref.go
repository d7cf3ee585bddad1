// Package surfaceref is SciPy's surface distances between two masks, the reference the tests of
// scan.CompareSurfaces and of `liverseg eval` compare with: the surface is the mask less its
// erosion by the 6-neighbourhood (outside the volume counts as outside the mask), and
// scipy.ndimage.distance_transform_edt, with the spacing, gives each surface voxel's exact
// distance to the other surface. Only tests use it; like testenv it imports nothing of liverseg
// but testenv, so that scan's internal tests can use it.
package surfaceref

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"liverseg/internal/testenv"
)

// script reads two masks of nx x ny x nz bytes (columns fastest, then rows, then slices: the
// voxel order of scan.Mask) and the spacing along the columns, rows and slices, and prints the
// figures: HD95 the larger directed 95th percentile (numpy's default linear interpolation, as
// CompareSurfaces), ASSD the mean over both directions, NSD the share within 2 mm.
const script = `
import sys, json, numpy as np
from scipy import ndimage as nd
nx, ny, nz = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sp = (float(sys.argv[8]), float(sys.argv[7]), float(sys.argv[6]))
def load(p):
    return np.fromfile(p, dtype=np.uint8).reshape(nz, ny, nx) != 0
def surface(m):
    return m & ~nd.binary_erosion(m, structure=nd.generate_binary_structure(3, 1), border_value=0)
t, p = surface(load(sys.argv[1])), surface(load(sys.argv[2]))
dp = nd.distance_transform_edt(~t, sampling=sp)[p]
dt = nd.distance_transform_edt(~p, sampling=sp)[t]
both = np.concatenate([dp, dt])
print(json.dumps({"hd95": max(np.percentile(dp, 95), np.percentile(dt, 95)), "assd": both.mean(), "nsd": float((both <= 2).mean())}))
`

// Figures are SciPy's surface distances: HD95 and ASSD in mm, NSD at 2 mm.
type Figures struct{ HD95, ASSD, NSD float64 }

// SciPy computes the figures of pred against truth (voxels in scan.Mask's order, nonzero =
// inside, both non-empty) on a grid of dims with spacing in mm along the columns, rows and
// slices. It skips t (fails in CI) without numpy and SciPy.
func SciPy(t testing.TB, truth, pred []byte, dims [3]int, spacing [3]float64) Figures {
	t.Helper()
	py := testenv.Python(t, "numpy, scipy.ndimage")
	dir := t.TempDir()
	tp, pp := filepath.Join(dir, "truth.raw"), filepath.Join(dir, "pred.raw")
	if err := os.WriteFile(tp, truth, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pp, pred, 0o644); err != nil {
		t.Fatal(err)
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	out, err := exec.Command(py, "-c", script, tp, pp, strconv.Itoa(dims[0]), strconv.Itoa(dims[1]), strconv.Itoa(dims[2]),
		f(spacing[0]), f(spacing[1]), f(spacing[2])).CombinedOutput()
	if err != nil {
		t.Fatalf("scipy: %v\n%s", err, out)
	}
	var want Figures
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("scipy's figures: %v: %s", err, out)
	}
	return want
}
