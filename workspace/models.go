package workspace

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"liverseg/internal/atomicfile"
	"liverseg/scan"
)

// Model is a registered model: its version, lineage, data, hyper-parameters and figures.
type Model struct {
	Version string          `json:"version"`
	Parent  string          `json:"parent,omitempty"`
	Created string          `json:"created"`
	Path    string          `json:"path"` // the model.onnx, absolute
	Dir     string          `json:"dir"`  // models/VERSION, absolute
	Data    json.RawMessage `json:"data"`
	Params  json.RawMessage `json:"params"`
	Metrics json.RawMessage `json:"metrics"`
	ValDice *float64        `json:"val_dice"`
	Job     string          `json:"job,omitempty"`
	// Kind is KindAutomatic or KindInteractive (the model's liverseg.kind); each kind has its
	// own active model.
	Kind   string `json:"kind"`
	Active bool   `json:"active"`
}

// Model kinds, as the model contract names them (inference.KindAutomatic, KindInteractive).
const (
	KindAutomatic   = "automatic"
	KindInteractive = "interactive"
)

// checkKind says whether kind is one the registry records ("" is automatic).
func checkKind(kind string) (string, error) {
	switch kind {
	case "", KindAutomatic:
		return KindAutomatic, nil
	case KindInteractive:
		return kind, nil
	}
	return "", fmt.Errorf("model kind %q: want %s or %s", kind, KindAutomatic, KindInteractive)
}

// NewModel is what RegisterModel needs: the files come from SourceDir (model.onnx, and where
// present weights.pt, MODEL_CARD.md and report/), the rest is recorded as given.
type NewModel struct {
	Version   string
	Parent    string
	SourceDir string
	Data      any
	Params    any
	Metrics   any
	ValDice   float64 // 0 = unknown
	Job       string
	Kind      string // KindAutomatic ("" too) or KindInteractive
	Activate  bool   // make it the active model of its kind
}

var versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// modelFiles are copied from a job into models/VERSION/.
var modelFiles = []string{"model.onnx", "weights.pt", "MODEL_CARD.md", "report"}

// BuiltInModel is the parent of a model fine-tuned from the one built into liverseg, which the
// registry does not hold: the lineage reads "built-in" rather than nothing.
const BuiltInModel = "built-in"

// RegisterModel copies the model's files into models/VERSION/ and records it. A version that
// exists is an error. The folder appears complete or not at all: it is filled under a temporary
// name and renamed, and removed again if the record cannot be written.
func (w *Workspace) RegisterModel(ctx context.Context, m NewModel) (*Model, error) {
	if err := w.writing(); err != nil {
		return nil, err
	}
	if !versionRE.MatchString(m.Version) || isActiveFile(m.Version) {
		return nil, fmt.Errorf("model version %q: letters, digits, '.', '_' and '-' only (and not %s)", m.Version, activeFile)
	}
	kind, err := checkKind(m.Kind)
	if err != nil {
		return nil, err
	}
	if _, err := w.Model(ctx, m.Version); err == nil {
		return nil, fmt.Errorf("model %s: %w", m.Version, ErrExists)
	}
	if m.Parent != "" && m.Parent != BuiltInModel {
		if _, err := w.Model(ctx, m.Parent); err != nil {
			return nil, fmt.Errorf("parent model %s: %w", m.Parent, err)
		}
	}
	src := filepath.Join(m.SourceDir, "model.onnx")
	if _, err := os.Stat(src); err != nil {
		return nil, err
	}
	enc := func(v any) (string, error) {
		if v == nil {
			return "{}", nil
		}
		if raw, ok := v.(json.RawMessage); ok {
			return string(raw), nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	data, err := enc(m.Data)
	if err != nil {
		return nil, err
	}
	params, err := enc(m.Params)
	if err != nil {
		return nil, err
	}
	metrics, err := enc(m.Metrics)
	if err != nil {
		return nil, err
	}
	final := filepath.Join(w.Dir, "models", m.Version)
	if _, err := os.Stat(final); err == nil {
		return nil, fmt.Errorf("%s: %w (a folder without a record: remove it or pick another version)", final, ErrExists)
	}
	tmp := filepath.Join(w.Dir, "models", "."+m.Version+".tmp")
	os.RemoveAll(tmp)
	for _, f := range modelFiles {
		if err := copyTree(filepath.Join(m.SourceDir, f), filepath.Join(tmp, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(tmp)
			return nil, err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	var dice any
	if m.ValDice > 0 {
		dice = m.ValDice
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		os.RemoveAll(final)
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO models (version, parent, created, path, data, params, metrics, val_dice, job, kind)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.Version, m.Parent, now(), w.Rel(filepath.Join(final, "model.onnx")), data, params, metrics, dice, m.Job, kind)
	if err == nil && m.Activate {
		err = w.activate(ctx, tx, m.Version)
	}
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Rollback()
	}
	if err != nil {
		os.RemoveAll(final)
		return nil, err
	}
	return w.Model(ctx, m.Version)
}

// activate makes version the active model of its kind; the other kind's active model stays.
func (w *Workspace) activate(ctx context.Context, tx *sql.Tx, version string) error {
	var kind string
	err := tx.QueryRowContext(ctx, `SELECT kind FROM models WHERE version = ?`, version).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("model %s: %w", version, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE models SET active = 0 WHERE active = 1 AND kind = ?`, kind); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE models SET active = 1 WHERE version = ?`, version); err != nil {
		return err
	}
	// Written while the transaction holds SQLite's write lock, so two activations cannot leave
	// the file naming the one that lost.
	return w.writeActiveFile(kind, version)
}

// activeFile is models/ACTIVE: the active automatic model's version, beside the database, so
// that Rebuild knows it when the database is lost (models/ACTIVE-interactive: the active
// interactive model's). The database stays the record; the files are its copy.
const activeFile = "ACTIVE"

// activeFileOf is the name of the file that names the active model of a kind.
func activeFileOf(kind string) string {
	if kind == KindInteractive {
		return activeFile + "-" + KindInteractive
	}
	return activeFile
}

func isActiveFile(name string) bool {
	return name == activeFileOf(KindAutomatic) || name == activeFileOf(KindInteractive)
}

// writeActiveFile replaces the kind's active file whole (atomicfile.WriteBytes).
func (w *Workspace) writeActiveFile(kind, version string) error {
	return atomicfile.WriteBytes(filepath.Join(w.Dir, "models", activeFileOf(kind)), 0o644, []byte(version+"\n"))
}

// Activate makes version the model liverseg uses by default for its kind: an automatic model
// segments, an interactive one answers clicks; activating one kind leaves the other's active
// model as it is.
func (w *Workspace) Activate(ctx context.Context, version string) error {
	if err := w.writing(); err != nil {
		return err
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := w.activate(ctx, tx, version); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

const modelColumns = `version, parent, created, path, data, params, metrics, val_dice, job, kind, active`

func (w *Workspace) scanModel(row scanner) (*Model, error) {
	var m Model
	var data, params, metrics string
	var dice sql.NullFloat64
	var active int
	if err := row.Scan(&m.Version, &m.Parent, &m.Created, &m.Path, &data, &params, &metrics, &dice, &m.Job, &m.Kind, &active); err != nil {
		return nil, err
	}
	m.Path = w.Abs(m.Path)
	m.Dir = filepath.Dir(m.Path)
	m.Data, m.Params, m.Metrics = json.RawMessage(data), json.RawMessage(params), json.RawMessage(metrics)
	if dice.Valid {
		m.ValDice = &dice.Float64
	}
	m.Active = active == 1
	return &m, nil
}

// Model is the registered model of a version.
func (w *Workspace) Model(ctx context.Context, version string) (*Model, error) {
	m, err := w.scanModel(w.db.QueryRowContext(ctx, `SELECT `+modelColumns+` FROM models WHERE version = ?`, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("model %s: %w", version, ErrNotFound)
	}
	return m, err
}

// Models lists the registered models, oldest first.
func (w *Workspace) Models(ctx context.Context) ([]*Model, error) {
	return queryAll(ctx, w.db, `SELECT `+modelColumns+` FROM models ORDER BY created, version`, w.scanModel)
}

// ModelsOfKind lists the registered models of a kind (KindAutomatic or KindInteractive), oldest
// first.
func (w *Workspace) ModelsOfKind(ctx context.Context, kind string) ([]*Model, error) {
	kind, err := checkKind(kind)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, w.db, `SELECT `+modelColumns+` FROM models WHERE kind = ? ORDER BY created, version`, w.scanModel, kind)
}

// Active is the active automatic model (the one that segments); ErrNotFound when none is.
func (w *Workspace) Active(ctx context.Context) (*Model, error) {
	return w.ActiveOfKind(ctx, KindAutomatic)
}

// ActiveOfKind is the active model of a kind (KindAutomatic or KindInteractive); ErrNotFound
// when none is.
func (w *Workspace) ActiveOfKind(ctx context.Context, kind string) (*Model, error) {
	kind, err := checkKind(kind)
	if err != nil {
		return nil, err
	}
	m, err := w.scanModel(w.db.QueryRowContext(ctx, `SELECT `+modelColumns+` FROM models WHERE active = 1 AND kind = ?`, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("active %s model: %w", kind, ErrNotFound)
	}
	return m, err
}

// Job is a training job as the workspace records it.
type Job struct {
	ID      string          `json:"id"`
	Kind    string          `json:"kind"`
	Status  string          `json:"status"` // running, done, cancelled, failed
	Created string          `json:"created"`
	Updated string          `json:"updated"`
	Path    string          `json:"path"`
	Params  json.RawMessage `json:"params"`
	Model   string          `json:"model,omitempty"`
	Message string          `json:"message,omitempty"`
}

// JobDir is the folder of job id: jobs/ID.
func (w *Workspace) JobDir(id string) string { return filepath.Join(w.Dir, "jobs", id) }

// StartJob records a job as running (again, when it exists: a resumed job).
func (w *Workspace) StartJob(ctx context.Context, id, kind, path string, params any) error {
	if err := w.writing(); err != nil {
		return err
	}
	b, err := json.Marshal(params)
	if err != nil {
		return err
	}
	t := now()
	_, err = w.db.ExecContext(ctx, `INSERT INTO jobs (id, kind, status, created, updated, path, params) VALUES (?, ?, 'running', ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET status = 'running', updated = excluded.updated, message = ''`,
		id, kind, t, t, w.Rel(path), string(b))
	return err
}

// EndJob records how a job ended: status done, cancelled or failed, the model registered from it
// and a message.
func (w *Workspace) EndJob(ctx context.Context, id, status, model, message string) error {
	if err := w.writing(); err != nil {
		return err
	}
	// a cancelled context must still be able to say that the job was cancelled
	res, err := w.db.ExecContext(context.WithoutCancel(ctx), `UPDATE jobs SET status = ?, model = ?, message = ?, updated = ? WHERE id = ?`,
		status, model, message, now(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	return nil
}

// Job is the record of job id.
func (w *Workspace) Job(ctx context.Context, id string) (*Job, error) {
	var j Job
	var params string
	err := w.db.QueryRowContext(ctx, `SELECT id, kind, status, created, updated, path, params, model, message FROM jobs WHERE id = ?`, id).
		Scan(&j.ID, &j.Kind, &j.Status, &j.Created, &j.Updated, &j.Path, &params, &j.Model, &j.Message)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	j.Params = json.RawMessage(params)
	j.Path = w.Abs(j.Path)
	return &j, err
}

// copyTree copies a file or a folder.
func copyTree(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if st.IsDir() {
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if err := copyTree(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, _, err := scan.OpenRegular(src) // a FIFO in a job folder would block the copy
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
