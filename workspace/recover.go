package workspace

// Recovery after a crash or a closed editor: which cases have unsaved edits (Pending), what
// their autosave holds (Recover), the label rebuilt from it (Recovery.Restore), or dropping it
// (Discard).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"liverseg/scan"
)

// Recovery is what Recover found for a case.
type Recovery struct {
	CaseID      string
	BaseVersion int              // the label version the edits started from; 0: an empty label
	Dims        [3]int           // the label's dimensions
	Snapshot    *scan.Mask       // the last checkpoint, nil when there was none
	Records     [][]scan.MaskRun // the journal's records after the snapshot, in order
	Dropped     int64            // bytes of a torn last record dropped from the journal
	Journal     string           // the journal's path
}

// Discard removes a case's journal and snapshot, once its label is saved as a version (or the
// user chose not to recover). Nothing there is no error. A case whose autosave is open (here or
// in another process) is ErrLocked: close it first, or use the Autosave's own Discard.
func (w *Workspace) Discard(caseID string) error {
	if err := w.writing(); err != nil {
		return err
	}
	if err := CheckCaseID(caseID); err != nil {
		return err
	}
	lock, err := w.lockCase(caseID)
	if err != nil {
		return err
	}
	defer lock.unlock()
	return discardFiles(w.journalPath(caseID), w.snapshotPath(caseID))
}

// Pending lists the cases with unsaved edits to recover: a journal with at least one record, or
// a snapshot. An editor open in another process shows up here too.
func (w *Workspace) Pending(ctx context.Context) ([]string, error) {
	dir := filepath.Join(w.Dir, "autosave")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") {
			continue
		}
		var id string
		switch {
		case strings.HasSuffix(name, ".snapshot"):
			id = strings.TrimSuffix(name, ".snapshot")
		case strings.HasSuffix(name, ".journal"):
			// A header alone is an editor that was opened and recorded nothing.
			if info, err := e.Info(); err != nil || info.Size() <= journalHdrLen {
				continue
			}
			id = strings.TrimSuffix(name, ".journal")
		default:
			continue
		}
		if CheckCaseID(id) == nil {
			seen[id] = true
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// Recover reads what a case's autosave holds: the base version and dimensions, the snapshot if
// one was taken, and the journal's records since, in order. A torn last record is dropped
// (Recovery.Dropped says how many bytes); a damaged header, a record that is well-formed but
// impossible, or a snapshot that disagrees with the journal is an error naming the file. Nothing
// to recover is ErrNotFound. Recover changes no file: Restore builds the label, OpenAutosave with
// the same base version continues the journal, Discard drops it.
func (w *Workspace) Recover(caseID string) (*Recovery, error) {
	if err := CheckCaseID(caseID); err != nil {
		return nil, err
	}
	r := &Recovery{CaseID: caseID, Journal: w.journalPath(caseID)}
	snapPath := w.snapshotPath(caseID)
	sh, snap, serr := readSnapshotFile(snapPath, true)
	if serr != nil && !errors.Is(serr, os.ErrNotExist) {
		return nil, serr
	}
	b, jerr := scan.ReadFileLimit(context.Background(), r.Journal, scan.MaxLogBytes, "an autosave journal")
	if jerr != nil && !errors.Is(jerr, os.ErrNotExist) {
		return nil, jerr
	}
	if serr != nil && jerr != nil {
		return nil, fmt.Errorf("autosave of case %s: %w", caseID, ErrNotFound)
	}
	if serr == nil {
		r.BaseVersion, r.Dims, r.Snapshot = sh.base, sh.dims, snap
	}
	if jerr == nil {
		j, err := parseJournal(r.Journal, b)
		if err != nil {
			return nil, err
		}
		if serr == nil {
			if j.base != sh.base || j.dims != sh.dims {
				return nil, fmt.Errorf("%s: edits of version %d (%dx%dx%d), but %s holds version %d (%dx%dx%d)",
					r.Journal, j.base, j.dims[0], j.dims[1], j.dims[2], snapPath, sh.base, sh.dims[0], sh.dims[1], sh.dims[2])
			}
		}
		if !genFits(j.gen, sh.gen, serr == nil) {
			return nil, fmt.Errorf("%s: generation %d does not fit the snapshot %s (generation %d, or none)", r.Journal, j.gen, snapPath, sh.gen)
		}
		r.BaseVersion, r.Dims = j.base, j.dims
		r.Records = j.records
		r.Dropped = int64(len(b)) - j.valid
	}
	return r, nil
}

// Restore is the label as it was being edited: a copy of the snapshot, else of base (the label of
// BaseVersion; nil for an empty one when BaseVersion is 0), with the records applied in order.
func (r *Recovery) Restore(base *scan.Mask) (*scan.Mask, error) {
	var m *scan.Mask
	switch {
	case r.Snapshot != nil:
		m = r.Snapshot.Clone()
	case base != nil:
		if !base.Valid() || base.Dims != r.Dims {
			return nil, fmt.Errorf("%s: a %dx%dx%d base label for %dx%dx%d edits", r.Journal, base.Dims[0], base.Dims[1], base.Dims[2], r.Dims[0], r.Dims[1], r.Dims[2])
		}
		m = base.Clone()
	case r.BaseVersion == 0:
		m = scan.NewMask(r.Dims)
	default:
		return nil, fmt.Errorf("%s: the edits build on label version %d: load it and pass it as the base", r.Journal, r.BaseVersion)
	}
	for i, runs := range r.Records {
		if err := scan.ApplyRuns(m, runs); err != nil {
			return nil, fmt.Errorf("%s: record %d: %w", r.Journal, i+1, err)
		}
	}
	return m, nil
}
