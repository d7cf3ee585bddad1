package scan

import (
	"os"
	"os/exec"
	"testing"
)

// peerPython is Debian's python3, which has the peers the tests compare with (pydicom, nibabel,
// numpy, PIL, gdcm); the python3 on PATH may be another interpreter without them.
const peerPython = "/usr/bin/python3"

// needPython returns peerPython when it can import modules. Without them a test skips, except in
// CI, where the setup installs them and their absence is a failure.
func needPython(t testing.TB, modules string) string {
	t.Helper()
	if out, err := exec.Command(peerPython, "-c", "import "+modules).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s cannot import %s (the setup installs them): %v\n%s", peerPython, modules, err, out)
		}
		t.Skipf("%s cannot import %s: %v", peerPython, modules, err)
	}
	return peerPython
}
