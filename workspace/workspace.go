// Package workspace is liverseg's folder of record (DESIGN.md, Workspace): workspace.db (SQLite,
// pure Go) with cases, label versions, review status, the audit log, models and jobs, beside
// labels/CASE/VERSION.nii.gz, models/VERSION/ (model, card, report), jobs/ID/ and autosave/.
package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
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
	// ErrNoIndex: the folder holds a workspace's files but workspace.db is missing, empty or not
	// an SQLite database (index.go).
	ErrNoIndex = errors.New("no usable workspace index")
	// ErrReadOnly: the workspace cannot be written (the folder or workspace.db is read-only, or
	// it was opened with OpenReadOnly).
	ErrReadOnly = errors.New("read-only")
)

// Workspace is an open workspace folder.
type Workspace struct {
	Dir      string
	db       *sql.DB
	readOnly bool // opened with OpenReadOnly: writes are refused (writing)
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
	// 3: the plane an edit was made in (issue 22: editing in every plane). Before it, every
	// edit tool worked on axial slices: an entry that names a slice, and an interpolation
	// (between axial slices, with no slice of its own), was made in axial; the rest (saves,
	// whole-volume tools) have none.
	`ALTER TABLE audit ADD COLUMN plane TEXT NOT NULL DEFAULT '' CHECK (plane IN ('', 'axial', 'coronal', 'sagittal'));
	UPDATE audit SET plane = 'axial' WHERE slice IS NOT NULL OR tool = 'interpolate' OR tool LIKE '% interpolate';`,
	// 4: model kinds (issue 23): an interactive model redraws a slice from clicks beside the
	// automatic one that segments a series; each kind has its own active model. The models
	// before it were all automatic.
	`ALTER TABLE models ADD COLUMN kind TEXT NOT NULL DEFAULT 'automatic' CHECK (kind IN ('automatic', 'interactive'));
	DROP INDEX one_active_model;
	CREATE UNIQUE INDEX one_active_model_of_kind ON models(kind) WHERE active = 1;`,
}

// SchemaVersion is the version Open migrates to.
func SchemaVersion() int { return len(migrations) }

// Open opens the workspace at dir for reading and writing: its folders and workspace.db, migrated
// to SchemaVersion. The database is made only for a new workspace (dir missing or empty); a folder
// with content but no usable database is ErrNoIndex, one that cannot be written ErrReadOnly. A
// database newer than this liverseg is an error, never touched.
func Open(ctx context.Context, dir string) (*Workspace, error) { return open(ctx, dir, false) }

// OpenReadOnly opens the workspace at dir for a command that only reads: the database opens
// read-only (immutable where the folder cannot be written, since SQLite could not even make its
// shared-memory file there), so a read-only workspace still lists and shows. Every write on it is
// ErrReadOnly. A new workspace is made as Open makes it.
func OpenReadOnly(ctx context.Context, dir string) (*Workspace, error) { return open(ctx, dir, true) }

func open(ctx context.Context, dir string, readOnly bool) (*Workspace, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(dir, IndexName)
	isNew, err := checkIndex(dir)
	if err != nil {
		return nil, err
	}
	if isNew {
		// A new workspace.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil, readOnlyError(dir, err)
			}
			return nil, err
		}
		if err := probeWrite(dir); err != nil {
			return nil, readOnlyError(dir, err)
		}
		if _, err := createIndex(ctx, dir, nil); err != nil {
			return nil, err
		}
	}
	if readOnly {
		return openRead(ctx, dir)
	}
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	for _, sub := range subfolders {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	db, err := openDB(path, false, false)
	if err != nil {
		return nil, err
	}
	w := &Workspace{Dir: dir, db: db}
	if err := w.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// openRead opens an existing workspace.db read-only. An older schema is migrated first where the
// folder can be written; where it cannot, it is an error (the queries would miss tables).
func openRead(ctx context.Context, dir string) (*Workspace, error) {
	path := filepath.Join(dir, IndexName)
	writable := probeWrite(dir) == nil
	// Immutable ignores a -wal file: where one holds transactions not yet checkpointed, plain
	// mode=ro reads them (it needs the -shm file there too, which a clean close leaves none of).
	immutable := !writable
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		immutable = false
	}
	db, err := openDB(path, true, immutable)
	if err != nil {
		return nil, err
	}
	w := &Workspace{Dir: dir, db: db, readOnly: true}
	v, err := w.Version(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case v > len(migrations):
		db.Close()
		return nil, fmt.Errorf("%s: schema version %d is newer than this liverseg (%d): use a newer liverseg", path, v, len(migrations))
	case v < len(migrations) && !writable:
		db.Close()
		return nil, fmt.Errorf("%s: %w: schema version %d, this liverseg needs %d: open it once where %s can be written",
			path, ErrReadOnly, v, len(migrations), dir)
	case v < len(migrations):
		db.Close()
		rw, err := open(ctx, dir, false)
		if err != nil {
			return nil, err
		}
		rw.Close()
		return openRead(ctx, dir)
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

// ReadOnly says whether the workspace was opened read-only.
func (w *Workspace) ReadOnly() bool { return w.readOnly }

// writing is the first step of every method that writes: on a workspace opened read-only it is
// ErrReadOnly naming the folder, before any file is touched.
func (w *Workspace) writing() error {
	if w.readOnly {
		return fmt.Errorf("%s: %w: the workspace is opened read-only (a command that only reads)", w.Dir, ErrReadOnly)
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
