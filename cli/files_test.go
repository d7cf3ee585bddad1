package cli

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// Small file helpers of this package's tests; the altered series copies and FIFOs are
// internal/testfiles'.

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
