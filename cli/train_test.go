package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/inference"
	"liverseg/internal/testenv"
	"liverseg/training"
)

// tinyTrainConfig: a few MSD slices and the two unet_liver pairs at 64x64, a U-Net of base 4,
// one epoch: a job that finishes in seconds on two cores.
func tinyTrainConfig(t *testing.T) string {
	testenv.Data(t, "slices")
	cfg := `{
  "name": "tiny",
  "contract": {"channels": 3, "window": [-200, 300], "input_size": [64, 64]},
  "slice_sets": [
    {"name": "msd", "dir": "$LIVERSEG_DATA/slices/msd_liver_jpg", "layout": "images-masks", "hu": [0, 255],
     "patient": "^[a-z]+_(\\d+)_", "rotate": {"flipped_": 1, "mirrored_": -1}, "mask_threshold": 128, "limit": 6},
    {"name": "unet_liver", "dir": "$LIVERSEG_DATA/slices/unet_liver", "layout": "pairs", "hu": [-160, 240], "split": "train"}
  ],
  "val_fraction": 0.34,
  "train": {"base": 4, "depth": 2, "epochs": 1, "batch": 2, "reference_slices": 2}
}`
	p := filepath.Join(t.TempDir(), "tiny.json")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func needTorch(t *testing.T) string {
	info, err := training.FindPython(t.Context(), "", nil)
	if err != nil {
		testenv.Missing(t, "no Python with torch: %v", err)
	}
	return info.Path
}

// TestTrainTinyAndSegment: liverseg train on a small config finishes, registers its model, and
// liverseg segment --model accepts that model; liverseg models lists, shows and activates it.
func TestTrainTinyAndSegment(t *testing.T) {
	needTorch(t)
	lib := ortLibrary(t)
	series := testenv.IRCAD(t, 1, "PATIENT_DICOM")
	cfg := tinyTrainConfig(t)
	ws := t.TempDir()
	out := mustRun(t, "train", "--config", cfg, "--workspace", ws, "--ort-lib", lib, "--version", "tiny-1", "--json")
	var r struct {
		Dir     string  `json:"dir"`
		Version string  `json:"version"`
		ValDice float64 `json:"val_dice"`
		Diff    float64 `json:"ort_max_diff"`
		Model   struct {
			Path string `json:"path"`
		} `json:"model"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Version != "tiny-1" || r.Diff > 1e-3 || r.Model.Path == "" {
		t.Fatalf("train: %s", out)
	}
	seg := filepath.Join(t.TempDir(), "seg.nii.gz")
	mustRun(t, "segment", "--in", series, "--out", seg, "--model", r.Model.Path, "--ort-lib", lib, "--device", "cpu")
	if _, err := os.Stat(seg); err != nil {
		t.Fatal(err)
	}
	list := mustRun(t, "models", "--workspace", ws)
	if !strings.Contains(list, "tiny-1") {
		t.Fatalf("models list:\n%s", list)
	}
	mustRun(t, "models", "activate", "tiny-1", "--workspace", ws)
	show := mustRun(t, "models", "active", "--workspace", ws, "--json")
	if !strings.Contains(show, `"active": true`) || !strings.Contains(show, `"tiny-1"`) {
		t.Fatalf("models active:\n%s", show)
	}
	if code, _, _ := run(t, "models", "show", "nope", "--workspace", ws); code != ExitFailure {
		t.Fatalf("show of an unknown version: exit %d", code)
	}
	// fine-tuning it: the parent's weights and lineage
	mustRun(t, "train", "--config", cfg, "--from", "tiny-1", "--workspace", ws, "--ort-lib", lib, "--version", "tiny-2", "--volumes=false")
	show = mustRun(t, "models", "show", "tiny-2", "--workspace", ws, "--json")
	if !strings.Contains(show, `"parent": "tiny-1"`) {
		t.Fatalf("fine-tuned model:\n%s", show)
	}
	meta, err := inference.ReadMetadata(t.Context(), filepath.Join(ws, "models", "tiny-2", "model.onnx"))
	if err != nil || meta[inference.KeyParent] != "tiny-1" {
		t.Fatalf("metadata of the fine-tuned model: %v %v", meta, err)
	}
}

// TestTrainExportImport: --export-only writes a folder the worker trains alone (as on the GPU
// machine); --import checks, reports, registers it and writes the assets.
func TestTrainExportImport(t *testing.T) {
	py := needTorch(t)
	lib := ortLibrary(t)
	cfg := tinyTrainConfig(t)
	job := filepath.Join(t.TempDir(), "job")
	mustRun(t, "train", "--export-only", "--config", cfg, "--out", job)
	for _, f := range []string{"job.json", "worker.py", "dataset/manifest.json"} {
		if _, err := os.Stat(filepath.Join(job, f)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, filepath.Join(job, "worker.py"), "--job", filepath.Join(job, "job.json"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("worker: %v\n%s", err, b)
	}
	assets := t.TempDir()
	ws := t.TempDir()
	out := mustRun(t, "train", "--import", job, "--assets", assets, "--version", "imported-1", "--workspace", ws, "--ort-lib", lib)
	if !strings.Contains(out, "imported-1") {
		t.Fatalf("import:\n%s", out)
	}
	for _, f := range []string{"model.onnx", "MODEL_CARD.md", "report/index.html", "report/metrics.json", "report/loss.png"} {
		if _, err := os.Stat(filepath.Join(assets, f)); err != nil {
			t.Error(err)
		}
	}
	meta, err := inference.ReadMetadata(t.Context(), filepath.Join(assets, "model.onnx"))
	if err != nil || meta[inference.KeyVersion] != "imported-1" || meta[inference.KeyInputSize] != "64,64" {
		t.Fatalf("metadata %v %v", meta, err)
	}
	// importing again under the same version is refused, and changes nothing
	if code, _, errOut := run(t, "train", "--import", job, "--version", "imported-1", "--workspace", ws, "--ort-lib", lib); code != ExitFailure || !strings.Contains(errOut, "exists") {
		t.Fatalf("second import: exit %d, %s", code, errOut)
	}
}

func TestTrainUsage(t *testing.T) {
	for _, args := range [][]string{
		{"train"},
		{"train", "--import", "x", "--config", "y"},
		{"train", "--export-only", "--config", "y"},
		{"train", "--assets", "a", "--config", "y"},
		{"models", "frobnicate"},
	} {
		if code, _, _ := run(t, args...); code != ExitUsage {
			t.Errorf("liverseg %s: exit %d, want %d", strings.Join(args, " "), code, ExitUsage)
		}
	}
}

// TestTrainSearch: --search runs random trials of the study's grid on one dataset, ranks them,
// writes the summary and registers the best.
func TestTrainSearch(t *testing.T) {
	needTorch(t)
	lib := ortLibrary(t)
	cfg := tinyTrainConfig(t)
	ws := t.TempDir()
	dir := filepath.Join(t.TempDir(), "search")
	out := mustRun(t, "train", "--config", cfg, "--search", "2", "--max-seconds", "1", "--workspace", ws, "--out", dir, "--ort-lib", lib, "--json")
	var r struct {
		Trials []struct {
			Rank   int    `json:"rank"`
			Status string `json:"status"`
		} `json:"trials"`
		Best struct {
			Version string `json:"version"`
		} `json:"best"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(r.Trials) != 2 || r.Trials[0].Rank != 1 || r.Trials[1].Rank != 2 || r.Best.Version == "" {
		t.Fatalf("search: %s", out)
	}
	for _, f := range []string{"summary.html", "summary.json", "trial-01/report/index.html", "trial-02/report/index.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
