package main

import (
	"bytes"
	"liverseg/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunScriptStartsQuietly starts the GUI as `make run` does on a plain machine (no display, no
// XDG_RUNTIME_DIR, no session bus, no LIVERSEG_DATA) with the sample, and checks that start-up
// prints no D-Bus, XDG_RUNTIME_DIR or Fyne error, that the window comes up (the ready file), and
// that SIGTERM closes it cleanly and leaves no runtime folder or bus behind.
func TestRunScriptStartsQuietly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the whole program: not in -short")
	}
	for _, tool := range []string{"xvfb-run", "dbus-daemon"} {
		testenv.Tool(t, tool)
	}
	sample := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	testenv.ORTLibrary(t) // the program finds it through the variable, which it keeps
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "liverseg")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ready := filepath.Join(tmp, "ready.json")
	cmd := exec.Command("bash", "scripts/run.sh", "--workspace", filepath.Join(tmp, "ws"), "--ready-file", ready,
		sample)
	var env []string
	for _, e := range os.Environ() {
		switch strings.SplitN(e, "=", 2)[0] {
		case "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "LIVERSEG_DATA", "TMPDIR":
			continue
		}
		env = append(env, e)
	}
	cmd.Env = append(env, "LIVERSEG_BIN="+bin, "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the app ended before its window was ready: %v\n%s", err, stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no ready file after 2 min\n%s", stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 20 s after SIGTERM\n%s", stderr.String())
	}
	out := stderr.String()
	t.Logf("stderr:\n%s", out)
	for _, bad := range []string{"XDG_RUNTIME_DIR", "dbus", "D-Bus", "Fyne error", "X connection", "XIO"} {
		if strings.Contains(out, bad) {
			t.Errorf("start-up printed %q:\n%s", bad, out)
		}
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "liverseg-r*"))
	if len(left) > 0 {
		t.Errorf("scripts/run.sh left %v behind", left)
	}
}
