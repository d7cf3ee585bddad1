// Package jobs runs the GUI's background work with one lifecycle: every goroutine of the window
// runs as a job of its Runner, whose context ends when the window closes or the application's
// context is cancelled (Ctrl+C), and the close waits for the jobs before the workspace and the
// model they use are closed. It has no Fyne in it.
package jobs

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is what asks for work after the window closed get.
var ErrClosed = errors.New("the window is closed")

// Runner runs a window's background jobs. Its methods may be called from any goroutine.
type Runner struct {
	ctx    context.Context // the parent of every job's context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool           // Close has begun: no job starts any more
	wg     sync.WaitGroup // the jobs running
}

// New makes a runner whose jobs' contexts end when parent does (the context Run was given).
func New(parent context.Context) *Runner {
	ctx, cancel := context.WithCancel(parent)
	return &Runner{ctx: ctx, cancel: cancel}
}

// Context is the parent of every job's context: it ends when the runner closes or its parent
// ends. Work that the Fyne goroutine starts for a job (a load's own Cancel) derives from it.
func (r *Runner) Context() context.Context { return r.ctx }

// Go runs job on a goroutine of its own, with a context that ends when cancel is called, the
// runner closes or its parent ends; Close waits for it. After Close it runs nothing and returns
// ErrClosed, with a cancel that does nothing, so that a caller may keep it all the same.
func (r *Runner) Go(job func(ctx context.Context)) (cancel context.CancelFunc, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return func() {}, ErrClosed
	}
	ctx, cancel := context.WithCancel(r.ctx)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		job(ctx)
	}()
	return cancel, nil
}

// Close refuses new jobs, cancels the running ones' contexts and waits for them to return, for
// grace at most (a job that does not heed its context, such as a save that must finish, gets
// that long). It reports whether every job ended.
func (r *Runner) Close(grace time.Duration) bool {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	ended := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
		return true
	case <-time.After(grace):
		return false
	}
}
