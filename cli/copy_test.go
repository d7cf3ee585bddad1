package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The helpers of scan's tests, again for this package's: a series copied with files left out or
// patched, and FIFOs.

// seriesCopy makes a temporary copy of the series folder src: each file hard-linked (copied where
// links fail), except the files named in drop, left out, and those in patch, written anew as
// patch[name] makes them from the original bytes (never through a link, so the data stays intact).
func seriesCopy(t *testing.T, src string, drop []string, patch map[string]func([]byte) []byte) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		switch {
		case e.IsDir(), contains(drop, name):
		case patch[name] != nil:
			b, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to, patch[name](b), 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			if os.Link(from, to) != nil {
				copyFile(t, from, to)
			}
		}
	}
	return dst
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// replaceOnce swaps old for new (the same length, so no element length changes) where old occurs
// exactly once.
func replaceOnce(t *testing.T, old, new string) func([]byte) []byte {
	return func(b []byte) []byte {
		if len(old) != len(new) || bytes.Count(b, []byte(old)) != 1 {
			t.Fatalf("patch %q -> %q: needs one occurrence and the same length", old, new)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
}

// mkfifo makes a FIFO at path, with nothing ever writing to it.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// within runs f and fails the test when it takes longer than a second. A call blocked on opening
// fifo is then let go (its write end opened and closed, as often as it takes) so that f ends.
func within(t *testing.T, fifo string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(time.Second):
		t.Errorf("blocked on %s for more than a second", fifo)
	}
	for {
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		select {
		case <-done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
