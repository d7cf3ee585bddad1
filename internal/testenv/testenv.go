// Package testenv finds what the tests that use real parts need: the unpacked test data
// ($LIVERSEG_DATA), the ONNX Runtime library ($ONNXRUNTIME_SHARED_LIBRARY_PATH), a Python that
// imports given modules, and command-line peers. Without one of them a test skips, except in CI
// (CI set), where scripts/setup.sh installs them all and their absence is a failure: a green CI
// must mean the data tests ran.
//
// It imports nothing of liverseg but internal/pyinterp (the standard library only), so that every
// other package's internal tests can use it.
package testenv

import (
	"fmt"
	"liverseg/internal/pyinterp"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvData names the unpacked test data (../shared/data/unpack.sh DEST); scripts/test.sh sets it.
const EnvData = "LIVERSEG_DATA"

// EnvORTLibrary names the ONNX Runtime shared library; scripts/test.sh sets it to the setup's.
const EnvORTLibrary = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// SystemPython is the interpreter the setup gives its packages (python3-torch, pydicom, nibabel,
// gdcm): the python3 on PATH may be another one without them.
const SystemPython = pyinterp.System

// Missing skips t for a part that is not there, or fails it in CI, where the setup provides it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI runs after scripts/setup.sh, which provides it)", msg)
	}
	t.Skip(msg)
}

// InCI reports whether the tests run in CI, where nothing may be skipped for want of a part.
func InCI() bool { return os.Getenv("CI") != "" }

// DataRoot returns $LIVERSEG_DATA, skipping (failing in CI) when it is not set.
func DataRoot(t testing.TB) string {
	t.Helper()
	return env(t, EnvData, "run ../shared/data/unpack.sh DEST and point it there")
}

// env returns the environment variable name, skipping (failing in CI) when it is not set.
func env(t testing.TB, name, hint string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, "%s is not set (%s)", name, hint)
	}
	return v
}

// Data returns the path rel under $LIVERSEG_DATA, which must exist: a missing file of the data
// set is a broken set-up, not a reason to skip.
func Data(t testing.TB, rel ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{DataRoot(t)}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test data missing: %v", err)
	}
	return p
}

// IRCAD returns a folder of 3D-IRCADb patient n (1..20), for example IRCAD(t, 7, "PATIENT_DICOM")
// or IRCAD(t, 7, "MASKS_DICOM", "liver").
func IRCAD(t testing.TB, patient int, rel ...string) string {
	t.Helper()
	return Data(t, append([]string{"ct", "ircad", fmt.Sprintf("3Dircadb1.%d", patient)}, rel...)...)
}

// ORTLibrary returns $ONNXRUNTIME_SHARED_LIBRARY_PATH, skipping (failing in CI) when it is not set.
func ORTLibrary(t testing.TB) string {
	t.Helper()
	return env(t, EnvORTLibrary, "scripts/test.sh sets it to the setup's library")
}

// Python returns SystemPython when it can import modules (comma-separated, as in an import
// statement), skipping (failing in CI) when it cannot.
func Python(t testing.TB, modules string) string {
	t.Helper()
	if out, err := exec.Command(SystemPython, "-c", "import "+modules).CombinedOutput(); err != nil {
		Missing(t, "%s cannot import %s: %v\n%s", SystemPython, modules, err, out)
	}
	return SystemPython
}

// Tool returns the path of a command-line program, skipping (failing in CI) without it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed", name)
	}
	return p
}
