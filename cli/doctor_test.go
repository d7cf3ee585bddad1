package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDoctorJSON(t *testing.T) {
	ws := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := Doctor(context.Background(), []string{"--json", "--workspace", ws}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, stdout.String())
	}
	want := map[string][]string{
		"onnxruntime": {"ok", "path", "source", "version", "providers", "cuda_usable", "cuda_reasons"},
		"python":      {"ok", "path", "source", "version", "torch_version", "numpy_version", "torch_cuda", "cuda_device"},
		"display":     {"ok", "display", "wayland_display", "xvfb_run", "note"},
		"workspace":   {"ok", "path", "source", "exists", "writable"},
		"test_data":   {"ok", "path", "exists"},
	}
	for part, keys := range want {
		m, ok := got[part]
		if !ok {
			t.Errorf("no %q in %s", part, stdout.String())
			continue
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s has no %q", part, k)
			}
		}
		if m["ok"] != true && m["error"] == nil && part != "display" {
			t.Errorf("%s is not ok and says no error: %v", part, m)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parts %v, want those of %v", got, want)
	}

	w := got["workspace"]
	if w["path"] != ws || w["source"] != "--workspace" || w["exists"] != true || w["writable"] != true || w["ok"] != true {
		t.Errorf("workspace %v", w)
	}
	if lib := os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH"); lib != "" {
		o := got["onnxruntime"]
		if o["ok"] != true || o["path"] != lib || o["source"] != "ONNXRUNTIME_SHARED_LIBRARY_PATH" || o["version"] == "" {
			t.Errorf("onnxruntime %v, want %s loaded", o, lib)
		}
		if ps, _ := o["providers"].([]any); len(ps) == 0 {
			t.Errorf("no providers: %v", o)
		}
	} else {
		t.Log("ONNXRUNTIME_SHARED_LIBRARY_PATH unset: not checking that ONNX Runtime loads")
	}
	if d := os.Getenv("LIVERSEG_DATA"); d != "" && got["test_data"]["path"] != d {
		t.Errorf("test_data %v, want %s", got["test_data"], d)
	}
}

func TestDoctorText(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "not", "yet")
	var stdout, stderr bytes.Buffer
	code := Doctor(context.Background(), []string{"--workspace", ws, "--ort-lib", "/nowhere/libonnxruntime.so", "--python", "/nowhere/python3"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d with parts missing, want 0; stderr %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"onnxruntime   missing  /nowhere/libonnxruntime.so: no such file or directory",
		"python        missing  ",
		"/nowhere/python3: ",
		"workspace     ok       " + ws + " (--workspace) does not exist yet",
		"display ",
		"test data ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(ws); err == nil {
		t.Errorf("doctor created %s", ws)
	}
}

func TestDoctorUsage(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		if code := Doctor(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: nothing on stderr", args)
		}
	}
}
