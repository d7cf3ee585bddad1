package workspace

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"liverseg/scan"
)

// editStep is the i-th scripted edit of a dims-sized label: voxels 0 and 1 count the steps (so a
// recovered label says how many steps it holds), and a stroke of 1..30 voxels somewhere else is
// painted or erased. Every fifth step "undoes" the previous stroke by writing its old values back,
// as the editor's undo would.
func editStep(i int, m *scan.Mask) []scan.MaskRun {
	n := m.Len()
	runs := []scan.MaskRun{{Offset: 0, Values: []uint8{uint8(i + 1), uint8((i + 1) >> 8)}}}
	off := 2 + (i*37)%(n-40)
	length := 1 + i%30
	if i%5 == 4 {
		prev := i - 1
		off, length = 2+(prev*37)%(n-40), 1+prev%30
		old := make([]uint8, length)
		for v := range old {
			old[v] = uint8((off + v) % 2) // the base pattern (see baseMask)
		}
		return append(runs, scan.MaskRun{Offset: off, Values: old})
	}
	vals := make([]uint8, length)
	for v := range vals {
		vals[v] = uint8(i % 2)
	}
	return append(runs, scan.MaskRun{Offset: off, Values: vals})
}

// baseMask is the label edits start from in these tests: alternate voxels set.
func baseMask(dims [3]int) *scan.Mask {
	m := scan.NewMask(dims)
	for i := range m.Len() {
		m.Set(i, uint8(i%2))
	}
	return m
}

// expected is the label after steps 0..n-1 applied to the base.
func expected(t *testing.T, dims [3]int, n int) *scan.Mask {
	t.Helper()
	m := baseMask(dims)
	for i := 0; i < n; i++ {
		if err := scan.ApplyRuns(m, editStep(i, m)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func stepsIn(m *scan.Mask) int { return int(m.At(0)) | int(m.At(1))<<8 }

func TestAutosaveRoundTrip(t *testing.T) {
	ctx := context.Background()
	w, _ := openTest(t)
	dims := [3]int{16, 12, 5}
	if p, err := w.Pending(ctx); err != nil || len(p) != 0 {
		t.Fatalf("pending in a new workspace: %v %v", p, err)
	}
	a, err := w.OpenAutosave("c1", 3, dims)
	if err != nil {
		t.Fatal(err)
	}
	// an editor opened with no edits leaves nothing to recover
	if p, _ := w.Pending(ctx); len(p) != 0 {
		t.Fatalf("pending before any edit: %v", p)
	}
	m := baseMask(dims)
	var steps [][]scan.MaskRun
	for i := 0; i < 12; i++ {
		runs := editStep(i, m)
		if err := a.Append(runs); err != nil {
			t.Fatal(err)
		}
		scan.ApplyRuns(m, runs)
		steps = append(steps, runs)
	}
	// a step that changes nothing writes nothing
	if err := a.Append(nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Append([]scan.MaskRun{{Offset: 5}}); err != nil {
		t.Fatal(err)
	}
	// runs outside the volume are refused whole
	n := dims[0] * dims[1] * dims[2]
	for _, bad := range [][]scan.MaskRun{
		{{Offset: 0, Values: []uint8{1}}, {Offset: -1, Values: []uint8{1}}},
		{{Offset: n, Values: []uint8{1}}},
		{{Offset: n - 1, Values: []uint8{1, 1}}},
	} {
		if err := a.Append(bad); err == nil {
			t.Fatalf("appended %v", bad)
		}
	}
	if a.Records() != 12 {
		t.Fatalf("%d records", a.Records())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if p, err := w.Pending(ctx); err != nil || !reflect.DeepEqual(p, []string{"c1"}) {
		t.Fatalf("pending %v %v", p, err)
	}
	r, err := w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	if r.BaseVersion != 3 || r.Dims != dims || r.Snapshot != nil || r.Dropped != 0 || !reflect.DeepEqual(r.Records, steps) {
		t.Fatalf("recovered %+v", r)
	}
	got, err := r.Restore(baseMask(dims))
	if err != nil || !got.Equal(m) {
		t.Fatalf("restored label differs: %v", err)
	}
	if _, err := r.Restore(nil); err == nil {
		t.Fatal("restored edits of version 3 without version 3")
	}
	if _, err := r.Restore(scan.NewMask([3]int{16, 12, 4})); err == nil {
		t.Fatal("restored onto a base of other dimensions")
	}
	// another base version is not mixed into this journal
	if _, err := w.OpenAutosave("c1", 4, dims); !errors.Is(err, ErrExists) {
		t.Fatalf("a journal of version 3 opened for version 4: %v", err)
	}
	if _, err := w.OpenAutosave("c1", 3, [3]int{16, 12, 6}); !errors.Is(err, ErrExists) {
		t.Fatalf("a journal opened for other dimensions: %v", err)
	}
	if err := w.Discard("c1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := w.Pending(ctx); len(p) != 0 {
		t.Fatalf("pending after discard: %v", p)
	}
	if _, err := w.Recover("c1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recovering a discarded case: %v", err)
	}
	if err := w.Discard("c1"); err != nil {
		t.Fatalf("discarding twice: %v", err)
	}
	if _, err := w.OpenAutosave("../x", 0, dims); err == nil {
		t.Fatal("a case ID with a path in it")
	}
	if _, err := w.OpenAutosave("c2", 0, [3]int{0, 1, 1}); err == nil {
		t.Fatal("zero dimensions")
	}
	if err := a.Append(steps[0]); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("appending after Close: %v", err)
	}
}

func TestAutosaveCheckpoint(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{10, 10, 3}
	a, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	m := scan.NewMask(dims)
	for i := 0; i < 7; i++ {
		runs := editStep(i, m)
		a.Append(runs)
		scan.ApplyRuns(m, runs)
	}
	before := m.Clone()
	if err := a.Checkpoint(m); err != nil {
		t.Fatal(err)
	}
	if a.Records() != 0 {
		t.Fatalf("%d records after a checkpoint", a.Records())
	}
	if st, _ := os.Stat(w.journalPath("c1")); st.Size() != journalHdrLen {
		t.Fatalf("journal of %d bytes after a checkpoint", st.Size())
	}
	for i := 7; i < 10; i++ {
		runs := editStep(i, m)
		a.Append(runs)
		scan.ApplyRuns(m, runs)
	}
	r, err := w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Snapshot == nil || !r.Snapshot.Equal(before) || len(r.Records) != 3 {
		t.Fatalf("snapshot %v, %d records", r.Snapshot != nil, len(r.Records))
	}
	got, err := r.Restore(nil)
	if err != nil || !got.Equal(m) {
		t.Fatalf("restored label differs: %v", err)
	}
	if err := a.Checkpoint(scan.NewMask([3]int{10, 10, 2})); err == nil {
		t.Fatal("checkpointed a mask of other dimensions")
	}

	// A crash inside Checkpoint, after the new snapshot and before the new journal: the old
	// journal's records are replayed over a snapshot that holds them already, which changes
	// nothing.
	journalBefore, _ := os.ReadFile(w.journalPath("c1"))
	if err := a.Checkpoint(m); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(w.journalPath("c1"), journalBefore, 0o644)
	r, err = w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Restore(nil); err != nil || !got.Equal(m) {
		t.Fatalf("after a crash inside Checkpoint the label differs: %v", err)
	}
	// and an editor reopened then keeps appending to that journal, still right
	a.Close()
	a2, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	runs := editStep(10, m)
	a2.Append(runs)
	scan.ApplyRuns(m, runs)
	a2.Close()
	if r, err = w.Recover("c1"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Restore(nil); err != nil || !got.Equal(m) {
		t.Fatalf("continued journal: the label differs: %v", err)
	}
	if err := a2.Discard(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{w.journalPath("c1"), w.snapshotPath("c1")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Discard: %v", p, err)
		}
	}
}

// An editor goroutine appending while a timer goroutine checkpoints, the way the GUI does: the
// editor's lock covers a step's apply and append, the timer holds it while it checkpoints. Run
// under -race this also checks Autosave's own locking.
func TestAutosaveTimerCheckpoint(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{12, 10, 3}
	a, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var mu sync.Mutex
	m := scan.NewMask(dims)
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(done)
		for i := 0; i < 120; i++ {
			mu.Lock()
			runs := editStep(i, m)
			err := a.Append(runs)
			if err == nil {
				err = scan.ApplyRuns(m, runs)
			}
			mu.Unlock()
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	checkpoints := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			mu.Lock()
			if err := a.Checkpoint(m); err != nil {
				t.Error(err)
			}
			mu.Unlock()
			checkpoints++
			time.Sleep(time.Millisecond)
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	r, err := w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Restore(nil)
	if err != nil || !got.Equal(m) || stepsIn(got) != 120 {
		t.Fatalf("after %d checkpoints: %d steps restored, %v", checkpoints, stepsIn(got), err)
	}
}

// One editor a case: a second Autosave, or a Discard, while one is open is ErrLocked, naming the
// lock file; closing (or discarding) gives the case back.
func TestAutosaveLock(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{8, 6, 3}
	a, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.OpenAutosave("c1", 0, dims); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), w.lockPath("c1")) {
		t.Errorf("a second editor of c1: %v, want ErrLocked naming %s", err, w.lockPath("c1"))
	}
	if err := w.Discard("c1"); !errors.Is(err, ErrLocked) {
		t.Errorf("discarding under an open editor: %v, want ErrLocked", err)
	}
	b, err := w.OpenAutosave("c2", 0, dims)
	if err != nil {
		t.Fatalf("another case is free: %v", err)
	}
	b.Discard()
	if err := a.Append([]scan.MaskRun{{Offset: 3, Values: []uint8{1}}}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a, err = w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	if err := a.Discard(); err != nil {
		t.Fatal(err)
	}
	if err := w.Discard("c1"); err != nil {
		t.Fatalf("after Discard: %v", err)
	}
	if p, err := w.Pending(context.Background()); err != nil || len(p) != 0 {
		t.Errorf("lock files count as pending edits: %v %v", p, err)
	}
}
