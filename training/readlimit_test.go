package training

import (
	"context"
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

// hostileFile puts at path a file of the kind named: a 3 GiB sparse file, a FIFO nobody writes,
// or /dev/zero (linked). want is what the error must be.
func hostileFile(t *testing.T, kind, path string) (want error) {
	t.Helper()
	switch kind {
	case "sparse 3 GiB":
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(3 << 30); err != nil {
			t.Fatal(err)
		}
		return scan.ErrTooLarge
	case "FIFO":
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Fatal(err)
		}
		return scan.ErrNotRegular
	case "/dev/zero":
		if err := os.Symlink("/dev/zero", path); err != nil {
			t.Fatal(err)
		}
		return scan.ErrNotRegular
	}
	t.Fatalf("kind %q", kind)
	return nil
}

// atOnce runs read and fails the test unless it returns within 5 s (a FIFO would block it
// forever, /dev/zero fill memory until killed).
func atOnce(t *testing.T, read func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- read() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("still reading after 5 s")
		return nil
	}
}

// Issue 20 items 2 and 8: every file training reads whole (train --config, job.json, the
// dataset's manifest, the event log, a worker's arrays) is refused at once, naming it, when it is a
// huge file, a FIFO or a device, before anything is read.
func TestTrainingFilesRefusedAtOnce(t *testing.T) {
	ctx := context.Background()
	readers := []struct {
		name string
		file string // where the hostile file goes in the folder
		read func(dir string) error
	}{
		{"train --config", "config.json", func(dir string) error {
			_, err := LoadConfig(ctx, filepath.Join(dir, "config.json"))
			return err
		}},
		{"job.json", "job.json", func(dir string) error { _, err := ReadJob(ctx, dir); return err }},
		{"manifest.json", "manifest.json", func(dir string) error { _, err := ReadManifest(ctx, dir); return err }},
		{"events.jsonl", "events.jsonl", func(dir string) error {
			_, err := ReadEvents(ctx, filepath.Join(dir, "events.jsonl"))
			return err
		}},
		{"images.npy", "images.npy", func(dir string) error { _, err := readNPY(filepath.Join(dir, "images.npy")); return err }},
	}
	for _, r := range readers {
		for _, kind := range []string{"sparse 3 GiB", "FIFO", "/dev/zero"} {
			t.Run(r.name+"/"+kind, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, r.file)
				want := hostileFile(t, kind, path)
				err := atOnce(t, func() error { return r.read(dir) })
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Fatalf("%v, want an error naming %s", err, path)
				}
				// A sparse array of zeros is no .npy (its cap is larger than 3 GiB): any error
				// at once will do; for the rest, the reason.
				if !(r.file == "images.npy" && kind == "sparse 3 GiB") && !errors.Is(err, want) {
					t.Errorf("%v, want %v", err, want)
				}
			})
		}
	}
}

// A .npy whose header claims more (or less) than the file holds is refused before allocating.
func TestReadNPYShapeMustMatchFile(t *testing.T) {
	npy := func(shape string, data int) []byte {
		h := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }"
		for (10+len(h)+1)%64 != 0 {
			h += " "
		}
		h += "\n"
		b := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
		binary.LittleEndian.PutUint16(b[8:], uint16(len(h)))
		b = append(b, h...)
		return append(b, make([]byte, data)...)
	}
	for _, tc := range []struct {
		name  string
		shape string
		data  int
		ok    bool
	}{
		{"matching", "2, 3", 24, true},
		{"huge shape", "1000000000, 1000000000", 24, false},
		{"negative shape", "-2, 3", 24, false},
		{"short data", "2, 3", 20, false},
		{"data beyond", "2, 3", 28, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.npy")
			if err := os.WriteFile(path, npy(tc.shape, tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			a, err := readNPY(path)
			if tc.ok {
				if err != nil || len(a.F32) != 6 {
					t.Fatalf("%v %+v", err, a)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("%v, want an error naming %s", err, path)
			}
		})
	}
}
