package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"liverseg/scan"
	"liverseg/scan/nifti"
)

// Origins of a label version.
const (
	OriginModel    = "model"    // predicted by a model (LabelVersion.Model says which)
	OriginManual   = "manual"   // drawn or corrected by a person
	OriginImported = "imported" // read from a file made elsewhere
)

// ErrBadOrigin is returned for an origin other than the three above.
var ErrBadOrigin = errors.New("origin must be model, manual or imported")

// LabelVersion is one saved version of a case's label.
type LabelVersion struct {
	CaseID  string
	Version int // 1, 2, ... per case
	Parent  int // the version it was edited from; 0 for none
	Origin  string
	Model   string // the model version, for origin model
	Author  string
	Created time.Time
	Path    string // labels/CASE/VERSION.nii.gz, absolute
}

// LabelDir is the folder of a case's label versions: labels/CASE.
func (w *Workspace) LabelDir(caseID string) string { return filepath.Join(w.Dir, "labels", caseID) }

// SaveLabel stores m, aligned to ref, as the next version of the case's label: the voxels in
// labels/CASE/VERSION.nii.gz (through scan's NIfTI writer), the record in label_versions. Versions
// count from 1 per case. parent is the version m was edited from (0 for none) and must exist.
//
// The file is written in full under a temporary name first, and only then, inside the
// transaction that takes the version number, renamed to its final name: so a version is never
// recorded without its file, a crash never leaves a half-written one, and two processes saving at
// once get two versions instead of overwriting each other's file.
func (w *Workspace) SaveLabel(ctx context.Context, caseID string, ref *scan.Volume, m *scan.Mask, origin string, parent int, model, author string) (*LabelVersion, error) {
	if err := w.writing(); err != nil {
		return nil, err
	}
	switch origin {
	case OriginModel, OriginManual, OriginImported:
	default:
		return nil, fmt.Errorf("label of case %s: origin %q: %w", caseID, origin, ErrBadOrigin)
	}
	if ref == nil || m == nil {
		return nil, fmt.Errorf("label of case %s: no volume or no mask", caseID)
	}
	if err := ref.CheckMask(m); err != nil {
		return nil, fmt.Errorf("label of case %s: %w", caseID, err)
	}
	if _, err := w.Case(ctx, caseID); err != nil {
		return nil, err
	}
	if parent < 0 {
		return nil, fmt.Errorf("label of case %s: parent version %d", caseID, parent)
	}
	if parent > 0 {
		if _, err := w.LabelVersion(ctx, caseID, parent); err != nil {
			return nil, fmt.Errorf("parent: %w", err)
		}
	}
	dir := w.LabelDir(caseID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("label of case %s: %w", caseID, err)
	}
	// Reserve a unique temporary name; the writer replaces it atomically. The .nii.gz ending
	// makes the writer compress.
	f, err := os.CreateTemp(dir, ".saving-*.nii.gz")
	if err != nil {
		return nil, fmt.Errorf("label of case %s: %w", caseID, err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp) // a no-op once renamed
	if err := nifti.WriteLabel(tmp, ref, m); err != nil {
		return nil, fmt.Errorf("label of case %s: %w", caseID, err)
	}

	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("label of case %s: %w", caseID, err)
	}
	defer tx.Rollback() // a no-op after Commit
	var par any
	if parent > 0 {
		par = parent
	}
	created := time.Now()
	// The INSERT comes first so that the transaction takes SQLite's write lock at once: a read
	// first would let another writer slip in between and make this one fail with SQLITE_BUSY.
	// The path is filled in once the number is known.
	var version int
	err = tx.QueryRowContext(ctx, `INSERT INTO label_versions (case_id, version, parent, origin, model, author, created, path)
		SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ?, '' FROM label_versions WHERE case_id = ?
		RETURNING version`, caseID, par, origin, model, author, dbTime(created), caseID).Scan(&version)
	if err != nil {
		return nil, fmt.Errorf("label of case %s: %w", caseID, err)
	}
	final := filepath.Join(dir, strconv.Itoa(version)+".nii.gz")
	if _, err := tx.ExecContext(ctx, `UPDATE label_versions SET path = ? WHERE case_id = ? AND version = ?`, w.Rel(final), caseID, version); err != nil {
		return nil, fmt.Errorf("label of case %s version %d: %w", caseID, version, err)
	}
	// A file already at final has no record (a crash between a rename and a commit left it):
	// replacing it loses nothing.
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("label of case %s: %w", caseID, err)
	}
	if err := tx.Commit(); err != nil {
		os.Remove(final)
		return nil, fmt.Errorf("label of case %s version %d: %w", caseID, version, err)
	}
	syncDir(dir) // make the rename durable; the record is already committed
	return &LabelVersion{CaseID: caseID, Version: version, Parent: parent, Origin: origin, Model: model,
		Author: author, Created: created.UTC(), Path: final}, nil
}

const labelColumns = `case_id, version, parent, origin, model, author, created, path`

func (w *Workspace) scanLabel(row scanner) (*LabelVersion, error) {
	var l LabelVersion
	var parent sql.NullInt64
	var created string
	if err := row.Scan(&l.CaseID, &l.Version, &parent, &l.Origin, &l.Model, &l.Author, &created, &l.Path); err != nil {
		return nil, err
	}
	l.Parent = int(parent.Int64)
	t, err := parseDBTime(created)
	if err != nil {
		return nil, fmt.Errorf("label of case %s version %d: created %q: %w", l.CaseID, l.Version, created, err)
	}
	l.Created = t
	l.Path = w.Abs(l.Path)
	return &l, nil
}

// LabelVersion is the record of one version of a case's label; ErrNotFound when there is none.
func (w *Workspace) LabelVersion(ctx context.Context, caseID string, version int) (*LabelVersion, error) {
	l, err := w.scanLabel(w.db.QueryRowContext(ctx, `SELECT `+labelColumns+` FROM label_versions WHERE case_id = ? AND version = ?`, caseID, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("label of case %s version %d: %w", caseID, version, ErrNotFound)
	}
	return l, err
}

// LabelVersions lists a case's label versions, oldest first (none for an unknown case).
func (w *Workspace) LabelVersions(ctx context.Context, caseID string) ([]*LabelVersion, error) {
	return queryAll(ctx, w.db, `SELECT `+labelColumns+` FROM label_versions WHERE case_id = ? ORDER BY version`, w.scanLabel, caseID)
}

// LatestLabel is the newest version of a case's label; ErrNotFound when it has none.
func (w *Workspace) LatestLabel(ctx context.Context, caseID string) (*LabelVersion, error) {
	l, err := w.scanLabel(w.db.QueryRowContext(ctx, `SELECT `+labelColumns+` FROM label_versions WHERE case_id = ? ORDER BY version DESC LIMIT 1`, caseID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("label of case %s: %w (no versions)", caseID, ErrNotFound)
	}
	return l, err
}

// LoadLabel reads a version of a case's label (0: the latest) aligned to ref, through scan's
// NIfTI label reader, which checks the file's geometry against ref.
func (w *Workspace) LoadLabel(ctx context.Context, caseID string, version int, ref *scan.Volume) (*scan.Mask, error) {
	var l *LabelVersion
	var err error
	if version == 0 {
		l, err = w.LatestLabel(ctx, caseID)
	} else {
		l, err = w.LabelVersion(ctx, caseID, version)
	}
	if err != nil {
		return nil, err
	}
	m, err := nifti.ReadLabel(l.Path, ref)
	if err != nil {
		return nil, fmt.Errorf("label of case %s version %d: %w", caseID, l.Version, err)
	}
	return m, nil
}

// syncDir flushes a folder's entries (a rename, a new file) to disk. Best effort: some systems
// cannot open or sync a folder, and the data itself is synced already.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
