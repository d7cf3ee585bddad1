package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"liverseg/scan"
)

// Rebuild makes a new workspace.db from what the folders hold, for a workspace whose index is lost
// (ErrNoIndex) or damaged: models/VERSION/ (the model, its report/metrics.json, models/ACTIVE),
// labels/CASE/VERSION.nii.gz and jobs/ID/job.json. Review status and the audit log lived only in
// the database and are not recovered. An unusable database is kept beside, renamed
// workspace.db.broken-TIME, never removed. A usable index is left alone (an error).

// Recovered is what Rebuild found and recorded.
type Recovered struct {
	Dir    string   `json:"dir"`
	Models []string `json:"models"`
	Active string   `json:"active,omitempty"` // "" where models/ACTIVE does not say (or names none recovered)
	// ActiveInteractive: the active interactive model, from models/ACTIVE-interactive.
	ActiveInteractive string   `json:"active_interactive,omitempty"`
	Cases             int      `json:"cases"`
	Labels            int      `json:"label_versions"`
	Jobs              int      `json:"jobs"`
	MovedAside        string   `json:"moved_aside,omitempty"` // the unusable database, kept under this name
	Skipped           []string `json:"skipped"`               // what could not be recovered, and why
}

// maxReportBytes caps a model's report/metrics.json: its per-slice figures make it larger than a
// configuration, yet it is JSON a person could read.
const maxReportBytes = 64 << 20

// maxEventsTail is how much of a job's events.jsonl is read to find how it ended.
const maxEventsTail = 64 << 10

var labelFileRE = regexp.MustCompile(`^([1-9][0-9]{0,8})\.nii\.gz$`)

// Rebuild rebuilds the index of the workspace at dir (see above).
func Rebuild(ctx context.Context, dir string) (*Recovered, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	path := filepath.Join(dir, IndexName)
	problem, err := indexProblem(path)
	if err != nil {
		return nil, err
	}
	if problem == "" {
		why, err := damage(ctx, path)
		if err != nil {
			return nil, err
		}
		if why == "" {
			return nil, fmt.Errorf("%s: the index is usable: nothing to rebuild", path)
		}
	}
	if err := probeWrite(dir); err != nil {
		return nil, readOnlyError(dir, err)
	}
	for _, sub := range subfolders {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	r := &Recovered{Dir: dir, Models: []string{}, Skipped: []string{}}
	// Set aside the unusable database (with its WAL files) before the new one takes its name.
	if _, err := os.Lstat(path); err == nil {
		aside := path + ".broken-" + time.Now().UTC().Format("20060102-150405")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		r.MovedAside = aside
	}
	created, err := createIndex(ctx, dir, func(w *Workspace) error { return w.recover(ctx, r) })
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, fmt.Errorf("%s: another liverseg made a new database while this one was rebuilt: nothing rebuilt (run liverseg doctor --rebuild again if it is empty)", path)
	}
	return r, nil
}

// damage checks a database whose header is SQLite's, whole: what is wrong with it ("" when
// nothing is). A database of a newer liverseg is an error: this one cannot tell.
func damage(ctx context.Context, path string) (string, error) {
	db, err := openDB(path, true, false)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err.Error(), nil
	}
	if v > len(migrations) {
		return "", fmt.Errorf("%s: schema version %d is newer than this liverseg (%d): use a newer liverseg", path, v, len(migrations))
	}
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return err.Error(), nil
	}
	if res != "ok" {
		return res, nil
	}
	return "", nil
}

// recover fills a new database from the folders, in one transaction.
func (w *Workspace) recover(ctx context.Context, r *Recovered) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	exec := func(q string, args ...any) error { _, err := tx.ExecContext(ctx, q, args...); return err }
	skip := func(format string, a ...any) { r.Skipped = append(r.Skipped, fmt.Sprintf(format, a...)) }

	jobModel := map[string]string{} // job ID -> the model registered from it
	models, err := w.recoverModels(ctx, skip)
	if err != nil {
		return err
	}
	for _, m := range models {
		if err := exec(`INSERT INTO models (version, parent, created, path, data, params, metrics, val_dice, job, kind)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.version, m.parent, m.created, m.path, m.data, m.params, m.metrics, m.valDice, m.job, m.kind); err != nil {
			return fmt.Errorf("model %s: %w", m.version, err)
		}
		r.Models = append(r.Models, m.version)
		if m.job != "" {
			jobModel[m.job] = m.version
		}
	}
	for _, kind := range []string{KindAutomatic, KindInteractive} {
		active := w.readActiveFile(ctx, kind)
		if active == "" {
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE models SET active = 1 WHERE version = ? AND kind = ?`, active, kind)
		if err != nil {
			return err
		}
		switch n, _ := res.RowsAffected(); {
		case n != 1:
			skip("models/%s names %s, which is not among the %s models recovered: no active %s model", activeFileOf(kind), active, kind, kind)
		case kind == KindAutomatic:
			r.Active = active
		default:
			r.ActiveInteractive = active
		}
	}

	cases, labels, err := w.recoverLabels(skip)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if err := exec(`INSERT INTO cases (id, series_path, series_uid, patient, added) VALUES (?, '', '', '', ?)`, c.id, c.added); err != nil {
			return fmt.Errorf("case %s: %w", c.id, err)
		}
	}
	for _, l := range labels {
		if err := exec(`INSERT INTO label_versions (case_id, version, parent, origin, model, author, created, path)
			VALUES (?, ?, NULL, ?, '', '', ?, ?)`, l.caseID, l.version, OriginImported, l.created, l.path); err != nil {
			return fmt.Errorf("label of case %s version %d: %w", l.caseID, l.version, err)
		}
	}
	r.Cases, r.Labels = len(cases), len(labels)

	jobs, err := w.recoverJobs(ctx, jobModel, skip)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if err := exec(`INSERT INTO jobs (id, kind, status, created, updated, path, params, model, message)
			VALUES (?, 'train', ?, ?, ?, ?, ?, ?, ?)`, j.id, j.status, j.created, j.updated, j.path, j.params, j.model, j.message); err != nil {
			return fmt.Errorf("job %s: %w", j.id, err)
		}
	}
	r.Jobs = len(jobs)
	return tx.Commit()
}

type recoveredModel struct {
	version, parent, created, path, data, params, metrics, job string
	kind                                                       string // from the report; automatic where it says none
	valDice                                                    any
}

// recoverModels reads models/VERSION/: a folder with a model.onnx is a model; its
// report/metrics.json (training's report) gives lineage, data, hyper-parameters and figures.
func (w *Workspace) recoverModels(ctx context.Context, skip func(string, ...any)) ([]recoveredModel, error) {
	root := filepath.Join(w.Dir, "models")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []recoveredModel
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || isActiveFile(name) {
			continue // a registration under way, or the active model's copy
		}
		if !e.IsDir() || !versionRE.MatchString(name) {
			skip("models/%s: not a model folder", name)
			continue
		}
		onnx := filepath.Join(root, name, "model.onnx")
		st, err := scan.CheckPath(onnx)
		if err != nil || !st.Mode().IsRegular() {
			skip("models/%s: no model.onnx", name)
			continue
		}
		m := recoveredModel{version: name, created: st.ModTime().UTC().Format(time.RFC3339), path: w.Rel(onnx),
			data: "{}", params: "{}", metrics: "{}", kind: KindAutomatic}
		report := filepath.Join(root, name, "report", "metrics.json")
		b, err := scan.ReadFileLimit(ctx, report, maxReportBytes, "a model's report")
		switch {
		case errors.Is(err, fs.ErrNotExist):
			skip("models/%s: no report/metrics.json: lineage, data and figures unknown", name)
		case err != nil:
			skip("%v: lineage, data and figures unknown", err)
		default:
			if err := m.fromReport(b); err != nil {
				skip("%s: %v: lineage, data and figures unknown", report, err)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// fromReport takes what the registry keeps from training's report/metrics.json (training.Report;
// the metrics are the registry's summary of it, training.Summary, less the per-case Dice).
func (m *recoveredModel) fromReport(b []byte) error {
	var rep map[string]json.RawMessage
	if err := json.Unmarshal(b, &rep); err != nil {
		return err
	}
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(rep[k], &s)
		return s
	}
	m.parent, m.job = str("parent"), str("job")
	if k := str("kind"); k != "" {
		kind, err := checkKind(k)
		if err != nil {
			return err
		}
		m.kind = kind
	}
	if c := str("created"); c != "" {
		m.created = c
	}
	if raw, ok := rep["dataset"]; ok {
		m.data = string(raw)
	}
	if raw, ok := rep["params"]; ok {
		m.params = string(raw)
	}
	summary := map[string]json.RawMessage{}
	for _, k := range []string{"val_level", "ort_max_diff", "best_epoch", "epochs"} {
		if v, ok := rep[k]; ok {
			summary[k] = v
		}
	}
	val, err := reportVal(rep)
	if err != nil {
		return err
	}
	if len(val) > 0 {
		if summary["val"], err = json.Marshal(val); err != nil {
			return err
		}
	}
	s, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	m.metrics = string(s)
	var dice float64
	if json.Unmarshal(val["dice"], &dice) == nil && dice > 0 {
		m.valDice = dice
	}
	return nil
}

// reportVal is a report's validation figures under scan.Metrics' names (dice, iou, miou, mpa,
// study_miou, study_mpa, truth_ml, pred_ml), without the per-slice ones. A report keeps them in
// "val"; one written before issue 21 has them as flat keys (val_dice, val_iou, ...), still read.
func reportVal(rep map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	val := map[string]json.RawMessage{}
	if raw, ok := rep["val"]; ok {
		if err := json.Unmarshal(raw, &val); err != nil {
			return nil, fmt.Errorf("val: %w", err)
		}
		delete(val, "slices")
		return val, nil
	}
	for _, name := range []string{"dice", "iou", "miou", "mpa", "study_miou", "study_mpa"} {
		if v, ok := rep["val_"+name]; ok {
			val[name] = v
		}
	}
	return val, nil
}

// readActiveFile is the version models/ACTIVE (or ACTIVE-interactive for that kind) names (""
// where there is none).
func (w *Workspace) readActiveFile(ctx context.Context, kind string) string {
	b, err := scan.ReadFileLimit(ctx, filepath.Join(w.Dir, "models", activeFileOf(kind)), 4<<10, "the active model's name")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

type recoveredCase struct{ id, added string }

type recoveredLabel struct {
	caseID  string
	version int
	created string
	path    string
}

// recoverLabels reads labels/CASE/VERSION.nii.gz. The series of a case, a version's parent, its
// origin and author lived only in the database: the origin is recorded as imported, and the case
// takes its series again when that series is opened (EnsureCase).
func (w *Workspace) recoverLabels(skip func(string, ...any)) ([]recoveredCase, []recoveredLabel, error) {
	root := filepath.Join(w.Dir, "labels")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, err
	}
	var cases []recoveredCase
	var labels []recoveredLabel
	for _, e := range entries {
		id := e.Name()
		if !e.IsDir() || CheckCaseID(id) != nil {
			skip("labels/%s: not a case folder", id)
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, id))
		if err != nil {
			return nil, nil, err
		}
		var mine []recoveredLabel
		added := ""
		for _, f := range files {
			m := labelFileRE.FindStringSubmatch(f.Name())
			if m == nil {
				if !strings.HasPrefix(f.Name(), ".") { // a save under way
					skip("labels/%s/%s: not a label version", id, f.Name())
				}
				continue
			}
			p := filepath.Join(root, id, f.Name())
			st, err := scan.CheckPath(p)
			if err != nil || !st.Mode().IsRegular() {
				skip("labels/%s/%s: not a regular file", id, f.Name())
				continue
			}
			v, _ := strconv.Atoi(m[1])
			t := dbTime(st.ModTime())
			if added == "" || t < added {
				added = t
			}
			mine = append(mine, recoveredLabel{caseID: id, version: v, created: t, path: w.Rel(p)})
		}
		if len(mine) == 0 {
			continue
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].version < mine[j].version })
		cases = append(cases, recoveredCase{id: id, added: added})
		labels = append(labels, mine...)
	}
	return cases, labels, nil
}

type recoveredJob struct {
	id, status, created, updated, path, params, model, message string
}

// jobFileKeys are job.json's own keys (training.JobFile); the rest are the hyper-parameters, what
// the jobs table keeps as params.
var jobFileKeys = []string{"dataset", "out", "resume", "init", "init_check", "id", "name", "parent", "created", "config", "author"}

// recoverJobs reads jobs/ID/job.json, and how the job ended from the model registered from it or
// else the last event of its events.jsonl.
func (w *Workspace) recoverJobs(ctx context.Context, jobModel map[string]string, skip func(string, ...any)) ([]recoveredJob, error) {
	root := filepath.Join(w.Dir, "jobs")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []recoveredJob
	for _, e := range entries {
		id := e.Name()
		if !e.IsDir() || strings.HasPrefix(id, ".") {
			continue
		}
		dir := filepath.Join(root, id)
		jf := filepath.Join(dir, "job.json")
		b, err := scan.ReadFileLimit(ctx, jf, scan.MaxConfigBytes, "a job file")
		if err != nil {
			skip("jobs/%s: %v", id, err)
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			skip("%s: %v", jf, err)
			continue
		}
		j := recoveredJob{id: id, path: w.Rel(dir)}
		_ = json.Unmarshal(fields["created"], &j.created)
		st, _ := os.Stat(jf)
		if j.created == "" && st != nil {
			j.created = st.ModTime().UTC().Format(time.RFC3339)
		}
		j.updated = j.created
		for _, k := range jobFileKeys {
			delete(fields, k)
		}
		params, err := json.Marshal(fields)
		if err != nil {
			return nil, err
		}
		j.params = string(params)
		last, when := lastEvent(filepath.Join(dir, "events.jsonl"))
		if when != "" {
			j.updated = when
		}
		switch {
		case jobModel[id] != "":
			j.status, j.model = "done", jobModel[id]
		case last == "cancelled":
			j.status, j.message = "cancelled", "cancelled; resume with liverseg train --resume "+id
		case last == "done":
			j.status, j.message = "failed", "the worker finished but no model was registered: liverseg train --import "+dir
		case last == "error":
			j.status, j.message = "failed", "the worker failed: see "+filepath.Join(dir, "worker.log")
		default:
			j.status, j.message = "failed", "recovered by liverseg doctor --rebuild: how the job ended is not known"
		}
		out = append(out, j)
	}
	return out, nil
}

// lastEvent is the name of the last event in an events.jsonl, read from its tail only, and the
// file's modification time ("", "" when there is none).
func lastEvent(path string) (name, when string) {
	f, st, err := scan.OpenRegular(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	when = st.ModTime().UTC().Format(time.RFC3339)
	off := max(st.Size()-maxEventsTail, 0)
	buf := make([]byte, st.Size()-off)
	n, err := f.ReadAt(buf, off)
	if err != nil && err != io.EOF {
		return "", when
	}
	lines := strings.Split(strings.TrimSpace(string(buf[:n])), "\n")
	var ev struct {
		Event string `json:"event"`
	}
	if json.Unmarshal([]byte(lines[len(lines)-1]), &ev) != nil {
		return "", when
	}
	return ev.Event, when
}
