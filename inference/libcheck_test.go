package inference

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"liverseg/scan"
)

// damagedLibraries writes, into dir, the broken ONNX Runtime libraries of issue 20 (made from the
// real one at lib) and returns them by name with the sentinel their Load error wraps.
func damagedLibraries(t *testing.T, lib, dir string) map[string]struct {
	path string
	want error
	text string
} {
	t.Helper()
	real, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	patched := func(name string, at int, v uint16) string {
		b := append([]byte(nil), real[:4096]...)
		binary.LittleEndian.PutUint16(b[at:], v)
		return write(name, append(b, real[4096:]...))
	}
	fifo := filepath.Join(dir, "fifo.so")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	type c = struct {
		path string
		want error
		text string
	}
	return map[string]c{
		// The probe's repro: the first 1 MB of the library (the header and the start of the
		// first segment; the rest of the segments and the section headers past the end).
		"truncated":   {write("t.so", real[:1<<20]), ErrBadLibrary, "truncated: its"},
		"header only": {write("h.so", real[:40]), ErrBadLibrary, "less than its ELF header"},
		"text":        {write("text.so", []byte("this is not a library\n")), ErrBadLibrary, "not an ELF shared library"},
		"empty":       {write("empty.so", nil), ErrBadLibrary, "the file is empty"},
		"fifo":        {fifo, scan.ErrNotRegular, "FIFO"},
		// e_machine (offset 18) of another architecture, e_type (offset 16) of an executable.
		"other machine": {patched("sparc.so", 18, uint16(43)), ErrBadLibrary, "built for EM_SPARCV9"},
		"not shared":    {patched("exec.so", 16, 2), ErrBadLibrary, "ET_EXEC"},
	}
}

// TestLoadDamagedLibrary (issue 20, item 1): a damaged ONNX Runtime library is refused before
// dlopen with an error naming it (before, the truncated copy killed the process with SIGBUS, the
// FIFO blocked dlopen forever, the text and empty files gave dlopen's words, no sentinel).
func TestLoadDamagedLibrary(t *testing.T) {
	lib := testLibrary(t)
	for name, tc := range damagedLibraries(t, lib, t.TempDir()) {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Load(tc.path)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Load(%s) still blocked after 10 s", tc.path)
			}
			if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), tc.path+": ") || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Load: %v, want %q: ...%q... (%v)", err, tc.path, tc.text, tc.want)
			}
		})
	}
}

// TestCheckLibraryFileReal: the real library, and the symbolic link the setup makes to it, pass.
func TestCheckLibraryFileReal(t *testing.T) {
	lib := testLibrary(t)
	if err := checkLibraryFile(lib); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(lib)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "libonnxruntime.so")
	if err := os.Symlink(abs, link); err != nil {
		t.Fatal(err)
	}
	if err := checkLibraryFile(link); err != nil {
		t.Fatal(err)
	}
	// A bare name is the dynamic loader's to find.
	if err := checkLibraryFile("libonnxruntime.so"); err != nil {
		t.Fatal(err)
	}
}
