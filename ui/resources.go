package ui

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/ui/jobs"
	"liverseg/workspace"
)

// resources are what a session opens on first use and keeps: the workspace and the model's
// ONNX Runtime session (opening one takes most of a second). Background jobs use them, so a
// mutex guards them.
type resources struct {
	mu        sync.Mutex
	closed    bool // the window has closed: nothing opens again
	ws        *workspace.Workspace
	wsErr     error
	model     *inference.Model
	modelPath string
}

// workspace opens the session's workspace once (Options.Workspace, else the default folder).
func (s *session) workspace() (*workspace.Workspace, error) {
	s.res.mu.Lock()
	defer s.res.mu.Unlock()
	if s.res.closed {
		return nil, jobs.ErrClosed
	}
	if s.res.ws == nil && s.res.wsErr == nil {
		s.res.ws, s.res.wsErr = workspace.Open(context.WithoutCancel(s.ctx), s.opts.Workspace)
	}
	return s.res.ws, s.res.wsErr
}

// model is the model to run and its version: the workspace's active model, else the built-in
// one. The session is reused while the model file stays the same.
func (s *session) model(ctx context.Context) (*inference.Model, string, error) {
	path, version := "", ""
	if ws, err := s.workspace(); err == nil {
		if m, err := ws.Active(ctx); err == nil && m != nil {
			path, version = m.Path, m.Version
		}
	}
	if path == "" {
		dir, err := inference.CacheDir()
		if err != nil {
			return nil, "", fmt.Errorf("built-in model: no cache folder: %w", err)
		}
		if path, err = assets.DefaultModelFile(dir); err != nil {
			return nil, "", err
		}
		version = "built-in"
	}
	s.res.mu.Lock()
	defer s.res.mu.Unlock()
	if s.res.closed {
		return nil, "", jobs.ErrClosed
	}
	if s.res.model != nil && s.res.modelPath == path {
		return s.res.model, modelVersion(s.res.model, version), nil
	}
	if s.res.model != nil {
		s.res.model.Close()
		s.res.model = nil
	}
	m, err := inference.OpenModel(ctx, path, inference.Options{Device: s.opts.Device, CPUBatchSize: guiCPUBatch})
	if err != nil {
		return nil, "", err
	}
	s.res.model, s.res.modelPath = m, path
	// Opening read the model file (and the built-in model out of the program): give that back
	// before the run's own memory lands on top of it.
	debug.FreeOSMemory()
	return m, modelVersion(m, version), nil
}

// guiCPUBatch is the batch of a model run on the CPU in the GUI: smaller than the command
// line's, to keep the review of a volume within its memory budget (see the note of issue 13).
const guiCPUBatch = 2

// modelVersion prefers the version the model's metadata gives.
func modelVersion(m *inference.Model, fallback string) string {
	if v := m.Contract().Version; v != "" {
		return v
	}
	return fallback
}

// jobsGrace is how long closing the window waits for the running jobs (a save, a model run that
// was cancelled) before it closes the workspace under them.
const jobsGrace = 10 * time.Second

// closeResources closes the model and the workspace when the window has closed: it marks them
// closed (a job asking for them now gets jobs.ErrClosed, and the workspace is not opened again),
// cancels the background jobs and waits for them to end (for jobsGrace at most), so that the
// workspace is not closed under a save.
func (s *session) closeResources() {
	s.res.mu.Lock()
	s.res.closed = true
	s.res.mu.Unlock()
	s.jobs.Close(jobsGrace)
	s.res.mu.Lock()
	defer s.res.mu.Unlock()
	if s.res.model != nil {
		s.res.model.Close()
		s.res.model = nil
	}
	if s.res.ws != nil {
		s.res.ws.Close()
		s.res.ws = nil
	}
}

// recentKey is the preference that lists the paths opened last, newest first.
const recentKey = "recent"

// maxRecent is how many recent paths the welcome window lists.
const maxRecent = 8

func (s *session) recent() []string { return s.app.Preferences().StringList(recentKey) }

// remember puts path first in the recent list.
func (s *session) remember(path string) {
	list := []string{path}
	for _, p := range s.recent() {
		if p != path && len(list) < maxRecent {
			list = append(list, p)
		}
	}
	s.app.Preferences().SetStringList(recentKey, list)
}

// appIcon is the icon the window and the desktop package show.
func appIcon() fyne.Resource {
	b, err := assets.File("icon.png")
	if err != nil {
		return nil
	}
	return fyne.NewStaticResource("icon.png", b)
}
