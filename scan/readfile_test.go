package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.json")
	if err := os.WriteFile(small, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFileLimit(context.Background(), small, 100, "a configuration")
	if err != nil || string(b) != `{"a":1}` {
		t.Fatalf("ReadFileLimit = %q, %v", b, err)
	}
	// Over the cap: refused from its size, before reading.
	_, err = ReadFileLimit(context.Background(), small, 3, "a configuration")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), small) || !strings.Contains(err.Error(), "a configuration is at most 3 bytes") {
		t.Errorf("over the cap: %v", err)
	}
	// A sparse file of 3 GiB is refused at once (no 3 GiB read).
	sparse := filepath.Join(dir, "sparse.onnx")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ReadFileLimit(context.Background(), sparse, MaxModelBytes, "a model")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "3.0 GiB, a model is at most 2.0 GiB") {
		t.Errorf("sparse 3 GiB: %v", err)
	}
	// A cancelled context stops the read.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadFileLimit(ctx, small, 100, "a configuration"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// A folder is not a file.
	if _, err := ReadFileLimit(context.Background(), dir, 100, "a configuration"); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("folder: %v", err)
	}
}

// A FIFO, a device: refused at once, never read (a FIFO with no writer would block forever,
// /dev/zero never ends).
func TestReadFileLimitRefusesSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, p := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFileLimit(context.Background(), p, MaxModelBytes, "a model")
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: %v", p, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: ReadFileLimit blocked", p)
		}
		if _, err := CheckPath(p); !errors.Is(err, ErrNotRegular) {
			t.Errorf("CheckPath(%s) = %v", p, err)
		}
	}
	if _, err := CheckPath(t.TempDir()); err != nil {
		t.Errorf("CheckPath(folder) = %v", err)
	}
}
