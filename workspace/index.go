package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"liverseg/scan"
)

// workspace.db is the index of what the folder holds. SQLite takes a missing or zero-byte file
// for a new, empty database, so opening one in a folder that still holds models and labels would
// silently forget them all (and the active model). Open therefore makes a database only for a new
// workspace (a folder that is missing or holds nothing), and refuses a folder with content but no
// usable index with ErrNoIndex, pointing at liverseg doctor --rebuild (Rebuild).

// IndexName is the database's file name in the workspace folder.
const IndexName = "workspace.db"

// RebuildHint is how to recover from ErrNoIndex, for error messages.
func RebuildHint(dir string) string {
	return "liverseg doctor --rebuild --workspace " + dir + " rebuilds it from models/, labels/ and jobs/"
}

// newIndexPrefix names a database being made (createIndex): it is moved into place complete, so
// workspace.db is never seen half-made, and a leftover one is no content of the workspace.
const newIndexPrefix = ".workspace.db.new-"

// probePrefix names the file a write probe creates and removes at once.
const probePrefix = ".liverseg-probe-"

// subfolders are made by Open; empty, they are no content.
var subfolders = []string{"labels", "models", "jobs", "autosave"}

// sqliteMagic opens every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// indexProblem says why the database at path cannot be used ("" when it can): missing, zero
// bytes, or not an SQLite database. A FIFO or a device there is an error (scan.ErrNotRegular).
func indexProblem(path string) (string, error) {
	f, st, err := scan.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "is missing", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st.Size() == 0 {
		return "is empty (0 bytes)", nil
	}
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != sqliteMagic {
		return "is not an SQLite database", nil
	}
	return "", nil
}

// CheckIndex says whether the workspace at dir can be opened without a rebuild: nil for a usable
// workspace.db or a new workspace (Open makes its database), ErrNoIndex for a folder with content
// and no usable index. It changes nothing.
func CheckIndex(dir string) error {
	_, err := checkIndex(dir)
	return err
}

// checkIndex is CheckIndex, and whether the workspace is a new one.
func checkIndex(dir string) (isNew bool, err error) {
	problem, err := indexProblem(filepath.Join(dir, IndexName))
	if err != nil || problem == "" {
		return false, err
	}
	content, err := folderContent(dir)
	if err != nil {
		return false, err
	}
	if len(content) > 0 {
		return false, fmt.Errorf("%s: %w: %s %s but the folder holds %s: %s", dir, ErrNoIndex, IndexName, problem,
			strings.Join(content, ", "), RebuildHint(dir))
	}
	return true, nil
}

// folderContent lists what in dir makes it a workspace with content (nil for a new one): any
// entry but the empty subfolders Open makes, a database being made and a write probe. A missing
// folder has none.
func folderContent(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var content []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, newIndexPrefix) || strings.HasPrefix(name, probePrefix) {
			continue
		}
		if e.IsDir() && isSubfolder(name) {
			sub, err := os.ReadDir(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			if len(sub) == 0 {
				continue
			}
			name += "/"
		}
		content = append(content, name)
	}
	return content, nil
}

func isSubfolder(name string) bool {
	for _, s := range subfolders {
		if s == name {
			return true
		}
	}
	return false
}

// probeWrite says whether dir can be written, by writing: permission bits tell nothing about a
// read-only mount, ACLs, or root.
func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, probePrefix+"*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// readOnlyError says that the workspace at dir cannot be written, and why.
func readOnlyError(dir string, cause error) error {
	var pe *fs.PathError
	if errors.As(cause, &pe) {
		cause = pe.Err
	}
	return fmt.Errorf("%s: %w: the workspace folder cannot be written (%v); commands that only read (models list, show, active; pacs servers list) still work", dir, ErrReadOnly, cause)
}

// checkWritable is Open's test that the workspace can be written: the folder, and workspace.db
// where it exists (SQLite would open a read-only file read-only without a word and fail at the
// first write).
func checkWritable(dir string) error {
	if err := probeWrite(dir); err != nil {
		return readOnlyError(dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, IndexName), os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return readOnlyError(filepath.Join(dir, IndexName), err)
	}
	return f.Close()
}

// openDB opens the SQLite database at path; readOnly opens it with mode=ro, and immutable where
// nothing can change it (the folder cannot be written, so SQLite could not make its -shm file).
func openDB(path string, readOnly, immutable bool) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	switch {
	case immutable:
		dsn += "&mode=ro&immutable=1"
	case readOnly:
		dsn += "&mode=ro"
	default:
		dsn += "&_pragma=journal_mode(WAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// createIndex makes workspace.db in dir, migrated, under a temporary name and then linked into
// place: a process opening the workspace at the same time sees no database or a whole one, never
// a zero-byte file it would take for a damaged index. When another process got there first, its
// database is kept and created is false. fill, when not nil, adds rows before the database is put
// in place (Rebuild).
func createIndex(ctx context.Context, dir string, fill func(*Workspace) error) (created bool, err error) {
	f, err := os.CreateTemp(dir, newIndexPrefix+"*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
			os.Remove(p)
		}
	}()
	db, err := openDB(tmp, false, false)
	if err != nil {
		return false, err
	}
	w := &Workspace{Dir: dir, db: db}
	err = w.migrate(ctx)
	if err == nil && fill != nil {
		err = fill(w)
	}
	// Closing the last connection checkpoints the WAL into the file: the file alone is whole.
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", tmp, err)
	}
	final := filepath.Join(dir, IndexName)
	err = os.Link(tmp, final)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	}
	// A file system without hard links: rename, unless a database appeared meanwhile.
	if _, serr := os.Lstat(final); serr == nil {
		return false, nil
	}
	if err := os.Rename(tmp, final); err != nil {
		return false, err
	}
	return true, nil
}
