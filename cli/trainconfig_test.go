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

// Issue 23: an interactive model starts from an automatic one: a config of that kind without
// from (nor --from) is a usage error before any work; the kind and its click settings are checked.
func TestTrainInteractiveConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(contract string) string {
		p := filepath.Join(dir, "c.json")
		cfg := `{"contract": {"channels": 3, "input_size": [64, 64]` + contract + `},
			"slice_sets": [{"name": "s", "dir": "nowhere", "layout": "pairs", "hu": [0, 255]}]}`
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	code, _, stderr := runCLI(Train, "--config", write(`, "kind": "interactive"`), "--workspace", filepath.Join(dir, "ws"))
	if code != ExitUsage || !strings.Contains(stderr, "--from") || !strings.Contains(stderr, "automatic") {
		t.Errorf("without from: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(Train, "--config", write(`, "kind": "interactive", "click_encoding": "square"`), "--from", "built-in", "--workspace", filepath.Join(dir, "ws"))
	if code != ExitFailure || !strings.Contains(stderr, "click_encoding") {
		t.Errorf("a bad encoding: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(Train, "--config", write(`, "click_radius_mm": 4`), "--workspace", filepath.Join(dir, "ws"))
	if code != ExitFailure || !strings.Contains(stderr, "belong to an interactive model") {
		t.Errorf("a radius on an automatic model: exit %d, %q", code, stderr)
	}
}
