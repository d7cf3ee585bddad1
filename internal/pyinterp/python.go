// Package pyinterp says which Python interpreters liverseg tries, in which order: the training
// worker looks among them for one that imports torch (training.FindPython), the ONNX Runtime
// search for one whose onnxruntime package carries the library (inference.FindLibrary). One
// order for both, so that --python and LIVERSEG_PYTHON mean the same interpreter everywhere.
package pyinterp

import (
	"os"
	"os/exec"
)

// Env names the Python interpreter to use, when --python does not.
const Env = "LIVERSEG_PYTHON"

// System is Debian's interpreter, where python3-torch installs torch. It comes before python3
// on PATH, which may be a pyenv or venv interpreter without torch.
const System = "/usr/bin/python3"

// Candidate is an interpreter to try, and where it came from.
type Candidate struct {
	Path   string
	Source string // "--python", "LIVERSEG_PYTHON", "system", "PATH"
}

// Candidates lists the interpreters to try, in order: explicit (the --python flag) alone when
// given, else LIVERSEG_PYTHON alone when set, else /usr/bin/python3 and python3 on PATH.
// getenv nil means os.Getenv.
func Candidates(explicit string, getenv func(string) string) []Candidate {
	if getenv == nil {
		getenv = os.Getenv
	}
	if explicit != "" {
		return []Candidate{{explicit, "--python"}}
	}
	if p := getenv(Env); p != "" {
		return []Candidate{{p, Env}}
	}
	var out []Candidate
	if _, err := os.Stat(System); err == nil {
		out = append(out, Candidate{System, "system"})
	}
	if p, err := exec.LookPath("python3"); err == nil && p != System {
		out = append(out, Candidate{p, "PATH"})
	}
	return out
}
