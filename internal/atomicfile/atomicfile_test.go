package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// WriteBytes, the one temp-file-and-rename write of the repository: the file holds the new
// bytes with the mode asked for, nothing is left beside it, an old file is replaced whole, and a
// failure names the path and its reason, not the temporary name.
func TestWriteBytes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "job.json")
	for _, b := range []string{"old\n", "new, longer\n"} {
		if err := WriteBytes(p, 0o640, []byte(b)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != b {
			t.Fatalf("read %q, %v; want %q", got, err, b)
		}
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", st.Mode().Perm(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the folder, want only job.json", len(entries))
	}

	missing := filepath.Join(dir, "no", "such", "job.json")
	err := WriteBytes(missing, 0o644, []byte("x"))
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != missing+": no such file or directory" {
		t.Errorf("err = %v, want %q", err, missing+": no such file or directory")
	}
}
