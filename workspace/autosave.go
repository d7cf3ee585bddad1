package workspace

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"liverseg/internal/atomicfile"
	"liverseg/scan"
)

// Autosave keeps a case's unsaved edits on disk so that a crash loses none that were reported
// written: a journal, autosave/CASE.journal, to which every edit step is appended and synced, and
// now and then a snapshot, autosave/CASE.snapshot, of the whole label, after which the journal
// starts again empty. What was being edited comes back as the snapshot (or the base version)
// with the journal's records applied in order.
//
// The files' formats are in journal.go; Recover (recover.go) reads them back after a crash.
type Autosave struct {
	mu       sync.Mutex // the editor appends while a timer checkpoints
	caseID   string
	path     string // autosave/CASE.journal
	snapPath string // autosave/CASE.snapshot
	base     int
	dims     [3]int
	voxels   int
	gen      uint64   // the journal's generation
	f        *os.File // the journal, open for appending
	size     int64    // the journal's length after the last good record
	records  int      // records in the journal (after its header)
	err      error    // set when a failed write could not be undone: the journal cannot be trusted
	lock     *caseLock
	gz       *gzip.Writer // the snapshots' compressor, kept from one checkpoint to the next
}

func (w *Workspace) journalPath(caseID string) string {
	return filepath.Join(w.Dir, "autosave", caseID+".journal")
}

func (w *Workspace) snapshotPath(caseID string) string {
	return filepath.Join(w.Dir, "autosave", caseID+".snapshot")
}

// writeAutosaveFile writes an autosave file atomically and privately (labels are patient data).
func writeAutosaveFile(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o600, write)
}

// OpenAutosave starts (or continues) the journal of a case whose label, of the given dimensions,
// is being edited from version baseVersion (0: from an empty label).
//
// A journal already there for the same base version and dimensions is continued: the editor that
// recovered it keeps editing, and the journal keeps recording on top of what it recovered. A torn
// tail is cut off first, so that new records do not land behind it. A journal or snapshot for
// another base version or other dimensions is ErrExists: recover or discard it first. A case
// whose autosave is open elsewhere (another process, or an Autosave not closed) is ErrLocked.
func (w *Workspace) OpenAutosave(caseID string, baseVersion int, dims [3]int) (a *Autosave, err error) {
	if err := w.writing(); err != nil {
		return nil, err
	}
	if err := CheckCaseID(caseID); err != nil {
		return nil, err
	}
	voxels, err := checkDims(dims)
	if err != nil {
		return nil, fmt.Errorf("autosave of case %s: %w", caseID, err)
	}
	if baseVersion < 0 {
		return nil, fmt.Errorf("autosave of case %s: base version %d", caseID, baseVersion)
	}
	lock, err := w.lockCase(caseID)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.unlock()
		}
	}()
	a = &Autosave{caseID: caseID, path: w.journalPath(caseID), snapPath: w.snapshotPath(caseID),
		base: baseVersion, dims: dims, voxels: voxels, lock: lock}
	if err := os.MkdirAll(filepath.Dir(a.path), 0o755); err != nil {
		return nil, fmt.Errorf("autosave of case %s: %w", caseID, err)
	}
	want := autosaveHeader{base: baseVersion, dims: dims}
	mismatch := func(path string, h autosaveHeader) error {
		return fmt.Errorf("%s: %w: unsaved edits of version %d (%dx%dx%d), not of version %d (%dx%dx%d): recover or discard them first",
			path, ErrExists, h.base, h.dims[0], h.dims[1], h.dims[2], baseVersion, dims[0], dims[1], dims[2])
	}
	var snapGen uint64
	hasSnap := false
	// The snapshot is read whole, not just its header: a damaged one is better reported now than
	// after more edits have been journaled on top of it.
	switch sh, _, err := readSnapshotFile(a.snapPath, false); {
	case err == nil:
		if sh.base != want.base || sh.dims != want.dims {
			return nil, mismatch(a.snapPath, sh)
		}
		snapGen, hasSnap = sh.gen, true
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	b, err := scan.ReadFileLimit(context.Background(), a.path, scan.MaxLogBytes, "an autosave journal")
	switch {
	case err == nil:
		j, err := parseJournal(a.path, b)
		if err != nil {
			return nil, err
		}
		if j.base != want.base || j.dims != want.dims {
			return nil, mismatch(a.path, j.autosaveHeader)
		}
		if !genFits(j.gen, snapGen, hasSnap) {
			return nil, fmt.Errorf("%s: generation %d does not fit the snapshot beside it (generation %d, or none): recover what is there, or discard it", a.path, j.gen, snapGen)
		}
		f, err := os.OpenFile(a.path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		if j.valid < int64(len(b)) {
			if err := f.Truncate(j.valid); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: cutting off a torn record: %w", a.path, err)
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", a.path, err)
			}
		}
		if _, err := f.Seek(j.valid, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", a.path, err)
		}
		a.f, a.size, a.gen, a.records = f, j.valid, j.gen, len(j.records)
	case errors.Is(err, os.ErrNotExist):
		want.gen = snapGen
		if err := a.startJournal(want); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	return a, nil
}

// startJournal replaces the journal by an empty one of header h and opens it for appending.
func (a *Autosave) startJournal(h autosaveHeader) error {
	if err := writeAutosaveFile(a.path, func(w io.Writer) error {
		_, err := w.Write(journalHeader(h))
		return err
	}); err != nil {
		return err
	}
	// From here the old journal is gone from the folder: appending to its open handle would
	// write into a file nobody can find, so a failure leaves the Autosave unusable instead.
	if a.f != nil {
		a.f.Close()
		a.f = nil
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY, 0)
	if err == nil {
		if _, err = f.Seek(journalHdrLen, io.SeekStart); err != nil {
			f.Close()
		}
	}
	if err != nil {
		a.err = fmt.Errorf("%s: reopening the journal: %w", a.path, err)
		return a.err
	}
	a.f, a.size, a.gen, a.records = f, journalHdrLen, h.gen, 0
	return nil
}

// Append records one edit step (a brush drag, a fill, an undo or a redo, with the values the
// voxels have afterwards) and returns once it is on disk: one write and one fsync per call, so
// call it once per step, not per voxel, and off the UI goroutine where a slow disk could stall a
// frame. A step that changes nothing (no runs, or runs without values) writes nothing. Runs outside
// the volume are an error and write nothing.
func (a *Autosave) Append(runs []scan.MaskRun) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.usable(); err != nil {
		return err
	}
	if err := scan.CheckRuns(runs, a.voxels); err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	rec, err := encodeRecord(runs)
	if err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	if len(rec) == recordHdrLen+1 { // a run count of zero and nothing else
		return nil
	}
	if _, err := a.f.Write(rec); err != nil {
		return a.undoWrite(err)
	}
	if err := a.f.Sync(); err != nil {
		return a.undoWrite(err)
	}
	a.size += int64(len(rec))
	a.records++
	return nil
}

// undoWrite cuts a record that failed halfway (a full disk) off again, so that the records after
// it are not stranded behind a torn one; when even that fails the journal is marked unusable.
func (a *Autosave) undoWrite(werr error) error {
	if err := a.f.Truncate(a.size); err != nil {
		a.err = fmt.Errorf("%s: a failed write could not be undone (%v): %w", a.path, err, werr)
		return a.err
	}
	if _, err := a.f.Seek(a.size, io.SeekStart); err != nil {
		a.err = fmt.Errorf("%s: %w", a.path, err)
		return a.err
	}
	return fmt.Errorf("%s: %w", a.path, werr)
}

func (a *Autosave) usable() error {
	if a.err != nil {
		return a.err
	}
	if a.f == nil {
		return fmt.Errorf("%s: %w", a.path, os.ErrClosed)
	}
	return nil
}

// Checkpoint writes the whole label to autosave/CASE.snapshot (gzip, atomic) and starts the
// journal again empty, so that the journal stays short and recovery quick. Call it on a timer, or
// after a large edit. The label streams out a slice at a time: a checkpoint allocates a slice's
// buffers, not the volume (about 2.5 MB, and 0.15-0.2 s, at 512x512x1000).
//
// m must be the label with exactly the steps appended so far applied, and must not change during
// the call: the journal is emptied, so a step appended but missing from m would be lost, and one
// in m but not yet appended would be saved early. A timer goroutine therefore holds the editor's
// lock across taking its copy and calling Checkpoint (or across the call, passing the label).
func (a *Autosave) Checkpoint(m *scan.Mask) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.usable(); err != nil {
		return err
	}
	if !m.Valid() || m.Dims != a.dims {
		return fmt.Errorf("%s: a %dx%dx%d mask for a %dx%dx%d journal", a.snapPath, m.Dims[0], m.Dims[1], m.Dims[2], a.dims[0], a.dims[1], a.dims[2])
	}
	h := autosaveHeader{gen: a.gen + 1, base: a.base, dims: a.dims}
	if a.gz == nil {
		a.gz = newSnapshotWriter()
	}
	if err := writeAutosaveFile(a.snapPath, func(w io.Writer) error { return writeSnapshot(w, a.gz, h, m) }); err != nil {
		return err
	}
	// Should this fail, the old journal stays and is appended to: replayed over the new
	// snapshot its old records change nothing (they hold values, not differences).
	return a.startJournal(h)
}

// Records is the number of steps in the journal since the last checkpoint.
func (a *Autosave) Records() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.records
}

// Close closes the journal and keeps it (and the snapshot) for Recover: closing an editor with
// unsaved edits is not discarding them. A journal that never recorded a step is removed.
func (a *Autosave) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	defer a.lock.unlock() // after the journal is closed (or removed)
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	if err == nil && a.records == 0 && a.gen == 0 && a.err == nil {
		if _, serr := os.Stat(a.snapPath); errors.Is(serr, os.ErrNotExist) {
			os.Remove(a.path)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	return nil
}

// Discard closes the journal and removes it and the snapshot: the edits were saved as a version.
func (a *Autosave) Discard() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	defer a.lock.unlock()
	if a.f != nil {
		a.f.Close()
		a.f = nil
	}
	return discardFiles(a.path, a.snapPath)
}

// discardFiles removes the journal before the snapshot: a crash in between leaves a snapshot
// alone, which Recover offers (with its base version, so the GUI can tell it is older than the
// saved one), rather than a journal whose snapshot is gone, which Recover could not place.
func discardFiles(journal, snapshot string) error {
	for _, p := range []string{journal, snapshot} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	syncDir(filepath.Dir(journal))
	return nil
}
