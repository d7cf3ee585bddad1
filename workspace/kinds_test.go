package workspace

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelKindMigration: a workspace made before model kinds (schema 3), with an active model,
// opens migrated: its models are automatic, the active one still active; an interactive model
// then registers and activates beside it, each kind with its own active model.
func TestModelKindMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := openAtSchema(t, dir, 3, func(db *sql.DB) {
		for _, v := range []struct {
			version string
			active  int
		}{{"old1", 0}, {"old2", 1}} {
			if _, err := db.ExecContext(ctx, `INSERT INTO models (version, created, path, active) VALUES (?, '2024-01-01T00:00:00Z', ?, ?)`,
				v.version, "models/"+v.version+"/model.onnx", v.active); err != nil {
				t.Fatal(err)
			}
		}
	})
	if v, err := w.Version(ctx); err != nil || v != SchemaVersion() || v < 4 {
		t.Fatalf("version %d %v", v, err)
	}
	ms, err := w.Models(ctx)
	if err != nil || len(ms) != 2 || ms[0].Kind != KindAutomatic || ms[1].Kind != KindAutomatic || !ms[1].Active {
		t.Fatalf("migrated models %+v %v", ms, err)
	}
	if a, err := w.Active(ctx); err != nil || a.Version != "old2" {
		t.Fatalf("active %v %v", a, err)
	}
	if _, err := w.ActiveOfKind(ctx, KindInteractive); !errors.Is(err, ErrNotFound) {
		t.Errorf("active interactive model before any: %v, want ErrNotFound", err)
	}

	// an interactive model: registered active, the automatic one stays active
	if _, err := w.RegisterModel(ctx, NewModel{Version: "click1", Parent: "old2", SourceDir: modelDir(t, "c1"), Kind: KindInteractive, Activate: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "click2", Parent: "old2", SourceDir: modelDir(t, "c2"), Kind: KindInteractive}); err != nil {
		t.Fatal(err)
	}
	active := func() (string, string) {
		t.Helper()
		a, err := w.Active(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i, err := w.ActiveOfKind(ctx, KindInteractive)
		if err != nil {
			t.Fatal(err)
		}
		return a.Version, i.Version
	}
	if a, i := active(); a != "old2" || i != "click1" {
		t.Errorf("active %s and %s, want old2 and click1", a, i)
	}
	// activating one kind leaves the other's active model
	if err := w.Activate(ctx, "click2"); err != nil {
		t.Fatal(err)
	}
	if a, i := active(); a != "old2" || i != "click2" {
		t.Errorf("after activating click2: %s and %s", a, i)
	}
	if err := w.Activate(ctx, "old1"); err != nil {
		t.Fatal(err)
	}
	if a, i := active(); a != "old1" || i != "click2" {
		t.Errorf("after activating old1: %s and %s", a, i)
	}
	for kind, want := range map[string]string{KindAutomatic: "old1 old2", KindInteractive: "click1 click2", "": "old1 old2"} {
		ms, err := w.ModelsOfKind(ctx, kind)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Version)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("ModelsOfKind(%q) = %v, want %s", kind, got, want)
		}
	}
	if _, err := w.ModelsOfKind(ctx, "clever"); err == nil {
		t.Error("an unknown kind was listed")
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "x", SourceDir: modelDir(t, "x"), Kind: "clever"}); err == nil {
		t.Error("a model of an unknown kind was registered")
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "ACTIVE-interactive", SourceDir: modelDir(t, "x")}); err == nil {
		t.Error("a model took the name of the active file")
	}
	for file, want := range map[string]string{"ACTIVE": "old1", "ACTIVE-interactive": "click2"} {
		if b, err := os.ReadFile(filepath.Join(dir, "models", file)); err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("models/%s: %q %v, want %s", file, b, err, want)
		}
	}
}

// TestRebuildKeepsKinds: a lost index rebuilt from the folders knows each model's kind (its
// report's) and both active models.
func TestRebuildKeepsKinds(t *testing.T) {
	ctx := context.Background()
	dir := registeredWorkspace(t)
	w, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	src := modelDir(t, "click")
	if err := os.WriteFile(filepath.Join(src, "report", "metrics.json"), []byte(`{"version": "c1", "parent": "v1", "kind": "interactive"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.RegisterModel(ctx, NewModel{Version: "c1", Parent: "v1", SourceDir: src, Kind: KindInteractive, Activate: true}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.Remove(filepath.Join(dir, IndexName)); err != nil {
		t.Fatal(err)
	}
	r, err := Rebuild(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Active != "v1" || r.ActiveInteractive != "c1" {
		t.Errorf("recovered active %q and %q; skipped %v", r.Active, r.ActiveInteractive, r.Skipped)
	}
	for _, s := range r.Skipped {
		if strings.Contains(s, "ACTIVE") {
			t.Errorf("skipped %s", s)
		}
	}
	w, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c, err := w.Model(ctx, "c1")
	if err != nil || c.Kind != KindInteractive || !c.Active {
		t.Errorf("c1 after the rebuild: %+v %v", c, err)
	}
	v, err := w.Model(ctx, "v1")
	if err != nil || v.Kind != KindAutomatic || !v.Active {
		t.Errorf("v1 after the rebuild: %+v %v", v, err)
	}
}
