package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"liverseg/internal/testenv"
	"os"
	"os/exec"
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
	// doctor reports on whatever environment it runs in: these parts are compared where they are
	// set, and the rest of the test runs without them (it is no test of the data or the library).
	if lib := os.Getenv(testenv.EnvORTLibrary); lib != "" {
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
	if d := os.Getenv(testenv.EnvData); d != "" && got["test_data"]["path"] != d {
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

// TestDoctorDamagedLibrary (issue 20, item 1): doctor given the first 1 MB of the ONNX Runtime
// library reports a damaged library in its ORT line and exits 0, leaving no probe file in the
// workspace. It runs in a child process (this test binary again), so that a crash is seen as one:
// before the check, dlopen's SIGBUS killed doctor with a Go stack trace and left
// .liverseg-doctor-* behind.
func TestDoctorDamagedLibrary(t *testing.T) {
	if args := os.Getenv("LIVERSEG_TEST_DOCTOR_ARGS"); args != "" {
		os.Exit(Doctor(context.Background(), strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	real, err := os.ReadFile(ortLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lib := filepath.Join(dir, "t.so")
	if err := os.WriteFile(lib, real[:1<<20], 0o644); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(dir, "ws")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"--ort-lib", lib, "--python", "/nowhere/python3", "--workspace", ws}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDoctorDamagedLibrary$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LIVERSEG_TEST_DOCTOR_ARGS="+strings.Join(args, "\n"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("doctor: %v\n%s", err, lastLines(stderr.String(), 8))
	}
	want := "onnxruntime   missing  " + lib + ": damaged library: truncated: "
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, stdout.String())
	}
	left, _ := filepath.Glob(filepath.Join(ws, ".liverseg-doctor-*"))
	if len(left) > 0 {
		t.Errorf("doctor left %v", left)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
