package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
	"time"

	"liverseg/scan"
)

// Case is one series under review: the unit that labels, review status, the audit log and
// autosave journals hang off.
type Case struct {
	ID         string
	SeriesPath string // the folder, DICOMDIR or file the series loads from
	SeriesUID  string // SeriesInstanceUID; "" for a series without one (a PNG stack, a NIfTI)
	Patient    string
	Added      time.Time
}

// caseIDRE keeps case IDs safe as file names: they become labels/CASE/ and autosave/CASE.journal,
// so no separators, no leading dot, nothing a shell or another OS would trip over.
var caseIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// CheckCaseID reports whether id can name a case (letters, digits, '.', '_' and '-', at most 100,
// not starting with a punctuation mark).
func CheckCaseID(id string) error {
	if !caseIDRE.MatchString(id) {
		return fmt.Errorf("case ID %q: letters, digits, '.', '_' and '-' only, starting with a letter or digit", id)
	}
	return nil
}

// CaseID derives a readable case ID from a patient and a series: the patient's name made file-safe
// ("Doe^John" becomes "Doe_John", at most 40 characters, "case" when there is none) and a dash and
// six hex digits digesting the series UID (or, for a series without a UID, its path). The digest
// rather than the UID's literal tail: series of one study often share all but the last digit or
// two of their UIDs, and a digest keeps two such series apart in six characters. EnsureCase makes
// the ID unique should two series still collide.
func CaseID(patient, seriesUID string) string {
	var b strings.Builder
	lastSep := true // no leading separator
	for _, r := range patient {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
			lastSep = false
		case !lastSep:
			b.WriteByte('_')
			lastSep = true
		}
	}
	name := strings.TrimRight(b.String(), "_")
	if name == "" {
		name = "case"
	}
	h := fnv.New32a()
	h.Write([]byte(seriesUID))
	return fmt.Sprintf("%s-%06x", name, h.Sum32()&0xffffff)
}

// SeriesCase is the Case for a loaded series, ready for EnsureCase: the patient's name (else its
// ID), the series UID and path, and an ID from CaseID.
func SeriesCase(s *scan.Series) Case {
	patient := strings.TrimSpace(s.PatientName)
	if patient == "" {
		patient = strings.TrimSpace(s.PatientID)
	}
	key := s.SeriesUID
	if key == "" {
		key = s.Path
	}
	return Case{ID: CaseID(patient, key), SeriesPath: s.Path, SeriesUID: s.SeriesUID, Patient: patient}
}

// EnsureCase returns the case of c's series, adding it first when the workspace has none. A
// series is recognised by its UID, or by its path when it has no UID, so that opening the same
// series again (from another folder, say) finds the same case with its labels and review. An
// empty c.ID is derived with CaseID; an ID already taken by another series gets "-2", "-3", ...
// appended. c.Added is ignored: the case is added now. A case of that ID whose series is not
// known (Rebuild recovers cases from labels/CASE/ alone) is this series' case: it takes the
// series, and its labels come back with it.
func (w *Workspace) EnsureCase(ctx context.Context, c Case) (*Case, error) {
	if err := w.writing(); err != nil {
		return nil, err
	}
	if c.SeriesPath == "" && c.SeriesUID == "" {
		return nil, errors.New("case: neither a series path nor a series UID")
	}
	if c.ID == "" {
		key := c.SeriesUID
		if key == "" {
			key = c.SeriesPath
		}
		c.ID = CaseID(c.Patient, key)
	}
	if err := CheckCaseID(c.ID); err != nil {
		return nil, err
	}
	for n := 1; n <= 1000; n++ {
		id := c.ID
		if n > 1 {
			id = fmt.Sprintf("%s-%d", c.ID, n)
		}
		// One statement, so that two liverseg processes adding the same series at once cannot
		// both find it missing and add it twice: SQLite runs the NOT EXISTS and the INSERT under
		// one write lock.
		res, err := w.db.ExecContext(ctx, `INSERT INTO cases (id, series_path, series_uid, patient, added)
			SELECT ?, ?, ?, ?, ?
			WHERE NOT EXISTS (SELECT 1 FROM cases WHERE `+seriesMatch+`)
			ON CONFLICT(id) DO UPDATE SET series_path = excluded.series_path, series_uid = excluded.series_uid,
				patient = excluded.patient WHERE cases.series_path = '' AND cases.series_uid = ''`,
			id, c.SeriesPath, c.SeriesUID, c.Patient, dbTime(time.Now()), c.SeriesUID, c.SeriesUID, c.SeriesPath)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return w.Case(ctx, id)
		}
		// Nothing inserted: either the series is there already, or the ID belongs to another.
		if existing, err := w.caseBySeries(ctx, c.SeriesUID, c.SeriesPath); err == nil {
			return existing, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("case %s: %w (1000 series share the ID)", c.ID, ErrExists)
}

// seriesMatch finds a series by UID when it has one, else by path (parameters: uid, uid, path).
const seriesMatch = `(CASE WHEN ? != '' THEN series_uid = ? ELSE series_uid = '' AND series_path = ? END)`

const caseColumns = `id, series_path, series_uid, patient, added`

func scanCase(row scanner) (*Case, error) {
	var c Case
	var added string
	if err := row.Scan(&c.ID, &c.SeriesPath, &c.SeriesUID, &c.Patient, &added); err != nil {
		return nil, err
	}
	t, err := parseDBTime(added)
	if err != nil {
		return nil, fmt.Errorf("case %s: added %q: %w", c.ID, added, err)
	}
	c.Added = t
	return &c, nil
}

// Case is the case with the given ID; ErrNotFound when there is none.
func (w *Workspace) Case(ctx context.Context, id string) (*Case, error) {
	c, err := scanCase(w.db.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("case %s: %w", id, ErrNotFound)
	}
	return c, err
}

// CaseBySeries is the case of the series with this SeriesInstanceUID; ErrNotFound when none.
func (w *Workspace) CaseBySeries(ctx context.Context, uid string) (*Case, error) {
	if uid == "" {
		return nil, fmt.Errorf("series UID \"\": %w", ErrNotFound)
	}
	return w.caseBySeries(ctx, uid, "")
}

func (w *Workspace) caseBySeries(ctx context.Context, uid, path string) (*Case, error) {
	c, err := scanCase(w.db.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+seriesMatch+` ORDER BY added LIMIT 1`, uid, uid, path))
	if errors.Is(err, sql.ErrNoRows) {
		what := uid
		if what == "" {
			what = path
		}
		return nil, fmt.Errorf("case of series %s: %w", what, ErrNotFound)
	}
	return c, err
}

// Cases lists the cases, oldest first.
func (w *Workspace) Cases(ctx context.Context) ([]*Case, error) {
	return queryAll(ctx, w.db, `SELECT `+caseColumns+` FROM cases ORDER BY added, id`, scanCase)
}

// dbTimeLayout is how the tables of this file and its siblings store times: UTC RFC 3339 with a
// fixed nine-digit fraction, so that rows written within one second keep their order and the text
// sorts as the time does (RFC3339Nano drops trailing zeros, and "05Z" sorts after "05.1Z").
// parseDBTime also reads the whole seconds that now() in workspace.go writes.
const dbTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func dbTime(t time.Time) string { return t.UTC().Format(dbTimeLayout) }

func parseDBTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
