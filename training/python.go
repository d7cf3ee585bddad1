package training

// The interpreter that runs the worker: the first of pyinterp.Candidates that imports torch.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"

	"liverseg/internal/pyinterp"
)

// PythonInfo describes an interpreter that can import torch.
type PythonInfo struct {
	Path         string `json:"path"`
	Source       string `json:"source"`
	Version      string `json:"version"`
	Executable   string `json:"executable"` // sys.executable: what a shim or link resolves to
	TorchVersion string `json:"torch_version"`
	NumpyVersion string `json:"numpy_version"` // "" when numpy is missing (the worker needs it)
	TorchCUDA    bool   `json:"torch_cuda"`    // torch.cuda.is_available()
	CUDADevice   string `json:"cuda_device"`   // torch.cuda.get_device_name(0) when CUDA is available
}

// ErrNoTorch is wrapped by FindPython's error when no candidate can import torch.
var ErrNoTorch = errors.New("no Python interpreter that can import torch")

// PythonTimeout bounds one interpreter's probe: importing torch takes seconds on a cold cache.
const PythonTimeout = 60 * time.Second

const pythonProbe = `
import json, sys
out = {"version": sys.version.split()[0], "executable": sys.executable}
try:
    import numpy
    out["numpy"] = numpy.__version__
except Exception:
    pass
try:
    import torch
    out["torch"] = torch.__version__
    out["cuda"] = bool(torch.cuda.is_available())
    if out["cuda"]:
        out["device"] = torch.cuda.get_device_name(0)
except Exception as e:
    out["error"] = "cannot import torch: %s: %s" % (type(e).__name__, e)
print(json.dumps(out))
`

// FindPython returns the first candidate (see pyinterp.Candidates) that imports torch. Its error
// says, for each candidate, why not.
func FindPython(ctx context.Context, explicit string, getenv func(string) string) (PythonInfo, error) {
	cands := pyinterp.Candidates(explicit, getenv)
	if len(cands) == 0 {
		return PythonInfo{}, fmt.Errorf("%w: neither %s nor python3 on PATH exists", ErrNoTorch, pyinterp.System)
	}
	var why []string
	for _, c := range cands {
		info, err := ProbePython(ctx, c.Path)
		if err == nil {
			info.Source = c.Source
			return info, nil
		}
		why = append(why, err.Error())
	}
	return PythonInfo{}, fmt.Errorf("%w: %s", ErrNoTorch, strings.Join(why, "; "))
}

// ProbePython runs python and reports its version, torch's and whether torch sees CUDA. The
// error names the interpreter: "PATH: reason".
func ProbePython(ctx context.Context, interp string) (PythonInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, PythonTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, interp, "-c", pythonProbe)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() == context.DeadlineExceeded {
		return PythonInfo{}, fmt.Errorf("%s: no answer in %s", interp, PythonTimeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			lines := strings.Split(msg, "\n")
			return PythonInfo{}, fmt.Errorf("%s: %s (%w)", interp, strings.TrimSpace(lines[len(lines)-1]), err)
		}
		// "PATH: no such file or directory", not exec's "fork/exec PATH: ...".
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == interp {
			err = pe.Err
		}
		return PythonInfo{}, fmt.Errorf("%s: %w", interp, err)
	}
	var r struct {
		Version, Executable, Numpy, Torch, Device, Error string
		CUDA                                             bool
	}
	if err := json.Unmarshal(bytes.TrimSpace(lastJSONLine(out)), &r); err != nil {
		return PythonInfo{}, fmt.Errorf("%s: unexpected answer %q: %w", interp, out, err)
	}
	info := PythonInfo{Path: interp, Version: r.Version, Executable: r.Executable, NumpyVersion: r.Numpy,
		TorchVersion: r.Torch, TorchCUDA: r.CUDA, CUDADevice: r.Device}
	if r.Error != "" {
		return info, fmt.Errorf("%s (Python %s): %s", interp, r.Version, r.Error)
	}
	return info, nil
}

// lastJSONLine skips anything a sitecustomize or a noisy import printed before the answer.
func lastJSONLine(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return lines[len(lines)-1]
}
