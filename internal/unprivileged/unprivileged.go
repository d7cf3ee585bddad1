// Package unprivileged lets a test whose subject is a permission (a read-only folder) run where
// permission bits hold. Tests and CI run as root, for whom chmod stops no write, so such a test
// is run again as the user nobody in a child process rather than skipped: it runs everywhere.
package unprivileged

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// envChild marks the child process.
const envChild = "LIVERSEG_TEST_UNPRIVILEGED"

// nobody is the uid and gid of the user nobody on Debian and most systems.
const nobody = 65534

// Run says whether the calling test's body should run in this process: true when it is not root
// (the child, or a user's own run). As root it runs the test again as nobody (a copy of the test
// binary in a folder nobody can read, TMPDIR there), reports the child's failure as this test's,
// and returns false. Where root cannot change user (no CAP_SETUID) the test is skipped, or fails
// when CI=true.
func Run(t *testing.T) bool {
	t.Helper()
	if os.Getuid() != 0 {
		return true
	}
	if os.Getenv(envChild) != "" {
		t.Fatal("still root in the unprivileged child")
	}
	tmp, err := os.MkdirTemp("", "liverseg-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, filepath.Base(self))
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), envChild+"=1", "TMPDIR="+tmp, "HOME="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("running as nobody (uid %d): %v", nobody, err)
		}
		t.Skipf("cannot run as nobody (uid %d): %v", nobody, err)
	}
	if err != nil {
		t.Fatalf("as nobody (uid %d):\n%s", nobody, out)
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Skipf("as nobody (uid %d):\n%s", nobody, out)
	}
	t.Logf("ran as nobody (uid %d):\n%s", nobody, out)
	return false
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
