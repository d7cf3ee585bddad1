package jobs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCloseCancelsAndWaits: Close cancels a running job's context and returns once the job has
// returned, not before; afterwards no job starts.
func TestCloseCancelsAndWaits(t *testing.T) {
	r := New(t.Context())
	started, returned := make(chan struct{}), make(chan struct{})
	if _, err := r.Go(func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // the job's own cleanup, which Close must wait for
		close(returned)
	}); err != nil {
		t.Fatal(err)
	}
	<-started
	if !r.Close(10 * time.Second) {
		t.Fatal("Close: a job that heeds its context did not end")
	}
	select {
	case <-returned:
	default:
		t.Fatal("Close returned before the job did")
	}
	ran := make(chan struct{}, 1)
	cancel, err := r.Go(func(context.Context) { ran <- struct{}{} })
	if !errors.Is(err, ErrClosed) || cancel == nil {
		t.Fatalf("Go after Close: %v (cancel nil %v), want ErrClosed and a cancel", err, cancel == nil)
	}
	cancel()
	time.Sleep(20 * time.Millisecond)
	if len(ran) != 0 {
		t.Error("a job ran after Close")
	}
}

// TestCloseGrace: a job that ignores its context holds Close for the grace, no longer.
func TestCloseGrace(t *testing.T) {
	r := New(t.Context())
	release := make(chan struct{})
	defer close(release)
	r.Go(func(context.Context) { <-release })
	start := time.Now()
	if r.Close(100 * time.Millisecond) {
		t.Fatal("Close says every job ended while one is still running")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v with a grace of 100 ms", d)
	}
}

// TestParentAndOwnCancel: cancelling the parent (Ctrl+C) ends every job's context; a job's own
// cancel ends its context only.
func TestParentAndOwnCancel(t *testing.T) {
	parent, stop := context.WithCancel(t.Context())
	r := New(parent)
	defer r.Close(time.Second)
	first, second := make(chan error, 1), make(chan error, 1)
	cancelFirst, _ := r.Go(func(ctx context.Context) { <-ctx.Done(); first <- ctx.Err() })
	r.Go(func(ctx context.Context) {
		select {
		case <-ctx.Done():
			second <- ctx.Err()
		case <-time.After(200 * time.Millisecond):
			second <- nil
		}
	})
	cancelFirst()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the job cancelled: %v", err)
	}
	if err := <-second; err != nil {
		t.Errorf("cancelling one job ended another's context: %v", err)
	}

	ended := make(chan error, 1)
	r.Go(func(ctx context.Context) { <-ctx.Done(); ended <- ctx.Err() })
	stop()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("after the parent's cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the parent did not end the job's context")
	}
	if r.Context().Err() == nil {
		t.Error("the runner's context outlives its parent")
	}
}
