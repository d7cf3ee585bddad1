package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"liverseg/internal/unprivileged"
)

// registeredWorkspace is a closed workspace with one active model, v1, and its report.
func registeredWorkspace(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ws")
	w, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	src := modelDir(t, "one")
	report := `{"version": "v1", "parent": "built-in", "job": "j1", "created": "2024-05-01T10:00:00Z",
		"params": {"base": 16}, "dataset": [{"name": "ircad7"}], "val_dice": 0.91, "epochs": 3}`
	if err := os.WriteFile(filepath.Join(src, "report", "metrics.json"), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "v1", Parent: BuiltInModel, SourceDir: src, ValDice: 0.91, Job: "j1", Activate: true}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Issue 20 item 6: a lost or damaged workspace.db beside models/ is an error saying how to
// recover, never a new empty index; the rebuild brings the model back, active.
func TestOpenRefusesLostIndex(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		break_ func(db string) error
	}{
		{"removed", os.Remove},
		{"zero bytes", func(db string) error { return os.Truncate(db, 0) }},
		{"not SQLite", func(db string) error { return os.WriteFile(db, []byte("not a database at all, just text\n"), 0o644) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := registeredWorkspace(t)
			if err := tc.break_(filepath.Join(dir, IndexName)); err != nil {
				t.Fatal(err)
			}
			_, err := Open(ctx, dir)
			if !errors.Is(err, ErrNoIndex) {
				t.Fatalf("Open: %v, want ErrNoIndex", err)
			}
			if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, "doctor --rebuild") || !strings.Contains(msg, "models/") {
				t.Errorf("the error does not say where and how to recover: %s", msg)
			}
			if _, err := OpenReadOnly(ctx, dir); !errors.Is(err, ErrNoIndex) {
				t.Errorf("OpenReadOnly: %v, want ErrNoIndex", err)
			}
			if st, err := os.Stat(filepath.Join(dir, IndexName)); tc.name == "removed" && err == nil {
				t.Errorf("Open made a database (%d bytes)", st.Size())
			}

			r, err := Rebuild(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Models) != 1 || r.Models[0] != "v1" || r.Active != "v1" {
				t.Fatalf("recovered %+v, want model v1, active", r)
			}
			if tc.name != "removed" && r.MovedAside == "" {
				t.Error("the damaged database was not kept aside")
			}
			w, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			m, err := w.Active(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.Version != "v1" || m.Parent != BuiltInModel || m.Job != "j1" || m.ValDice == nil || *m.ValDice != 0.91 {
				t.Errorf("rebuilt model %+v", m)
			}
			if b, err := os.ReadFile(m.Path); err != nil || string(b) != "one" {
				t.Errorf("model file %q, %v", b, err)
			}
			if _, err := Rebuild(ctx, dir); err == nil {
				t.Error("a usable index rebuilt again")
			}
		})
	}
}

// A new workspace still gets its database: a missing folder, an empty one, one with only the
// empty subfolders Open makes, and many processes opening it at once.
func TestOpenNewWorkspace(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
	}{
		{"missing", func(string) error { return nil }},
		{"empty", func(dir string) error { return os.Mkdir(dir, 0o755) }},
		{"empty subfolders", func(dir string) error {
			for _, s := range subfolders {
				if err := os.MkdirAll(filepath.Join(dir, s), 0o755); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ws")
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			w, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if v, err := w.Version(ctx); err != nil || v != SchemaVersion() {
				t.Fatalf("version %d, %v", v, err)
			}
		})
	}
	t.Run("at once", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ws")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, err := Open(ctx, dir)
				if err == nil {
					_, err = w.Models(ctx)
					w.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// Rebuild recovers label versions and jobs too, and a recovered case takes its series again.
func TestRebuildLabelsAndJobs(t *testing.T) {
	ctx := context.Background()
	w, dir := openTest(t)
	dims := [3]int{7, 5, 4}
	ref := testVolume(dims)
	c := addCase(t, w, "1.2.3")
	for seed := 1; seed <= 2; seed++ {
		if _, err := w.SaveLabel(ctx, c.ID, ref, testMask(dims, seed), OriginManual, 0, "", "me"); err != nil {
			t.Fatal(err)
		}
	}
	for id, last := range map[string]string{"j-cancelled": "cancelled", "j-unknown": "epoch"} {
		jd := w.JobDir(id)
		if err := os.MkdirAll(jd, 0o755); err != nil {
			t.Fatal(err)
		}
		job := `{"id": "` + id + `", "created": "2024-05-01T09:00:00Z", "dataset": "dataset", "epochs": 2, "lr": 0.001}`
		events := `{"event": "start"}` + "\n" + `{"event": "` + last + `"}` + "\n"
		if err := os.WriteFile(filepath.Join(jd, "job.json"), []byte(job), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(jd, "events.jsonl"), []byte(events), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(dir, IndexName+s))
	}
	r, err := Rebuild(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cases != 1 || r.Labels != 2 || r.Jobs != 2 || len(r.Models) != 0 || r.Active != "" {
		t.Fatalf("recovered %+v", r)
	}
	w, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if j, err := w.Job(ctx, "j-cancelled"); err != nil || j.Status != "cancelled" || !strings.Contains(string(j.Params), `"epochs":2`) {
		t.Errorf("job %+v, %v", j, err)
	}
	if j, err := w.Job(ctx, "j-unknown"); err != nil || j.Status != "failed" {
		t.Errorf("job %+v, %v", j, err)
	}
	// Opening the series again finds the recovered case, with its labels.
	again := addCase(t, w, "1.2.3")
	if again.ID != c.ID || again.SeriesUID != "1.2.3" {
		t.Fatalf("case %+v, want %s with its series", again, c.ID)
	}
	m, err := w.LoadLabel(ctx, c.ID, 2, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := testMask(dims, 2)
	if !m.Equal(want) {
		t.Fatal("recovered label version 2 differs")
	}
}

// Issue 20 item 10: a workspace opened read-only reads, and every write says read-only, naming
// the folder, before touching a file. (As root, where a folder's mode stops nothing, this is how
// a read-only workspace is reached; TestReadOnlyFolder has the real one.)
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := registeredWorkspace(t)
	w, err := OpenReadOnly(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if m, err := w.Active(ctx); err != nil || m.Version != "v1" {
		t.Fatalf("active %+v, %v", m, err)
	}
	writes := map[string]error{
		"activate":   w.Activate(ctx, "v1"),
		"start job":  w.StartJob(ctx, "j2", "train", w.JobDir("j2"), nil),
		"add server": w.AddServer(ctx, PACSServer{Name: "p", URL: "http://localhost:8042/dicom-web"}, false),
	}
	_, writes["register"] = w.RegisterModel(ctx, NewModel{Version: "v2", SourceDir: modelDir(t, "two")})
	_, writes["case"] = w.EnsureCase(ctx, Case{SeriesPath: "/s", SeriesUID: "9.9"})
	for what, err := range writes {
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s: %v, want ErrReadOnly naming %s", what, err, dir)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "models", "v2")); !os.IsNotExist(err) {
		t.Error("a refused registration made its folder")
	}
}

// Issue 20 item 10: a workspace folder that cannot be written. Open says read-only, naming the
// folder (not SQLite's "unable to open database file (14)"); OpenReadOnly still lists the models.
// Runs as nobody when the tests run as root (package unprivileged).
func TestReadOnlyFolder(t *testing.T) {
	if !unprivileged.Run(t) {
		return
	}
	ctx := context.Background()
	dir := registeredWorkspace(t)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if probeWrite(dir) == nil {
		t.Fatal("the folder can still be written: the test proves nothing")
	}
	_, err := Open(ctx, dir)
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "(14)") {
		t.Fatalf("Open: %v, want ErrReadOnly naming %s", err, dir)
	}
	w, err := OpenReadOnly(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ms, err := w.Models(ctx)
	if err != nil || len(ms) != 1 || !ms[0].Active {
		t.Fatalf("models %+v, %v", ms, err)
	}
	if err := w.Activate(ctx, "v1"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("activate: %v, want ErrReadOnly", err)
	}
}

// Issue 21: a report keeps its validation figures in "val" under scan.Metrics' names; one
// written before has them as flat val_* keys. Rebuild reads both into the same registry row.
func TestFromReportBothNamings(t *testing.T) {
	want := `{"best_epoch":7,"epochs":9,"val":{"dice":0.91,"iou":0.83,"miou":0.9,"mpa":0.95,"study_miou":0.8,"study_mpa":0.99},"val_level":"volume"}`
	for name, report := range map[string]string{
		"flat (before issue 21)": `{"val_dice": 0.91, "val_level": "volume", "val_iou": 0.83, "val_miou": 0.9, "val_mpa": 0.95,
			"val_study_miou": 0.8, "val_study_mpa": 0.99, "best_epoch": 7, "epochs": 9}`,
		"val": `{"val_level": "volume", "val": {"dice": 0.91, "iou": 0.83, "miou": 0.9, "mpa": 0.95, "study_miou": 0.8,
			"study_mpa": 0.99, "slices": [{"slice": 0}]}, "best_epoch": 7, "epochs": 9}`,
	} {
		var m recoveredModel
		if err := m.fromReport([]byte(report)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.metrics != want || m.valDice != 0.91 {
			t.Errorf("%s: metrics %s, Dice %v\nwant %s, 0.91", name, m.metrics, m.valDice, want)
		}
	}
	var m recoveredModel
	if err := m.fromReport([]byte(`{"val": [1, 2]}`)); err == nil {
		t.Error("a report whose val is not an object")
	}
}
