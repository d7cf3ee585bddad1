package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// PACSServer is a configured DICOMweb server (table pacs_servers). The workspace keeps it as
// given; package pacs checks the URL and talks to it. Secrets are stored in workspace.db, which
// is then made readable by its owner only.
type PACSServer struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	User     string `json:"user,omitempty"`
	Password string `json:"-"` // never printed, never in --json
	Token    string `json:"-"`
	Insecure bool   `json:"insecure,omitempty"`
	Added    string `json:"added"`
}

// HasPassword and HasToken say what a listing may show of the secrets: that they are set.
func (s PACSServer) HasPassword() bool { return s.Password != "" }
func (s PACSServer) HasToken() bool    { return s.Token != "" }

var serverNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// AddServer records a server; a name in use is ErrExists unless replace is set.
func (w *Workspace) AddServer(ctx context.Context, s PACSServer, replace bool) error {
	if err := w.writing(); err != nil {
		return err
	}
	if !serverNameRE.MatchString(s.Name) {
		return fmt.Errorf("PACS server name %q: 1 to 64 letters, digits, '.', '_' and '-', starting with a letter or digit", s.Name)
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("PACS server %s: URL %q: want http://HOST[:PORT]/PATH or https://...", s.Name, s.URL)
	}
	if u.User != nil {
		return fmt.Errorf("PACS server %s: URL %q: give the user and password separately, not in the URL", s.Name, u.Redacted())
	}
	if s.Token != "" && (s.User != "" || s.Password != "") {
		return fmt.Errorf("PACS server %s: a token or a user and password, not both", s.Name)
	}
	stmt := `INSERT INTO pacs_servers (name, url, user, password, token, insecure, added) VALUES (?, ?, ?, ?, ?, ?, ?)`
	if replace {
		stmt = strings.Replace(stmt, "INSERT", "INSERT OR REPLACE", 1)
	}
	insecure := 0
	if s.Insecure {
		insecure = 1
	}
	if _, err := w.db.ExecContext(ctx, stmt, s.Name, strings.TrimSpace(s.URL), s.User, s.Password, s.Token, insecure, now()); err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("PACS server %s: %w", s.Name, ErrExists)
		}
		return fmt.Errorf("PACS server %s: %w", s.Name, err)
	}
	if s.Password != "" || s.Token != "" {
		w.restrictDB()
	}
	return nil
}

// restrictDB makes the database files readable by their owner only, once they hold a secret.
// Best effort: on a file system without modes (or another owner's files) it changes nothing.
func (w *Workspace) restrictDB() {
	base := filepath.Join(w.Dir, "workspace.db")
	for _, p := range []string{base, base + "-wal", base + "-shm"} {
		_ = os.Chmod(p, 0o600)
	}
}

// Servers lists the configured servers by name.
func (w *Workspace) Servers(ctx context.Context) ([]PACSServer, error) {
	return queryAll(ctx, w.db, `SELECT name, url, user, password, token, insecure, added FROM pacs_servers ORDER BY name`, scanServer)
}

// Server returns one server; ErrNotFound when there is none of that name.
func (w *Workspace) Server(ctx context.Context, name string) (PACSServer, error) {
	row := w.db.QueryRowContext(ctx, `SELECT name, url, user, password, token, insecure, added FROM pacs_servers WHERE name = ?`, name)
	s, err := scanServer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return PACSServer{}, fmt.Errorf("PACS server %q: %w (liverseg pacs servers add NAME URL)", name, ErrNotFound)
	}
	return s, err
}

// RemoveServer forgets a server; ErrNotFound when there is none of that name.
func (w *Workspace) RemoveServer(ctx context.Context, name string) error {
	if err := w.writing(); err != nil {
		return err
	}
	res, err := w.db.ExecContext(ctx, `DELETE FROM pacs_servers WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("PACS server %q: %w", name, ErrNotFound)
	}
	return nil
}

func scanServer(r scanner) (PACSServer, error) {
	var s PACSServer
	var insecure int
	if err := r.Scan(&s.Name, &s.URL, &s.User, &s.Password, &s.Token, &insecure, &s.Added); err != nil {
		return PACSServer{}, err
	}
	s.Insecure = insecure != 0
	return s, nil
}
