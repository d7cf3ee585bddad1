package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"liverseg/internal/testenv"
)

// TestRunScriptStartsQuietly starts the GUI as `make run` does on a plain machine (no display, no
// XDG_RUNTIME_DIR, no session bus, no LIVERSEG_DATA) with the sample, and checks that start-up
// prints no D-Bus, XDG_RUNTIME_DIR or Fyne error, that the window comes up (the ready file), and
// that SIGTERM closes it cleanly, keeps its preferences and leaves no runtime folder or bus behind.
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
	// A configuration folder of its own: the user's preferences are neither read nor changed.
	config := filepath.Join(tmp, "config")
	cmd.Env = append(env, "LIVERSEG_BIN="+bin, "TMPDIR="+tmp, "XDG_CONFIG_HOME="+config)
	var stderr lockedBuffer
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
	startup := stderr.String()
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
	bad := []string{"XDG_RUNTIME_DIR", "dbus", "D-Bus", "Fyne error", "X connection", "XIO"}
	for _, b := range bad {
		if strings.Contains(startup, b) {
			t.Errorf("start-up printed %q:\n%s", b, startup)
		}
	}
	shutdown := fyneShutdownRace.ReplaceAllString(strings.TrimPrefix(out, startup), "")
	for _, b := range bad {
		if strings.Contains(shutdown, b) {
			t.Errorf("the close printed %q:\n%s", b, shutdown)
		}
	}
	// The preferences the session wrote (the sample among the recent paths) are whole on disk.
	prefs, err := os.ReadFile(filepath.Join(config, "fyne", "org.liverseg.app", "preferences.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Recent []string `json:"recent"`
	}
	if err := json.Unmarshal(prefs, &p); err != nil || !slices.Contains(p.Recent, sample) {
		t.Errorf("preferences after the close: %v, %q; want the sample among the recent paths", err, prefs)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "liverseg-r*"))
	if len(left) > 0 {
		t.Errorf("scripts/run.sh left %v behind", left)
	}
}

// fyneShutdownRace is the one message Fyne 2.8 may log while the application stops, from a race of
// its own: its preferences-file watcher, whose callbacks run on the watcher's goroutine once the
// event queue is drained, can read preferences.json between the truncation and the writing of
// the save that Fyne makes on exit (app.go's stop hook, forceImmediateSave), before that save has
// marked itself as under way. The read finds nothing and is dropped; the save completes (checked
// above). About one close in ten here, before and after liverseg's own changes.
var fyneShutdownRace = regexp.MustCompile(`(?m)^.*Fyne error:  Preferences load error:\n.*  Cause: EOF\n.*  At: .*/app/preferences.go:\d+\n`)

// lockedBuffer is a bytes.Buffer that the command's writer and the test read at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
