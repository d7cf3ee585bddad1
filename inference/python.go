package inference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// EnvPython names the Python interpreter for the training worker, when --python does not.
const EnvPython = "LIVERSEG_PYTHON"

// SystemPython is Debian's interpreter, where python3-torch installs torch. It comes before
// python3 on PATH, which may be a pyenv or venv interpreter without torch.
const SystemPython = "/usr/bin/python3"

// PythonCandidate is an interpreter to try, and where it came from.
type PythonCandidate struct {
	Path   string
	Source string // "--python", "LIVERSEG_PYTHON", "system", "PATH"
}

// PythonCandidates lists the interpreters to try, in order: explicit (the --python flag) alone
// when given, else LIVERSEG_PYTHON alone when set, else /usr/bin/python3 and python3 on PATH.
// getenv nil means os.Getenv.
func PythonCandidates(explicit string, getenv func(string) string) []PythonCandidate {
	if getenv == nil {
		getenv = os.Getenv
	}
	if explicit != "" {
		return []PythonCandidate{{explicit, "--python"}}
	}
	if p := getenv(EnvPython); p != "" {
		return []PythonCandidate{{p, EnvPython}}
	}
	var out []PythonCandidate
	if _, err := os.Stat(SystemPython); err == nil {
		out = append(out, PythonCandidate{SystemPython, "system"})
	}
	if p, err := exec.LookPath("python3"); err == nil && p != SystemPython {
		out = append(out, PythonCandidate{p, "PATH"})
	}
	return out
}

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

// FindPython returns the first candidate (see PythonCandidates) that imports torch. Its error
// says, for each candidate, why not.
func FindPython(ctx context.Context, explicit string, getenv func(string) string) (PythonInfo, error) {
	cands := PythonCandidates(explicit, getenv)
	if len(cands) == 0 {
		return PythonInfo{}, fmt.Errorf("%w: neither %s nor python3 on PATH exists", ErrNoTorch, SystemPython)
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
func ProbePython(ctx context.Context, python string) (PythonInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, PythonTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", pythonProbe)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() == context.DeadlineExceeded {
		return PythonInfo{}, fmt.Errorf("%s: no answer in %s", python, PythonTimeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return PythonInfo{}, fmt.Errorf("%s: %s (%w)", python, lastLine(msg, err), err)
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return PythonInfo{}, pathErr(python, err)
	}
	var r struct {
		Version, Executable, Numpy, Torch, Device, Error string
		CUDA                                             bool
	}
	if err := json.Unmarshal(bytes.TrimSpace(lastJSONLine(out)), &r); err != nil {
		return PythonInfo{}, fmt.Errorf("%s: unexpected answer %q: %w", python, out, err)
	}
	info := PythonInfo{Path: python, Version: r.Version, Executable: r.Executable, NumpyVersion: r.Numpy,
		TorchVersion: r.Torch, TorchCUDA: r.CUDA, CUDADevice: r.Device}
	if r.Error != "" {
		return info, fmt.Errorf("%s (Python %s): %s", python, r.Version, r.Error)
	}
	return info, nil
}

// lastJSONLine skips anything a sitecustomize or a noisy import printed before the answer.
func lastJSONLine(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return lines[len(lines)-1]
}
