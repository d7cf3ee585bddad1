package inference

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"liverseg/scan"
)

// TestModelReadersRefuseHostileFiles (issue 20, items 2 and 8): every reader of a model refuses
// /dev/zero, a 3 GB sparse file and a FIFO at once, with an error naming the file (before, the
// first grew without end, the second was read whole, the third blocked forever).
func TestModelReadersRefuseHostileFiles(t *testing.T) {
	dir := t.TempDir()
	sparse := filepath.Join(dir, "sparse.onnx")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fifo := filepath.Join(dir, "fifo.onnx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	files := []struct {
		name, path string
		want       error
	}{
		{"dev zero", "/dev/zero", scan.ErrNotRegular},
		{"3 GB sparse", sparse, scan.ErrTooLarge},
		{"fifo", fifo, scan.ErrNotRegular},
	}
	readers := []struct {
		name string
		read func(ctx context.Context, path string) error
	}{
		{"OpenModel", func(ctx context.Context, p string) error {
			m, err := OpenModel(ctx, p, Options{Device: DeviceCPU})
			if err == nil {
				m.Close()
			}
			return err
		}},
		{"ReadMetadata", func(ctx context.Context, p string) error { _, err := ReadMetadata(ctx, p); return err }},
		{"ReadInitializers", func(ctx context.Context, p string) error { _, err := ReadInitializers(ctx, p); return err }},
		{"StampMetadata", func(ctx context.Context, p string) error {
			return StampMetadata(ctx, p, map[string]string{KeyVersion: "x"})
		}},
	}
	for _, r := range readers {
		for _, file := range files {
			t.Run(r.name+"/"+file.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel() // stops a read that did start (the code before the cap)
				done := make(chan error, 1)
				start := time.Now()
				go func() { done <- r.read(ctx, file.path) }()
				var err error
				select {
				case err = <-done:
				case <-time.After(5 * time.Second):
					t.Fatalf("%s still reading after 5 s", file.path)
				}
				if took := time.Since(start); took > time.Second {
					t.Errorf("refused after %v, want at once", took)
				}
				if !errors.Is(err, file.want) || !strings.HasPrefix(err.Error(), file.path+": ") {
					t.Errorf("error %v, want %q: ...%v", err, file.path, file.want)
				}
			})
		}
	}
}

// TestReadModelCancelled: a model read stops with its context, and a missing file says so once.
func TestReadModelCancelled(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(p, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadModel(ctx, p); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("cancelled read: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none.onnx")
	if _, err := ReadModel(context.Background(), missing); err == nil || err.Error() != missing+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}
