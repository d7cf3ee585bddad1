// Package testfiles makes the altered copies of real test files that the hostile-input tests of
// several packages read: a series folder with slices left out or patched, and FIFOs. For tests
// only; nothing outside a _test.go file imports it.
package testfiles

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// SeriesCopy makes a temporary copy of the series folder src: each file hard-linked (copied where
// links fail), except the files named in drop, left out, and those in patch, written anew as
// patch[name] makes them from the original bytes (never through a link, so the data stays intact).
func SeriesCopy(t testing.TB, src string, drop []string, patch map[string]func([]byte) []byte) string {
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
		case e.IsDir(), slices.Contains(drop, name):
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
				CopyFile(t, from, to)
			}
		}
	}
	return dst
}

// CopyFile copies the file from to the new file to.
func CopyFile(t testing.TB, from, to string) {
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

// ReplaceOnce is a SeriesCopy patch that swaps old for new (the same length, so no element length
// changes) where old occurs exactly once.
func ReplaceOnce(t testing.TB, old, new string) func([]byte) []byte {
	return func(b []byte) []byte {
		if len(old) != len(new) || bytes.Count(b, []byte(old)) != 1 {
			t.Fatalf("patch %q -> %q: needs one occurrence and the same length", old, new)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
}

// MkFIFO makes a named pipe at path, with nothing ever writing to it: opening it for reading
// blocks. It returns path.
func MkFIFO(t testing.TB, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
