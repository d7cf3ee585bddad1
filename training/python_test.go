package training

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/pyinterp"
	"liverseg/internal/testenv"
)

func fakePython(t *testing.T, dir, name, script string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindPythonFake(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	good := fakePython(t, dir, "good", `echo 'noise from sitecustomize'
echo '{"version": "3.12.1", "executable": "/x/python3", "numpy": "2.0.0", "torch": "2.4.0", "cuda": true, "device": "NVIDIA H100"}'`)
	info, err := FindPython(ctx, good, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := PythonInfo{Path: good, Source: "--python", Version: "3.12.1", Executable: "/x/python3", NumpyVersion: "2.0.0", TorchVersion: "2.4.0", TorchCUDA: true, CUDADevice: "NVIDIA H100"}
	if info != want {
		t.Errorf("got %+v\nwant %+v", info, want)
	}

	notorch := fakePython(t, dir, "notorch", `echo '{"version": "3.13.0", "executable": "/y", "error": "cannot import torch: ModuleNotFoundError: No module named '"'torch'"'"}'`)
	_, err = FindPython(ctx, "", func(k string) string { return map[string]string{pyinterp.Env: notorch}[k] })
	if !errors.Is(err, ErrNoTorch) || !strings.Contains(err.Error(), notorch+" (Python 3.13.0): cannot import torch") {
		t.Errorf("no torch: %v", err)
	}

	crash := fakePython(t, dir, "crash", `echo 'Fatal Python error: init_fs_encoding' >&2; exit 1`)
	_, err = ProbePython(ctx, crash)
	if err == nil || !strings.HasPrefix(err.Error(), crash+": Fatal Python error") {
		t.Errorf("crash: %v", err)
	}

	missing := filepath.Join(dir, "missing")
	_, err = ProbePython(ctx, missing)
	if err == nil || !strings.HasPrefix(err.Error(), missing+": ") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// Where /usr/bin/python3 imports torch (scripts/setup.sh installs python3-torch), FindPython
// must pick it, though python3 on PATH may come first and lack torch.
func TestFindPythonSystem(t *testing.T) {
	testenv.Python(t, "torch") // testenv.SystemPython is pyinterp.System: the interpreter FindPython tries first
	info, err := FindPython(context.Background(), "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != pyinterp.System || info.Source != "system" || info.TorchVersion == "" || info.Version == "" {
		t.Errorf("got %+v", info)
	}
	t.Logf("%+v", info)
}
