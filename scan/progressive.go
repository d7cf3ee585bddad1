package scan

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// LoadOptions say how LoadProgressive reads a series' pixels.
type LoadOptions struct {
	// First is the slice (volume order) decoded first, the one a view shows first; the others
	// follow outward from it, the nearest first. Out of range: the middle slice.
	First int
	// Progress is told how many slices are done (read or failed); nil for none. It is called
	// from the workers.
	Progress Progress
	// Arrived, when set, is told each slice that is done (read or failed), from the worker that
	// read it, once Loaded or SliceErr says so.
	Arrived func(k int)
	// Available, when set, says how much memory the process may still take (AvailableMemory): a
	// series whose review would need more (ReviewBytes) is refused with ErrMemory before the
	// volume is allocated. nil: no check.
	Available func() (int64, error)
	// Workers is how many slices are decoded at once; 0: GOMAXPROCS.
	Workers int

	failFast bool // Load: stop at the first slice that fails
}

// Slice states of a Loading.
const (
	slicePending int32 = iota
	sliceTaken         // a worker is decoding it
	sliceLoaded
	sliceFailed
)

// Loading is a load of a series' pixels in progress, slice by slice into a Volume allocated up
// front (LoadProgressive). Its methods may be called from any goroutine.
//
// Memory model: a worker stores slice k's voxels, then marks it loaded with an atomic store;
// Loaded(k) is an atomic load, so a reader that saw Loaded(k) true sees the whole slice, and no
// worker writes it again. After Done is closed every slice is written.
type Loading struct {
	state  []atomic.Int32
	errs   []error // errs[k] is written before state[k] becomes sliceFailed
	done   chan struct{}
	err    error // the outcome, written before done closes
	count  atomic.Int64
	failed atomic.Int64
	cancel context.CancelFunc

	mu     sync.Mutex // guards the order of the slices still to take
	first  int
	cursor int   // the next step outward from first
	wants  []int // slices asked for by Want, the latest last
}

// LoadProgressive starts reading the pixels of the series and returns at once: the volume, whose
// Voxels are allocated and filled while the load runs, and the load, which says which slices are
// in. A slice of the volume may be read only once Loaded says it is in (or after Done, with Err
// nil). A slice that fails to decode is marked failed (SliceErr names its file and the reason)
// and the others go on. Cancelling ctx, or Cancel, stops the load.
//
// The error is for what stops the load before it starts: a codec liverseg lacks, or a series too
// large for the memory available (ErrMemory, with both figures).
func (s *SeriesEntry) LoadProgressive(ctx context.Context, o LoadOptions) (*Volume, *Loading, error) {
	if s.Compressed {
		if err := checkCodec(s.Series.TransferSyntax); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Series.Path, err)
		}
	}
	if o.Available != nil {
		avail, err := o.Available()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Series.Path, err)
		}
		if err := CheckMemory(s.Dims, avail); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Series.Path, err)
		}
	}
	n := len(s.frames)
	v := &Volume{
		Voxels:    make([]int16, s.Dims[0]*s.Dims[1]*s.Dims[2]),
		Dims:      s.Dims,
		Spacing:   s.Spacing,
		Origin:    s.Origin,
		Direction: s.Direction,
		Series:    s.Series,
		Warnings:  append([]string(nil), s.Warnings...),
	}
	if o.First < 0 || o.First >= n {
		o.First = n / 2
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	l := &Loading{
		state:  make([]atomic.Int32, n),
		errs:   make([]error, n),
		done:   make(chan struct{}),
		cancel: cancel,
		first:  o.First,
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			cache := &frameCache{}
			for ctx.Err() == nil {
				k, ok := l.take()
				if !ok {
					return
				}
				var err error
				buf, err = s.loadSliceCached(v.Slice(k), k, buf, cache)
				d := l.finish(k, err)
				if err != nil && o.failFast {
					cancel()
				}
				if o.Progress != nil {
					o.Progress(d, n)
				}
				if o.Arrived != nil {
					o.Arrived(k)
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		l.err = l.outcome(parent, ctx)
		cancel()
		close(l.done)
	}()
	return v, l, nil
}

// take claims the next slice to decode: the latest wanted one not taken yet, else the next one
// outward from the first. ok is false when none is left.
func (l *Loading) take() (k int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.wants) > 0 {
		k = l.wants[len(l.wants)-1]
		l.wants = l.wants[:len(l.wants)-1]
		if l.state[k].CompareAndSwap(slicePending, sliceTaken) {
			return k, true
		}
	}
	n := len(l.state)
	for l.cursor < 2*n {
		// Steps 0, 1, 2, 3, 4... are first, first+1, first-1, first+2, first-2...
		c := l.cursor
		l.cursor++
		k = l.first + (c+1)/2
		if c%2 == 0 {
			k = l.first - c/2
		}
		if k >= 0 && k < n && l.state[k].CompareAndSwap(slicePending, sliceTaken) {
			return k, true
		}
	}
	return 0, false
}

// finish records the outcome of slice k and returns how many slices are done.
func (l *Loading) finish(k int, err error) int {
	if err != nil {
		l.errs[k] = err
		l.failed.Add(1)
		l.state[k].Store(sliceFailed)
	} else {
		l.state[k].Store(sliceLoaded)
	}
	return int(l.count.Add(1))
}

// outcome is the load's error once its workers have ended: the caller's cancellation first,
// then the slices that failed, then a Cancel.
func (l *Loading) outcome(parent, ctx context.Context) error {
	if err := parent.Err(); err != nil {
		return err
	}
	var se *SlicesError
	for k := range l.state {
		if l.state[k].Load() == sliceFailed {
			if se == nil {
				se = &SlicesError{Total: len(l.state)}
			}
			se.Slices = append(se.Slices, k)
			se.Errs = append(se.Errs, l.errs[k])
		}
	}
	if se != nil {
		return se
	}
	return ctx.Err()
}

// Slices is the number of slices of the load.
func (l *Loading) Slices() int { return len(l.state) }

// Loaded says whether slice k (volume order) is in the volume; once it says so the slice may be
// read, and it stays so.
func (l *Loading) Loaded(k int) bool {
	return k >= 0 && k < len(l.state) && l.state[k].Load() == sliceLoaded
}

// SliceErr is why slice k could not be read (naming its file), nil when it was read or is not
// done yet.
func (l *Loading) SliceErr(k int) error {
	if k < 0 || k >= len(l.state) || l.state[k].Load() != sliceFailed {
		return nil
	}
	return l.errs[k]
}

// Want moves slice k to the front of the slices still to decode (the view shows it): it is
// decoded next, ahead of any wanted before it.
func (l *Loading) Want(k int) {
	if k < 0 || k >= len(l.state) || l.state[k].Load() != slicePending {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.wants); n > 0 && l.wants[n-1] == k {
		return
	}
	// A reviewer scrolling through unread slices asks for many: the latest count, the rest wait
	// for their turn outward.
	const maxWants = 64
	if len(l.wants) == maxWants {
		l.wants = append(l.wants[:0], l.wants[1:]...)
	}
	l.wants = append(l.wants, k)
}

// Progress is how many slices are done (read or failed) and how many of them failed.
func (l *Loading) Progress() (done, failed int) {
	return int(l.count.Load()), int(l.failed.Load())
}

// Done is closed once the load has ended: every slice done, or the load cancelled.
func (l *Loading) Done() <-chan struct{} { return l.done }

// Complete says whether every slice is in (the load ended and none failed).
func (l *Loading) Complete() bool {
	select {
	case <-l.done:
		return l.err == nil
	default:
		return false
	}
}

// Err is the load's outcome once Done is closed (nil before): nil when every slice is in, a
// *SlicesError when some failed, the context's error when it was cancelled first.
func (l *Loading) Err() error {
	select {
	case <-l.done:
		return l.err
	default:
		return nil
	}
}

// Wait waits for the load to end (or ctx) and returns Err.
func (l *Loading) Wait(ctx context.Context) error {
	select {
	case <-l.done:
		return l.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Cancel stops the load; Done closes once the slices being decoded are done.
func (l *Loading) Cancel() { l.cancel() }

// SlicesError is the outcome of a load in which some slices could not be read: which ones, in
// volume order, each with its error (naming its file). errors.Is sees each slice's error.
type SlicesError struct {
	Total  int
	Slices []int
	Errs   []error
}

func (e *SlicesError) Error() string {
	n := len(e.Slices)
	what := "1 slice"
	if n != 1 {
		what = fmt.Sprintf("%d slices", n)
	}
	return fmt.Sprintf("%s of %d could not be read (slice %d: %v)", what, e.Total, e.Slices[0]+1, e.Errs[0])
}

func (e *SlicesError) Unwrap() []error { return e.Errs }

// errFirstSlice is the first slice error of err, for Load, which fails as the first slice does.
func errFirstSlice(err error) error {
	var se *SlicesError
	if errors.As(err, &se) {
		return se.Errs[0]
	}
	return err
}
