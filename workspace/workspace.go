// Package workspace is liverseg's folder of record (DESIGN.md, Workspace): workspace.db (SQLite,
// pure Go) with cases, label versions, review status, the audit log, models and jobs, beside
// labels/CASE/VERSION.nii.gz, models/VERSION/ (model, card, report), jobs/ID/ and autosave/.
package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure Go driver: no cgo, no system SQLite
)

// Errors for errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Workspace is an open workspace folder.
type Workspace struct {
	Dir string
	db  *sql.DB
}

// DefaultDir is --workspace's default (as liverseg doctor says): $XDG_DATA_HOME/liverseg, else
// ~/.local/share/liverseg.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "liverseg"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "liverseg"), nil
}

// migrations brings a database from version i to i+1; PRAGMA user_version holds the version.
// Append only: a released step is never edited.
var migrations = []string{
	// 1: the tables of the design.
	`CREATE TABLE cases (
		id          TEXT PRIMARY KEY,      -- a name chosen on import
		series_path TEXT NOT NULL,
		series_uid  TEXT NOT NULL DEFAULT '',
		patient     TEXT NOT NULL DEFAULT '',
		added       TEXT NOT NULL
	);
	CREATE TABLE label_versions (
		case_id  TEXT NOT NULL REFERENCES cases(id),
		version  INTEGER NOT NULL,
		parent   INTEGER,                  -- the version it was edited from
		origin   TEXT NOT NULL CHECK (origin IN ('model', 'manual', 'imported')),
		model    TEXT NOT NULL DEFAULT '', -- the model version, for origin model
		author   TEXT NOT NULL DEFAULT '',
		created  TEXT NOT NULL,
		path     TEXT NOT NULL,            -- labels/CASE/VERSION.nii.gz, relative to the workspace
		PRIMARY KEY (case_id, version)
	);
	CREATE TABLE review_status (
		case_id  TEXT PRIMARY KEY REFERENCES cases(id),
		status   TEXT NOT NULL CHECK (status IN ('not started', 'in progress', 'completed', 'flagged')),
		comment  TEXT NOT NULL DEFAULT '',
		author   TEXT NOT NULL DEFAULT '',
		updated  TEXT NOT NULL
	);
	CREATE TABLE audit (
		id       INTEGER PRIMARY KEY AUTOINCREMENT,
		time     TEXT NOT NULL,
		author   TEXT NOT NULL DEFAULT '',
		case_id  TEXT NOT NULL DEFAULT '',
		tool     TEXT NOT NULL,
		slice    INTEGER,
		voxels   INTEGER NOT NULL DEFAULT 0 -- voxels changed
	);
	CREATE TABLE models (
		version  TEXT PRIMARY KEY,
		parent   TEXT NOT NULL DEFAULT '',
		created  TEXT NOT NULL,
		path     TEXT NOT NULL,             -- models/VERSION/model.onnx, relative to the workspace
		data     TEXT NOT NULL DEFAULT '{}', -- JSON: the dataset (cases, splits, slices)
		params   TEXT NOT NULL DEFAULT '{}', -- JSON: hyper-parameters
		metrics  TEXT NOT NULL DEFAULT '{}', -- JSON: the report's figures
		val_dice REAL,
		job      TEXT NOT NULL DEFAULT '',
		active   INTEGER NOT NULL DEFAULT 0
	);
	CREATE UNIQUE INDEX one_active_model ON models(active) WHERE active = 1;
	CREATE TABLE jobs (
		id       TEXT PRIMARY KEY,
		kind     TEXT NOT NULL DEFAULT 'train', -- train, search trial
		status   TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
		created  TEXT NOT NULL,
		updated  TEXT NOT NULL,
		path     TEXT NOT NULL,
		params   TEXT NOT NULL DEFAULT '{}',
		model    TEXT NOT NULL DEFAULT '',  -- the version registered from it
		message  TEXT NOT NULL DEFAULT ''
	);`,
	// 2: DICOMweb servers (pacs.go): named, with optional basic auth or a bearer token.
	`CREATE TABLE pacs_servers (
		name     TEXT PRIMARY KEY,
		url      TEXT NOT NULL,             -- the DICOMweb root
		user     TEXT NOT NULL DEFAULT '',
		password TEXT NOT NULL DEFAULT '',
		token    TEXT NOT NULL DEFAULT '',  -- bearer token; wins over user and password
		insecure INTEGER NOT NULL DEFAULT 0, -- 1: TLS certificates not verified (the user's choice)
		added    TEXT NOT NULL
	);`,
}

// SchemaVersion is the version Open migrates to.
func SchemaVersion() int { return len(migrations) }

// Open opens (creating where needed) the workspace at dir: its folders and workspace.db,
// migrated to SchemaVersion. A database newer than this liverseg is an error, never touched.
func Open(ctx context.Context, dir string) (*Workspace, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	for _, sub := range []string{"labels", "models", "jobs", "autosave"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(dir, "workspace.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	w := &Workspace{Dir: dir, db: db}
	if err := w.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

func (w *Workspace) migrate(ctx context.Context) error {
	var v int
	if err := w.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this liverseg (%d): use a newer liverseg", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := w.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (w *Workspace) Close() error { return w.db.Close() }

// DB is the database, for the packages that keep their own tables' rows (labels, review).
func (w *Workspace) DB() *sql.DB { return w.db }

// Version is the database's schema version.
func (w *Workspace) Version(ctx context.Context) (int, error) {
	var v int
	err := w.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

// Rel makes path relative to the workspace where it lies inside it.
func (w *Workspace) Rel(path string) string {
	if r, err := filepath.Rel(w.Dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// Abs resolves a path stored relative to the workspace.
func (w *Workspace) Abs(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(w.Dir, path)
}
