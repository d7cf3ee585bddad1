package nifti

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/internal/scantest"
)

func TestLabelRoundTrip(t *testing.T) {
	for _, oblique := range []bool{false, true} {
		for _, ext := range []string{".nii", ".nii.gz"} {
			t.Run(fmt.Sprintf("oblique=%v%s", oblique, ext), func(t *testing.T) {
				ref := scantest.Volume([3]int{9, 7, 5}, oblique)
				m := scantest.Mask(ref.Dims)
				path := filepath.Join(t.TempDir(), "label"+ext)
				if err := WriteLabel(path, ref, m); err != nil {
					t.Fatal(err)
				}
				raw, _ := os.ReadFile(path)
				if gz := len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b; gz != (ext == ".nii.gz") {
					t.Fatalf("gzip %v for %s", gz, ext)
				}
				got, err := ReadLabel(path, ref)
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equal(m) || got.Dims != m.Dims {
					t.Fatalf("label differs after the round trip")
				}
				// The header says what the brief promises.
				hb := fileHeader(t, path)
				h, err := parseHeader(hb)
				if err != nil {
					t.Fatal(err)
				}
				le := binary.LittleEndian
				if h.datatype != typeUint8 || int16(le.Uint16(hb[68:])) != intentLabel || hb[123] != unitsMM ||
					le.Uint16(hb[252:]) != 1 || le.Uint16(hb[254:]) != 1 || string(hb[344:347]) != "n+1" ||
					!strings.HasPrefix(string(hb[148:]), "liverseg label") {
					t.Errorf("header fields wrong: datatype %d intent %d units %d qform %d sform %d magic %q",
						h.datatype, le.Uint16(hb[68:]), hb[123], le.Uint16(hb[252:]), le.Uint16(hb[254:]), hb[344:348])
				}
				if qfac := math.Float32frombits(le.Uint32(hb[76:])); (qfac < 0) != oblique {
					t.Errorf("qfac %v for a frame that is left-handed=%v", qfac, oblique)
				}
			})
		}
	}
}

// fileHeader returns the first 348 bytes of a NIfTI file, inflated if need be.
func fileHeader(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	b := make([]byte, headerSize)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVolumeRoundTrip(t *testing.T) {
	for _, oblique := range []bool{false, true} {
		v := scantest.Volume([3]int{6, 5, 4}, oblique)
		path := filepath.Join(t.TempDir(), "ct.nii.gz")
		if err := WriteVolume(path, v); err != nil {
			t.Fatal(err)
		}
		got, err := ReadVolume(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Dims != v.Dims || len(got.Voxels) != len(v.Voxels) {
			t.Fatalf("dims %v, want %v", got.Dims, v.Dims)
		}
		for i := range v.Voxels {
			if got.Voxels[i] != v.Voxels[i] {
				t.Fatalf("voxel %d: %d, want %d", i, got.Voxels[i], v.Voxels[i])
			}
		}
		sameGeometry(t, got, v, 1e-4)
		if got.Series.Path != path || got.Series.Modality != "CT" {
			t.Errorf("series %+v", got.Series)
		}
	}
}

// runNibabel runs script with the Python that has nibabel and numpy (skipping without it) and
// decodes the JSON it prints.
func runNibabel(t *testing.T, script string, args ...string) map[string]any {
	t.Helper()
	python := testenv.Python(t, "nibabel, numpy")
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nibabel: %v\n%s", err, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("nibabel output %q: %v", out, err)
	}
	return res
}

const nibabelCheckScript = `
import sys, json
import numpy as np, nibabel as nib
out = {}
for key, path in (("label", sys.argv[1]), ("volume", sys.argv[2])):
    img = nib.load(path)
    d = np.asanyarray(img.dataobj)
    out[key] = {
        "shape": list(img.shape),
        "dtype": str(d.dtype),
        "nonzero": int(np.count_nonzero(d)),
        "sum": float(d.astype(np.float64).sum()),
        "min": float(d.min()), "max": float(d.max()),
        "origin": [float(x) for x in (img.affine @ [0, 0, 0, 1])[:3]],
        "p123": [float(x) for x in (img.affine @ [1, 2, 3, 1])[:3]],
        "q123": [float(x) for x in (img.get_qform() @ [1, 2, 3, 1])[:3]],
        "sform_code": int(img.header["sform_code"]), "qform_code": int(img.header["qform_code"]),
        "intent": int(img.header["intent_code"]),
        "v123": float(d[1, 2, 3]),
    }
print(json.dumps(out))
`

// TestNibabel: nibabel reads what we write as the same voxels at the same place.
func TestNibabel(t *testing.T) {
	testenv.Python(t, "nibabel, numpy")
	for _, oblique := range []bool{false, true} {
		ref := scantest.Volume([3]int{9, 7, 5}, oblique)
		m := scantest.Mask(ref.Dims)
		dir := t.TempDir()
		lp, vp := filepath.Join(dir, "label.nii.gz"), filepath.Join(dir, "ct.nii")
		if err := WriteLabel(lp, ref, m); err != nil {
			t.Fatal(err)
		}
		if err := WriteVolume(vp, ref); err != nil {
			t.Fatal(err)
		}
		res := runNibabel(t, nibabelCheckScript, lp, vp)
		lps2ras := func(p [3]float64) [3]float64 { return [3]float64{-p[0], -p[1], p[2]} }
		wantOrigin := lps2ras(ref.Origin)
		want123 := lps2ras(ref.Position(1, 2, 3))
		var sum float64
		for _, x := range ref.Voxels {
			sum += float64(x)
		}
		for _, key := range []string{"label", "volume"} {
			r := res[key].(map[string]any)
			shape := r["shape"].([]any)
			if len(shape) != 3 || int(shape[0].(float64)) != ref.Dims[0] || int(shape[1].(float64)) != ref.Dims[1] || int(shape[2].(float64)) != ref.Dims[2] {
				t.Errorf("%s: nibabel shape %v, want %v", key, shape, ref.Dims)
			}
			for name, want := range map[string][3]float64{"origin": wantOrigin, "p123": want123, "q123": want123} {
				got := r[name].([]any)
				for a := 0; a < 3; a++ {
					if d := math.Abs(got[a].(float64) - want[a]); d > 1e-3 {
						t.Errorf("%s (oblique %v): nibabel %s %v, want %v", key, oblique, name, got, want)
						break
					}
				}
			}
			if r["sform_code"].(float64) != 1 || r["qform_code"].(float64) != 1 {
				t.Errorf("%s: codes %v %v", key, r["sform_code"], r["qform_code"])
			}
		}
		lab, vol := res["label"].(map[string]any), res["volume"].(map[string]any)
		if got, want := int(lab["nonzero"].(float64)), int(m.Count()); got != want {
			t.Errorf("nibabel counts %d label voxels, we wrote %d", got, want)
		}
		if lab["dtype"] != "uint8" || int(lab["intent"].(float64)) != intentLabel || vol["dtype"] != "int16" {
			t.Errorf("dtypes/intents: label %v intent %v, volume %v", lab["dtype"], lab["intent"], vol["dtype"])
		}
		if vol["sum"].(float64) != sum || vol["v123"].(float64) != float64(ref.Voxels[ref.Index(1, 2, 3)]) {
			t.Errorf("nibabel volume sum %v voxel(1,2,3) %v, want %v %v", vol["sum"], vol["v123"], sum, ref.Voxels[ref.Index(1, 2, 3)])
		}
		t.Logf("oblique %v: nibabel label %v nonzero, origin %v, (1,2,3) at %v", oblique, lab["nonzero"], lab["origin"], lab["p123"])
	}
}

// TestWriteGolden: the writer's bytes are those of testdata/label.nii and testdata/ct.nii, written
// by the writer before it moved into this package (issue 21) from the oblique, left-handed test
// volume; nibabel reads them as TestNibabel expects. A change here changes every file liverseg
// writes: regenerate them only on purpose.
func TestWriteGolden(t *testing.T) {
	ref := scantest.Volume([3]int{4, 3, 2}, true)
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		write func(string) error
	}{
		{"label.nii", func(p string) error { return WriteLabel(p, ref, scantest.Mask(ref.Dims)) }},
		{"ct.nii", func(p string) error { return WriteVolume(p, ref) }},
	} {
		path := filepath.Join(dir, tc.name)
		if err := tc.write(path); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", tc.name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("%s: byte %d is %#x, golden %#x (%d and %d bytes)", tc.name, i, got[i], want[i], len(got), len(want))
					break
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s: %d bytes, golden %d", tc.name, len(got), len(want))
			}
		}
	}
}

// TestProbabilityRoundTrip writes a probability map of a turned (oblique, flipped) volume and
// reads it back as a volume: every voxel in the volume's own order.
func TestProbabilityRoundTrip(t *testing.T) {
	v := scantest.Volume([3]int{6, 5, 4}, true)
	voxels := make([]uint8, v.Len())
	for i := range voxels {
		voxels[i] = uint8(i * 7 % 256)
	}
	p, err := scan.ProbFromVoxels(v.Dims, scan.NewCanonical(v.Dims, v.Spacing, v.Direction), voxels)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "prob.nii")
	if err := WriteProbability(path, v, p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadVolume(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range voxels {
		if got.Voxels[i] != int16(b) {
			t.Fatalf("voxel %d: %d, want %d", i, got.Voxels[i], b)
		}
	}
	sameGeometry(t, got, v, 1e-4)
	if err := WriteProbability(path, scantest.Volume([3]int{6, 5, 3}, false), p); !errors.Is(err, scan.ErrGeometry) {
		t.Errorf("a map of another volume: %v", err)
	}
}
