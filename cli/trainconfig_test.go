package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 20 items 2 and 8: train --config of a 3 GiB sparse file, a FIFO or /dev/zero fails at
// once with "liverseg: FILE: reason", before any work (it read the file whole, or blocked, before).
func TestTrainConfigRefusedAtOnce(t *testing.T) {
	for name, mk := range map[string]func(path string) error{
		"sparse 3 GiB": func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(3 << 30)
		},
		"FIFO":      func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"/dev/zero": func(p string) error { return os.Symlink("/dev/zero", p) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := mk(path); err != nil {
				t.Fatal(err)
			}
			type result struct {
				code   int
				stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, _, stderr := runCLI(Train, "--config", path, "--workspace", t.TempDir())
				done <- result{code, stderr}
			}()
			select {
			case r := <-done:
				if r.code != ExitFailure || !strings.HasPrefix(r.stderr, "liverseg: "+path+": ") {
					t.Errorf("exit %d, stderr %q", r.code, r.stderr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("train --config still running after 5 s")
			}
		})
	}
}
