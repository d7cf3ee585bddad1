package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReviewStatus is where a case stands in review.
type ReviewStatus string

// The review statuses (the CHECK of review_status.status lists the same four).
const (
	StatusNotStarted ReviewStatus = "not started"
	StatusInProgress ReviewStatus = "in progress"
	StatusCompleted  ReviewStatus = "completed"
	StatusFlagged    ReviewStatus = "flagged"
)

// ErrBadStatus is returned for a review status other than the four above.
var ErrBadStatus = errors.New("review status must be not started, in progress, completed or flagged")

// ReviewStatuses lists the statuses in their natural order, for a menu.
func ReviewStatuses() []ReviewStatus {
	return []ReviewStatus{StatusNotStarted, StatusInProgress, StatusCompleted, StatusFlagged}
}

// Valid reports whether s is one of the four statuses.
func (s ReviewStatus) Valid() bool {
	switch s {
	case StatusNotStarted, StatusInProgress, StatusCompleted, StatusFlagged:
		return true
	}
	return false
}

// Review is a case's review status with the reviewer's comment.
type Review struct {
	CaseID  string
	Status  ReviewStatus
	Comment string
	Author  string
	Updated time.Time // zero when the case was never reviewed
}

// SetReview records a case's review status, replacing the previous one (the audit log, not this
// table, keeps history). A status outside the four is ErrBadStatus; an unknown case ErrNotFound.
func (w *Workspace) SetReview(ctx context.Context, caseID string, status ReviewStatus, comment, author string) error {
	if err := w.writing(); err != nil {
		return err
	}
	if !status.Valid() {
		return fmt.Errorf("review of case %s: status %q: %w", caseID, status, ErrBadStatus)
	}
	if _, err := w.Case(ctx, caseID); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	_, err := w.db.ExecContext(ctx, `INSERT INTO review_status (case_id, status, comment, author, updated) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(case_id) DO UPDATE SET status = excluded.status, comment = excluded.comment,
			author = excluded.author, updated = excluded.updated`,
		caseID, string(status), comment, author, dbTime(time.Now()))
	if err != nil {
		return fmt.Errorf("review of case %s: %w", caseID, err)
	}
	return nil
}

// Review is a case's review status: "not started" with a zero time when none was recorded (a case
// that is not in the workspace is simply not started: the GUI shows a status before importing).
func (w *Workspace) Review(ctx context.Context, caseID string) (*Review, error) {
	r := Review{CaseID: caseID, Status: StatusNotStarted}
	var status, updated string
	err := w.db.QueryRowContext(ctx, `SELECT status, comment, author, updated FROM review_status WHERE case_id = ?`, caseID).
		Scan(&status, &r.Comment, &r.Author, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return &r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("review of case %s: %w", caseID, err)
	}
	r.Status = ReviewStatus(status)
	if r.Updated, err = parseDBTime(updated); err != nil {
		return nil, fmt.Errorf("review of case %s: updated %q: %w", caseID, updated, err)
	}
	return &r, nil
}

// Reviews lists the review status of every case, in the order of Cases; cases never reviewed are
// included as not started, so that a triage list needs no second query.
func (w *Workspace) Reviews(ctx context.Context) ([]*Review, error) {
	return queryAll(ctx, w.db, `SELECT c.id, COALESCE(r.status, ''), COALESCE(r.comment, ''), COALESCE(r.author, ''), COALESCE(r.updated, '')
		FROM cases c LEFT JOIN review_status r ON r.case_id = c.id ORDER BY c.added, c.id`, scanReview)
}

// scanReview reads a row of Reviews' query: a case without a review row is not started.
func scanReview(row scanner) (*Review, error) {
	var r Review
	var status, updated string
	if err := row.Scan(&r.CaseID, &status, &r.Comment, &r.Author, &updated); err != nil {
		return nil, err
	}
	r.Status = StatusNotStarted
	if status != "" {
		r.Status = ReviewStatus(status)
		var err error
		if r.Updated, err = parseDBTime(updated); err != nil {
			return nil, fmt.Errorf("review of case %s: updated %q: %w", r.CaseID, updated, err)
		}
	}
	return &r, nil
}
