package workspace

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"liverseg/scan"
)

// AuditEntry is one edit in the audit log: who changed how many voxels of which case, with which
// tool, in which plane, on which slice.
type AuditEntry struct {
	ID     int64     // assigned by AddAudit; increasing in the order entries were added
	Time   time.Time // zero: now
	Author string
	CaseID string
	Tool   string // brush, eraser, lasso, accept prediction, save, ...
	// Plane is the plane the tool was used in, as scan.Plane names it ("axial", "coronal",
	// "sagittal"; viewer.Edit.PlaneName), "" for a step no plane bounds (the whole volume, a
	// save). Entries logged before planes existed read back "axial" where they name a slice or
	// are an interpolation (editing was axial only), "" otherwise.
	Plane  string
	Slice  int // the slice edited, in Plane; -1 for the whole volume (or several slices)
	Voxels int // voxels changed
}

// WholeVolume is AuditEntry.Slice for an edit that is not confined to one slice.
const WholeVolume = -1

// AddAudit appends an entry to the audit log. The log is append-only by API: this package has
// nothing that changes or removes an entry, so that the log can be trusted as a record of who
// changed what. Slice is stored as NULL for WholeVolume (any negative slice).
func (w *Workspace) AddAudit(ctx context.Context, e AuditEntry) error {
	if err := w.writing(); err != nil {
		return err
	}
	if e.Tool == "" {
		return fmt.Errorf("audit entry for case %s: no tool", e.CaseID)
	}
	if e.Voxels < 0 {
		return fmt.Errorf("audit entry for case %s: %d voxels changed", e.CaseID, e.Voxels)
	}
	if e.Plane != "" {
		if _, err := scan.ParsePlane(e.Plane); err != nil {
			return fmt.Errorf("audit entry for case %s: %w", e.CaseID, err)
		}
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	var slice any
	if e.Slice >= 0 {
		slice = e.Slice
	}
	if _, err := w.db.ExecContext(ctx, `INSERT INTO audit (time, author, case_id, tool, plane, slice, voxels) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		dbTime(e.Time), e.Author, e.CaseID, e.Tool, e.Plane, slice, e.Voxels); err != nil {
		return fmt.Errorf("audit entry for case %s: %w", e.CaseID, err)
	}
	return nil
}

// Audit lists a case's audit entries in the order they were added; caseID "" lists every case's.
func (w *Workspace) Audit(ctx context.Context, caseID string) ([]AuditEntry, error) {
	q := `SELECT id, time, author, case_id, tool, plane, slice, voxels FROM audit`
	var args []any
	if caseID != "" {
		q += ` WHERE case_id = ?`
		args = append(args, caseID)
	}
	out, err := queryAll(ctx, w.db, q+` ORDER BY id`, scanAudit, args...)
	if err != nil {
		return nil, fmt.Errorf("audit of case %s: %w", caseID, err)
	}
	return out, nil
}

func scanAudit(row scanner) (AuditEntry, error) {
	var e AuditEntry
	var t string
	var slice sql.NullInt64
	if err := row.Scan(&e.ID, &t, &e.Author, &e.CaseID, &e.Tool, &e.Plane, &slice, &e.Voxels); err != nil {
		return e, err
	}
	var err error
	if e.Time, err = parseDBTime(t); err != nil {
		return e, fmt.Errorf("audit entry %d: time %q: %w", e.ID, t, err)
	}
	e.Slice = WholeVolume
	if slice.Valid {
		e.Slice = int(slice.Int64)
	}
	return e, nil
}
