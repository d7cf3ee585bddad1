package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/internal/surfaceref"
	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/labels"
)

var testModel struct {
	once sync.Once
	path string
	err  string
}

// smallModel is a real, small U-Net (untrained, seeded, its head scaled so that it draws shapes)
// exported by inference/testdata/export_unet.py, with the liverseg contract stamped in: what
// the segment tests run, until the default model exists.
func smallModel(t *testing.T) string {
	t.Helper()
	py := testenv.Python(t, "torch, numpy")
	testModel.once.Do(func() {
		dir, err := os.MkdirTemp("", "liverseg-cli-model-")
		if err != nil {
			testModel.err = err.Error()
			return
		}
		p := filepath.Join(dir, "unet.onnx")
		cmd := exec.Command(py, filepath.Join("..", "inference", "testdata", "export_unet.py"), p,
			"--channels", "3", "--base", "4", "--levels", "3", "--size", "96", "--gain", "20")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			testModel.err = err.Error() + "\n" + stderr.String()
			return
		}
		c := inference.DefaultContract()
		c.InputH, c.InputW, c.Version = 96, 96, "test-small-1"
		if err := inference.StampMetadata(t.Context(), p, c.Metadata()); err != nil {
			testModel.err = err.Error()
			return
		}
		testModel.path = p
	})
	if testModel.err != "" {
		t.Fatalf("exporting the test U-Net: %s", testModel.err)
	}
	return testModel.path
}

// ortLibrary is testenv's library ($ONNXRUNTIME_SHARED_LIBRARY_PATH), else the one liverseg
// itself would find (the setup's cache): testenv cannot ask inference.FindLibrary.
func ortLibrary(t *testing.T) string {
	t.Helper()
	if os.Getenv(testenv.EnvORTLibrary) != "" {
		return testenv.ORTLibrary(t)
	}
	lib, err := inference.FindLibrary(t.Context(), inference.LibrarySearch{SkipPython: true})
	if err != nil {
		testenv.Missing(t, "no ONNX Runtime library: %v", err)
	}
	return lib.Path
}

// TestSegmentIRCAD: segment writes NIfTI, DICOM SEG and a PNG stack of the same mask; its --json
// has the provider, the model version, the timings and, with --truth, the very figures that
// eval gives for the written file.
func TestSegmentIRCAD(t *testing.T) {
	series := testenv.IRCAD(t, 1, "PATIENT_DICOM")
	truth := testenv.IRCAD(t, 1, "MASKS_DICOM/liver")
	model := smallModel(t)
	lib := ortLibrary(t)
	dir := t.TempDir()
	nii := filepath.Join(dir, "liver.nii.gz")
	prob := filepath.Join(dir, "prob.nii.gz")
	out := mustRun(t, "segment", "--in", series, "--out", nii, "--prob", prob, "--model", model, "--ort-lib", lib,
		"--device", "auto", "--threads", "2", "--truth", truth, "--json")
	var r SegmentResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"provider", "model_version", "load_s", "infer_s", "post_s", "write_s", "total_s", "cuda_reason", "metrics"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--json has no %q", k)
		}
	}
	if r.Provider != inference.ProviderCPU || r.CUDAReason == "" || r.ModelVersion != "test-small-1" || r.Format != "nifti" {
		t.Errorf("provider %q, reason %q, version %q, format %q", r.Provider, r.CUDAReason, r.ModelVersion, r.Format)
	}
	if r.Metrics == nil || r.LiverML <= 0 || r.TotalS < r.InferS || r.InferS <= 0 {
		t.Fatalf("result %+v", r)
	}
	e := evalPair(t, series, truth, nii)
	if math.Abs(e.Dice-r.Metrics.Dice) > 1e-12 || math.Abs(e.PredML-r.LiverML) > 1e-9 {
		t.Errorf("eval of the written mask: Dice %v, %v ml; segment said %v, %v ml", e.Dice, e.PredML, r.Metrics.Dice, r.LiverML)
	}
	t.Logf("untrained U-Net on IRCAD 1: Dice %.3f, %.0f ml; %.2f s (infer %.2f, post %.2f)", e.Dice, r.LiverML, r.TotalS, r.InferS, r.PostS)

	// The same mask as DICOM SEG and as a PNG stack; the text output names the provider.
	seg := filepath.Join(dir, "liver.dcm")
	text := mustRun(t, "segment", "--in", series, "--out", seg, "--model", model, "--ort-lib", lib, "--device", "cpu", "--author", "Test^Er")
	if !strings.Contains(text, "provider    CPUExecutionProvider (CUDA not used: --device cpu)") || !strings.Contains(text, "wrote       "+seg+" (seg)") {
		t.Errorf("text output:\n%s", text)
	}
	if e := evalPair(t, series, nii, seg); !perfect(e) {
		t.Errorf("SEG against NIfTI: %+v", e)
	}
	png := filepath.Join(dir, "liver_png")
	mustRun(t, "segment", "--in", series, "--out", png, "--model", model, "--ort-lib", lib, "--device", "cpu")
	if e := evalPair(t, series, nii, png); !perfect(e) {
		t.Errorf("PNG stack against NIfTI: %+v", e)
	}
	py := testenv.Python(t, "pydicom")
	o, err := exec.Command(py, "-c", `
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
s = ds.SegmentSequence[0]
print(s.SegmentLabel, s.SegmentAlgorithmType, "|" + s.SegmentAlgorithmName + "|", ds.ContentCreatorName)
`, seg).CombinedOutput()
	if err != nil {
		t.Fatalf("pydicom: %v\n%s", err, o)
	}
	if got := strings.TrimSpace(string(o)); !strings.HasPrefix(got, "Liver AUTOMATIC |liverseg U-Net") || !strings.Contains(got, "test-small-1") {
		t.Errorf("SEG segment: %s", got)
	}
}

func TestSegmentErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"segment"}, ExitUsage, "--in is required"},
		{[]string{"segment", "--in", "x"}, ExitUsage, "--out is required"},
		{[]string{"segment", "--in", "x", "--out", "y.nii", "--device", "gpu"}, ExitUsage, `--device "gpu": want auto, cpu or cuda`},
		{[]string{"segment", "--in", "x", "--out", "y.txt"}, ExitUsage, "cannot tell the format"},
		{[]string{"segment", "--in", "x", "--out", "y.nii", "--prob", "p.png"}, ExitUsage, "written as NIfTI"},
		{[]string{"segment", "--in", "x", "--out", "y.nii", "--threads", "-1"}, ExitUsage, "must not be negative"},
		{[]string{"segment", "--in", "x", "stray", "--out", "y.nii"}, ExitUsage, `unexpected argument "stray"`},
		{[]string{"eval", "--series", "x", "stray"}, ExitUsage, `unexpected argument "stray"`},
		{[]string{"doctor", "now"}, ExitUsage, `unexpected argument "now"`},
	}
	for _, tc := range cases {
		code, _, errOut := run(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	// Without --model and without a built-in model, the error says to give one.
	if _, ok := assets.DefaultModel(); !ok {
		code, _, errOut := run(t, "segment", "--in", dir, "--out", filepath.Join(dir, "o.nii"))
		if code != ExitFailure || !strings.Contains(errOut, "liverseg: this liverseg has no built-in model") || !strings.Contains(errOut, "--model") {
			t.Errorf("no model: exit %d, %q", code, errOut)
		}
	}
	// A corrupt model: "liverseg: FILE: reason", exit 1.
	series := testenv.IRCAD(t, 1, "PATIENT_DICOM")
	bad := filepath.Join(dir, "bad.onnx")
	os.WriteFile(bad, []byte("this is not a model"), 0o644)
	code, _, errOut := run(t, "segment", "--in", series, "--out", filepath.Join(dir, "o.nii"), "--model", bad, "--ort-lib", ortLibrary(t))
	if code != ExitFailure || !strings.HasPrefix(errOut, "liverseg: "+bad+": not an ONNX model") {
		t.Errorf("corrupt model: exit %d, %q", code, errOut)
	}
	// --device cuda where CUDA cannot be used: an error that says why.
	model := smallModel(t)
	code, _, errOut = run(t, "segment", "--in", series, "--out", filepath.Join(dir, "o.nii"), "--model", model, "--ort-lib", ortLibrary(t), "--device", "cuda")
	if _, err := os.Stat("/dev/nvidia0"); err != nil && (code != ExitFailure || !strings.Contains(errOut, "liverseg: "+model+": --device cuda: CUDA cannot be used: ")) {
		t.Errorf("--device cuda without CUDA: exit %d, %q", code, errOut)
	}
}

// variantScript rewrites a DICOM series (argv[1]) into argv[2] the way other scanners store the
// same patient: "unsigned" (PixelRepresentation 0, stored HU+1024, intercept -1024), "flipped"
// (rows stored bottom up: ImageOrientationPatient 1,0,0,0,-1,0, so that the slice normal points
// to the feet and the slices run head first; files and instance numbers reversed), "mirrored"
// (columns stored left to right: 1,0,0 becomes -1,0,0).
const variantScript = `
import sys, glob, os, numpy as np, pydicom
src, dst, kind = sys.argv[1], sys.argv[2], sys.argv[3]
files = sorted(glob.glob(os.path.join(src, "*")))
n = len(files)
for idx, f in enumerate(files):
    d = pydicom.dcmread(f)
    a = d.pixel_array.astype(np.int32) * int(d.RescaleSlope) + int(d.RescaleIntercept)
    ipp = np.array(d.ImagePositionPatient, float)
    iop = np.array(d.ImageOrientationPatient, float)
    dy, dx = (float(v) for v in d.PixelSpacing)
    name = idx
    if kind == "unsigned":
        d.PixelRepresentation = 0
        d.RescaleIntercept = -1024
        a = np.clip(a + 1024, 0, 4095).astype(np.uint16)
        for t in ("SmallestImagePixelValue", "LargestImagePixelValue", "WindowCenter", "WindowWidth"):
            if t in d:
                del d[t]
    else:
        a = a.astype(np.int16)
        if kind == "flipped":
            ipp = ipp + (a.shape[0] - 1) * dy * iop[3:]
            iop[3:] = -iop[3:]
            a = a[::-1]
            name = n - 1 - idx
            d.InstanceNumber = name + 1
        elif kind == "mirrored":
            ipp = ipp + (a.shape[1] - 1) * dx * iop[:3]
            iop[:3] = -iop[:3]
            a = a[:, ::-1]
        d.RescaleIntercept = 0
        d.PixelRepresentation = 1
    d.ImagePositionPatient = [float(v) for v in ipp]
    d.ImageOrientationPatient = [float(v) for v in iop]
    d.PixelData = np.ascontiguousarray(a).tobytes()
    d.save_as(os.path.join(dst, "IM%04d" % name))
`

// TestSegmentConventions: the same CT stored as other scanners store it (unsigned pixels with
// intercept -1024, rows bottom up with slices head first, columns mirrored) gives the same liver,
// voxel for voxel at the same patient positions, as IRCAD's own storage.
func TestSegmentConventions(t *testing.T) {
	series := testenv.IRCAD(t, 1, "PATIENT_DICOM")
	py := testenv.Python(t, "pydicom, numpy")
	model := smallModel(t)
	lib := ortLibrary(t)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.nii.gz")
	mustRun(t, "segment", "--in", series, "--out", ref, "--model", model, "--ort-lib", lib, "--device", "cpu")
	for _, kind := range []string{"unsigned", "flipped", "mirrored"} {
		t.Run(kind, func(t *testing.T) {
			vdir := filepath.Join(dir, kind)
			os.MkdirAll(vdir, 0o755)
			if out, err := exec.Command(py, "-c", variantScript, series, vdir, kind).CombinedOutput(); err != nil {
				t.Fatalf("writing the %s series: %v\n%s", kind, err, out)
			}
			pred := filepath.Join(dir, kind+".nii.gz")
			mustRun(t, "segment", "--in", vdir, "--out", pred, "--model", model, "--ort-lib", lib, "--device", "cpu")
			// eval reads the variant's mask on the original grid through its affine.
			if e := evalPair(t, series, ref, pred); !perfect(e) || e.TruthML == 0 {
				t.Errorf("%s: %+v, want the very same mask", kind, e)
			}
		})
	}
}

// TestDefaultModelCase17: the built-in model segments IRCAD case 17 (the validation case, never
// trained on) with `liverseg segment`, and `liverseg eval` of the written file gives the Dice of
// the model's training report (assets/report/metrics.json) within 0.005, and surface distances
// that SciPy's exact distance transform gives as well: HD95 within 0.1 mm, ASSD within 0.02 mm,
// NSD at 2 mm within 0.001.
func TestDefaultModelCase17(t *testing.T) {
	if _, ok := assets.DefaultModel(); !ok {
		t.Skip("no built-in model (assets/model.onnx)")
	}
	report, err := assets.File("report/metrics.json")
	if err != nil {
		t.Skip("no assets/report/metrics.json")
	}
	var r struct {
		Volumes []struct {
			Name  string  `json:"name"`
			Split string  `json:"split"`
			Dice  float64 `json:"dice"`
		} `json:"volumes"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatalf("metrics.json: %v", err)
	}
	want := -1.0
	for _, v := range r.Volumes {
		if v.Name == "ircad-17" {
			want = v.Dice
		}
	}
	if want < 0 {
		t.Skip("the report has no whole-volume figure of ircad-17")
	}
	series := testenv.IRCAD(t, 17, "PATIENT_DICOM")
	truth := testenv.IRCAD(t, 17, "MASKS_DICOM/liver")
	out := filepath.Join(t.TempDir(), "liver17.nii.gz")
	mustRun(t, "segment", "--in", series, "--out", out, "--ort-lib", ortLibrary(t))
	e := evalPair(t, series, truth, out)
	t.Logf("case 17: Dice %.4f, the report %.4f", e.Dice, want)
	if math.Abs(e.Dice-want) > 0.005 {
		t.Errorf("case 17: Dice %.4f, the training report says %.4f", e.Dice, want)
	}

	// SciPy's figures of the same two masks, read as eval reads them: on the series' voxel grid
	// (stored order, columns fastest), with its spacing.
	if e.HD95 == nil || e.ASSD == nil || e.NSD == nil {
		t.Fatalf("case 17: eval --json has no surface distances: %+v", e)
	}
	v, err := scan.LoadVolume(t.Context(), series, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := labels.Load(truth, v, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pm, err := labels.Load(out, v, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref := surfaceref.SciPy(t, tm.Dense(), pm.Dense(), v.Dims, v.Spacing)
	t.Logf("case 17: HD95 %.4f mm, ASSD %.4f mm, NSD %.5f; SciPy %.4f, %.4f, %.5f", *e.HD95, *e.ASSD, *e.NSD, ref.HD95, ref.ASSD, ref.NSD)
	if math.Abs(*e.HD95-ref.HD95) > 0.1 || math.Abs(*e.ASSD-ref.ASSD) > 0.02 || math.Abs(*e.NSD-ref.NSD) > 0.001 {
		t.Errorf("case 17: HD95 %.4f mm, ASSD %.4f mm, NSD %.5f; SciPy %.4f, %.4f, %.5f", *e.HD95, *e.ASSD, *e.NSD, ref.HD95, ref.ASSD, ref.NSD)
	}
}
