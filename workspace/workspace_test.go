package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func modelDir(t *testing.T, content string) string {
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, "model.onnx"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(d, "report", "panels"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "report", "panels", "a.png"), []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := w.Version(ctx); err != nil || v != SchemaVersion() {
		t.Fatalf("version %d %v", v, err)
	}
	for _, table := range []string{"cases", "label_versions", "review_status", "audit", "models", "jobs"} {
		var n int
		if err := w.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	for _, sub := range []string{"labels", "models", "jobs", "autosave"} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err != nil || !st.IsDir() {
			t.Errorf("folder %s: %v", sub, err)
		}
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "a", SourceDir: modelDir(t, "a")}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// reopened: nothing migrated twice, the rows kept
	w, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := w.Models(ctx); err != nil || len(ms) != 1 {
		t.Fatalf("models after reopening: %v %v", ms, err)
	}
	// a database from a newer liverseg is refused, not touched
	if _, err := w.DB().ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := Open(ctx, dir); err == nil {
		t.Fatal("a newer schema opened")
	}
}

func TestModelRegistry(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Active(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("active in an empty registry: %v", err)
	}
	a, err := w.RegisterModel(ctx, NewModel{Version: "v1", SourceDir: modelDir(t, "one"), Params: map[string]int{"base": 16},
		Metrics: map[string]float64{"val_dice": 0.9}, ValDice: 0.9, Activate: true})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Active || a.ValDice == nil || *a.ValDice != 0.9 {
		t.Fatalf("registered %+v", a)
	}
	if b, err := os.ReadFile(a.Path); err != nil || string(b) != "one" {
		t.Fatalf("model file: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(a.Dir, "report", "panels", "a.png")); err != nil {
		t.Error(err)
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "v1", SourceDir: modelDir(t, "again")}); !errors.Is(err, ErrExists) {
		t.Fatalf("registering v1 twice: %v", err)
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "v2", Parent: "nope", SourceDir: modelDir(t, "two")}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown parent: %v", err)
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "../x", SourceDir: modelDir(t, "x")}); err == nil {
		t.Fatal("a version with a path in it")
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "v3", SourceDir: t.TempDir()}); err == nil {
		t.Fatal("a model without model.onnx")
	}
	if _, err := os.Stat(filepath.Join(w.Dir, "models", "v3")); !os.IsNotExist(err) {
		t.Fatal("a failed registration left a folder")
	}
	b, err := w.RegisterModel(ctx, NewModel{Version: "v2", Parent: "v1", SourceDir: modelDir(t, "two")})
	if err != nil {
		t.Fatal(err)
	}
	if b.Active || b.Parent != "v1" {
		t.Fatalf("v2: %+v", b)
	}
	if act, _ := w.Active(ctx); act.Version != "v1" {
		t.Fatalf("active %s, want v1 still", act.Version)
	}
	if err := w.Activate(ctx, "v2"); err != nil {
		t.Fatal(err)
	}
	if err := w.Activate(ctx, "v9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("activating an unknown version: %v", err)
	}
	ms, err := w.Models(ctx)
	if err != nil || len(ms) != 2 {
		t.Fatal(ms, err)
	}
	active := 0
	for _, m := range ms {
		if m.Active {
			active++
			if m.Version != "v2" {
				t.Errorf("active %s", m.Version)
			}
		}
	}
	if active != 1 {
		t.Fatalf("%d active models", active)
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "v9", Parent: "v8", SourceDir: modelDir(t, "nine")}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a parent the registry lacks: %v, want ErrNotFound", err)
	}
	ft, err := w.RegisterModel(ctx, NewModel{Version: "ft", Parent: BuiltInModel, SourceDir: modelDir(t, "ft")})
	if err != nil || ft.Parent != BuiltInModel {
		t.Fatalf("a model fine-tuned from the built-in one: %+v, %v", ft, err)
	}
}

func TestJobs(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.StartJob(ctx, "j1", "train", w.JobDir("j1"), map[string]int{"epochs": 1}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	// a cancelled context still records the cancel
	if err := w.EndJob(cctx, "j1", "cancelled", "", "resume"); err != nil {
		t.Fatal(err)
	}
	j, err := w.Job(ctx, "j1")
	if err != nil || j.Status != "cancelled" || j.Path != w.JobDir("j1") {
		t.Fatalf("%+v %v", j, err)
	}
	if err := w.StartJob(ctx, "j1", "train", w.JobDir("j1"), nil); err != nil {
		t.Fatal(err)
	}
	if j, _ := w.Job(ctx, "j1"); j.Status != "running" {
		t.Fatalf("resumed job is %s", j.Status)
	}
	if err := w.EndJob(ctx, "nope", "done", "", ""); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}
