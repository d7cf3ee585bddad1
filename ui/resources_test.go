package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"liverseg/inference"
	"liverseg/ui/jobs"
)

// TestCloseWaitsForJobs: closing the window waits for a running job (a save must not find the
// workspace closed under it), and afterwards nothing opens the workspace again nor starts: a late
// job once re-created workspace.db in a folder being removed.
func TestCloseWaitsForJobs(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(inference.EnvCache, t.TempDir())
	s := newSession(context.Background(), test.NewTempApp(t))
	s.opts = Options{Workspace: dir}
	t.Cleanup(s.win.Close)
	pump(s)

	release, saved := make(chan struct{}), make(chan error, 1)
	s.jobs.Go(func(context.Context) {
		<-release
		ws, err := s.workspace()
		if err == nil {
			_, err = ws.Cases(s.ctx)
		}
		saved <- err
	})
	closed := make(chan struct{})
	go func() {
		s.closeResources()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("closeResources returned while a job was running")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	// The job began before the close: it still sees the workspace, here already marked closed.
	err := <-saved
	select {
	case <-closed:
	case <-time.After(jobsGrace + 5*time.Second):
		t.Fatal("closeResources did not return after the job ended")
	}
	if !errors.Is(err, jobs.ErrClosed) {
		t.Errorf("a workspace asked for after the close: %v, want jobs.ErrClosed", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "workspace.db")); !os.IsNotExist(err) {
		t.Errorf("the workspace was opened during the close: %v", err)
	}

	ran := false
	if _, err := s.jobs.Go(func(context.Context) { ran = true }); !errors.Is(err, jobs.ErrClosed) {
		t.Errorf("a job asked for after the close: %v, want jobs.ErrClosed", err)
	}
	time.Sleep(50 * time.Millisecond)
	if ran {
		t.Error("a job started after the close")
	}
	if _, _, err := s.model(context.Background()); !errors.Is(err, jobs.ErrClosed) {
		t.Errorf("model after the close: %v, want jobs.ErrClosed", err)
	}
}
