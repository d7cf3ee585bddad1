package workspace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
// Journal format (little-endian). A 36-byte header:
//
//	"LSJ1" | generation uint64 | base version int64 | dims 3 x uint32 | CRC-32C of the 32 bytes before
//
// then records, each
//
//	payload length uint32 | CRC-32C of the length's 4 bytes and the payload | payload
//
// with the payload a uvarint run count and, per run, uvarint offset, uvarint length and the
// values. A record is one write and one fsync, so a crash can tear only the last one: a reader
// stops at the first record that is incomplete or fails its CRC and drops the rest as that torn
// tail; everything before it is intact.
//
// Records hold the voxel values after an edit, not differences, so replaying a record twice is
// harmless: that is what makes a crash in the middle of Checkpoint safe (the new snapshot already
// holds the old journal's records, and replaying them over it changes nothing).
//
// Snapshot format: gzip of "LSS1" | generation uint64 | base version int64 | dims 3 x uint32 |
// the voxels; gzip's own CRC guards the content. The journal's generation is the snapshot's at
// the time the journal was started, so a journal newer than the snapshot beside it means the
// snapshot it builds on was lost, which Recover reports rather than replaying onto the wrong state.
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
}

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

const (
	journalMagic   = "LSJ1"
	snapshotMagic  = "LSS1"
	journalHdrLen  = 36
	snapHdrLen     = 32
	recordHdrLen   = 8
	maxAxis        = 1 << 20 // voxels per axis a journal accepts: far beyond any CT, small enough to multiply safely
	maxVoxels      = 1 << 34
	maxRecordBytes = 1<<31 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (w *Workspace) journalPath(caseID string) string {
	return filepath.Join(w.Dir, "autosave", caseID+".journal")
}

func (w *Workspace) snapshotPath(caseID string) string {
	return filepath.Join(w.Dir, "autosave", caseID+".snapshot")
}

func checkDims(dims [3]int) (int, error) {
	n := 1
	for _, d := range dims {
		if d < 1 || d > maxAxis {
			return 0, fmt.Errorf("dimensions %dx%dx%d: each must be 1..%d", dims[0], dims[1], dims[2], maxAxis)
		}
		n *= d
	}
	if n > maxVoxels {
		return 0, fmt.Errorf("dimensions %dx%dx%d: more than %d voxels", dims[0], dims[1], dims[2], maxVoxels)
	}
	return n, nil
}

// autosaveHeader is what the journal's and the snapshot's headers hold.
type autosaveHeader struct {
	gen  uint64
	base int
	dims [3]int
}

func putHeader(b []byte, magic string, h autosaveHeader) {
	copy(b, magic)
	binary.LittleEndian.PutUint64(b[4:], h.gen)
	binary.LittleEndian.PutUint64(b[12:], uint64(h.base))
	for i, d := range h.dims {
		binary.LittleEndian.PutUint32(b[20+4*i:], uint32(d))
	}
}

func parseHeader(b []byte, magic string) (autosaveHeader, error) {
	var h autosaveHeader
	if string(b[:4]) != magic {
		return h, fmt.Errorf("not a liverseg autosave file (magic %q, want %q)", b[:4], magic)
	}
	h.gen = binary.LittleEndian.Uint64(b[4:])
	base := int64(binary.LittleEndian.Uint64(b[12:]))
	if base < 0 || base > 1<<31 {
		return h, fmt.Errorf("base version %d", base)
	}
	h.base = int(base)
	for i := range h.dims {
		h.dims[i] = int(binary.LittleEndian.Uint32(b[20+4*i:]))
	}
	if _, err := checkDims(h.dims); err != nil {
		return h, err
	}
	return h, nil
}

func journalHeader(h autosaveHeader) []byte {
	b := make([]byte, journalHdrLen)
	putHeader(b, journalMagic, h)
	binary.LittleEndian.PutUint32(b[32:], crc32.Checksum(b[:32], castagnoli))
	return b
}

// journal is a parsed journal file.
type journal struct {
	autosaveHeader
	records [][]scan.MaskRun
	valid   int64 // the length up to the end of the last good record
}

// parseJournal reads a journal's bytes. A bad header is an error; a bad record ends the journal
// (the torn tail of a crash) and is reported through valid < len(b). A record whose CRC is good
// but whose content is not (a run outside the volume) was written that way, not torn: an error.
func parseJournal(name string, b []byte) (*journal, error) {
	if len(b) < journalHdrLen {
		return nil, fmt.Errorf("%s: %d bytes, shorter than a journal header (%d)", name, len(b), journalHdrLen)
	}
	if got, want := crc32.Checksum(b[:32], castagnoli), binary.LittleEndian.Uint32(b[32:]); got != want {
		if string(b[:4]) != journalMagic {
			return nil, fmt.Errorf("%s: not a liverseg autosave journal (magic %q)", name, b[:4])
		}
		return nil, fmt.Errorf("%s: header checksum %08x, want %08x: the header is damaged", name, got, want)
	}
	h, err := parseHeader(b, journalMagic)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	voxels, _ := checkDims(h.dims)
	j := &journal{autosaveHeader: h, valid: journalHdrLen}
	for off := int64(journalHdrLen); ; {
		rest := b[off:]
		if len(rest) < recordHdrLen {
			break // the end, or a torn record header
		}
		n := int64(binary.LittleEndian.Uint32(rest))
		if n > int64(len(rest)-recordHdrLen) {
			break // torn: the payload was not all written
		}
		rec := rest[recordHdrLen : recordHdrLen+n]
		crc := crc32.Update(crc32.Checksum(rest[:4], castagnoli), castagnoli, rec)
		if crc != binary.LittleEndian.Uint32(rest[4:]) {
			break // torn: the bytes are not the ones written
		}
		runs, err := decodeRuns(rec, voxels)
		if err != nil {
			return nil, fmt.Errorf("%s: record %d at byte %d: %w", name, len(j.records)+1, off, err)
		}
		j.records = append(j.records, runs)
		off += recordHdrLen + n
		j.valid = off
	}
	return j, nil
}

func decodeRuns(p []byte, voxels int) ([]scan.MaskRun, error) {
	r := bytes.NewReader(p)
	count, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("run count: %w", err)
	}
	if count > uint64(len(p)/2) { // a run takes at least two bytes: no huge allocation from a bad count
		return nil, fmt.Errorf("%d runs in %d bytes", count, len(p))
	}
	runs := make([]scan.MaskRun, 0, count)
	for i := uint64(0); i < count; i++ {
		off, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("run %d offset: %w", i+1, err)
		}
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("run %d length: %w", i+1, err)
		}
		if n > uint64(r.Len()) {
			return nil, fmt.Errorf("run %d: %d values, %d bytes left", i+1, n, r.Len())
		}
		if off > uint64(voxels) || n > uint64(voxels)-off {
			return nil, fmt.Errorf("run %d: voxels %d..%d outside the volume's %d", i+1, off, off+n, voxels)
		}
		vals := make([]uint8, n)
		r.Read(vals)
		runs = append(runs, scan.MaskRun{Offset: int(off), Values: vals})
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the last run", r.Len())
	}
	return runs, nil
}

// encodeRecord is a record's bytes: header and payload. Runs without values are left out.
func encodeRecord(runs []scan.MaskRun) ([]byte, error) {
	var tmp [binary.MaxVarintLen64]byte
	b := make([]byte, recordHdrLen, recordHdrLen+16)
	count := 0
	for _, r := range runs {
		if len(r.Values) > 0 {
			count++
		}
	}
	b = append(b, tmp[:binary.PutUvarint(tmp[:], uint64(count))]...)
	for _, r := range runs {
		if len(r.Values) == 0 {
			continue
		}
		b = append(b, tmp[:binary.PutUvarint(tmp[:], uint64(r.Offset))]...)
		b = append(b, tmp[:binary.PutUvarint(tmp[:], uint64(len(r.Values)))]...)
		b = append(b, r.Values...)
	}
	n := len(b) - recordHdrLen
	if n > maxRecordBytes {
		return nil, fmt.Errorf("an edit of %d bytes: checkpoint instead", n)
	}
	binary.LittleEndian.PutUint32(b, uint32(n))
	binary.LittleEndian.PutUint32(b[4:], crc32.Update(crc32.Checksum(b[:4], castagnoli), castagnoli, b[recordHdrLen:]))
	return b, nil
}

// readSnapshot reads a snapshot, checking it whole (gzip's CRC included).
func readSnapshot(name string, r io.Reader) (autosaveHeader, *scan.Mask, error) {
	var h autosaveHeader
	gz, err := gzip.NewReader(r)
	if err != nil {
		return h, nil, fmt.Errorf("%s: not a liverseg autosave snapshot: %w", name, err)
	}
	defer gz.Close()
	hb := make([]byte, snapHdrLen)
	if _, err := io.ReadFull(gz, hb); err != nil {
		return h, nil, fmt.Errorf("%s: snapshot header: %w", name, err)
	}
	if h, err = parseHeader(hb, snapshotMagic); err != nil {
		return h, nil, fmt.Errorf("%s: %w", name, err)
	}
	n, _ := checkDims(h.dims)
	// ReadAll grows with what arrives, so a header claiming a huge volume costs nothing until
	// the data is there; reading one byte past the end makes gzip verify its CRC.
	vox, err := io.ReadAll(io.LimitReader(gz, int64(n)+1))
	if err != nil {
		return h, nil, fmt.Errorf("%s: snapshot voxels: %w", name, err)
	}
	if len(vox) != n {
		return h, nil, fmt.Errorf("%s: snapshot has %d voxels, %dx%dx%d needs %d", name, len(vox), h.dims[0], h.dims[1], h.dims[2], n)
	}
	return h, &scan.Mask{Voxels: vox, Dims: h.dims}, nil
}

func readSnapshotFile(path string) (autosaveHeader, *scan.Mask, error) {
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return autosaveHeader{}, nil, err
	}
	defer f.Close()
	return readSnapshot(path, bufio.NewReader(f))
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
	switch sh, _, err := readSnapshotFile(a.snapPath); {
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

// genFits says whether a journal of generation jgen can be replayed over the snapshot of
// generation sgen (if hasSnap): it was started with that snapshot, or with the one before and
// Checkpoint was interrupted after writing the new snapshot (whose content then includes all of
// the journal's records, so replaying them changes nothing). Anything else would replay edits
// onto a state they were not made on.
func genFits(jgen, sgen uint64, hasSnap bool) bool {
	if !hasSnap {
		return jgen == 0
	}
	return jgen == sgen || jgen+1 == sgen
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
// after a large edit.
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
	if m.Dims != a.dims || len(m.Voxels) != a.voxels {
		return fmt.Errorf("%s: a %dx%dx%d mask for a %dx%dx%d journal", a.snapPath, m.Dims[0], m.Dims[1], m.Dims[2], a.dims[0], a.dims[1], a.dims[2])
	}
	h := autosaveHeader{gen: a.gen + 1, base: a.base, dims: a.dims}
	err := writeAutosaveFile(a.snapPath, func(w io.Writer) error {
		// BestSpeed: a label compresses well at any level, and this runs while the user edits.
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		hb := make([]byte, snapHdrLen)
		putHeader(hb, snapshotMagic, h)
		if _, err := gz.Write(hb); err != nil {
			return err
		}
		if _, err := gz.Write(m.Voxels); err != nil {
			return err
		}
		return gz.Close()
	})
	if err != nil {
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
	sh, snap, serr := readSnapshotFile(snapPath)
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
		if base.Dims != r.Dims || len(base.Voxels) != base.Dims[0]*base.Dims[1]*base.Dims[2] {
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
