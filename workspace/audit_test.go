package workspace

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAudit(t *testing.T) {
	ctx := context.Background()
	w, _ := openTest(t)
	at := time.Date(2026, 11, 26, 9, 30, 0, 123456789, time.UTC)
	entries := []AuditEntry{
		{Time: at, Author: "dr.a", CaseID: "c1", Tool: "brush", Plane: "sagittal", Slice: 41, Voxels: 120},
		{Time: at.Add(time.Millisecond), Author: "dr.a", CaseID: "c2", Tool: "eraser", Plane: "axial", Slice: 0, Voxels: 3},
		{Time: at.Add(2 * time.Millisecond), Author: "dr.a", CaseID: "c1", Tool: "accept prediction", Slice: WholeVolume, Voxels: 90210},
		{Author: "dr.b", CaseID: "c1", Tool: "undo", Plane: "coronal", Slice: 41, Voxels: 120}, // time: now
	}
	for _, e := range entries {
		if err := w.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddAudit(ctx, AuditEntry{CaseID: "c1"}); err == nil {
		t.Fatal("an entry without a tool")
	}
	if err := w.AddAudit(ctx, AuditEntry{CaseID: "c1", Tool: "brush", Voxels: -1}); err == nil {
		t.Fatal("negative voxels")
	}
	if err := w.AddAudit(ctx, AuditEntry{CaseID: "c1", Tool: "brush", Plane: "oblique"}); err == nil {
		t.Fatal("an unknown plane")
	}
	// The column refuses what AddAudit would, whoever writes it.
	if _, err := w.DB().ExecContext(ctx, `INSERT INTO audit (time, tool, plane) VALUES ('x', 'brush', 'Axial')`); err == nil {
		t.Fatal("the plane column took an unknown plane")
	}

	w = reopen(t, w)
	got, err := w.Audit(ctx, "c1")
	if err != nil || len(got) != 3 {
		t.Fatalf("c1: %+v %v", got, err)
	}
	for i, want := range []AuditEntry{entries[0], entries[2], entries[3]} {
		g := got[i]
		if g.Author != want.Author || g.CaseID != want.CaseID || g.Tool != want.Tool || g.Plane != want.Plane || g.Slice != want.Slice ||
			g.Voxels != want.Voxels || g.ID == 0 {
			t.Errorf("entry %d: %+v, want %+v", i, g, want)
		}
		if !want.Time.IsZero() && !g.Time.Equal(want.Time) {
			t.Errorf("entry %d: time %v, want %v (to the nanosecond)", i, g.Time, want.Time)
		}
	}
	if time.Since(got[2].Time) > time.Minute {
		t.Errorf("a zero time was not taken as now: %v", got[2].Time)
	}
	if !(got[0].ID < got[1].ID && got[1].ID < got[2].ID) {
		t.Errorf("ids out of order: %d %d %d", got[0].ID, got[1].ID, got[2].ID)
	}
	all, err := w.Audit(ctx, "")
	if err != nil || len(all) != 4 || all[1].CaseID != "c2" {
		t.Fatalf("all: %+v %v", all, err)
	}
	if none, err := w.Audit(ctx, "c9"); err != nil || len(none) != 0 {
		t.Fatalf("unknown case: %v %v", none, err)
	}
}

// The log is append-only by API: nothing exported on Workspace touches audit rows but AddAudit and
// Audit. A method added later that edits or deletes entries has to be argued for here.
func TestAuditAppendOnly(t *testing.T) {
	typ := reflect.TypeOf(&Workspace{})
	for i := 0; i < typ.NumMethod(); i++ {
		name := typ.Method(i).Name
		if strings.Contains(name, "Audit") && name != "AddAudit" && name != "Audit" {
			t.Errorf("Workspace.%s: the audit log has no API to change entries", name)
		}
	}
}

// openAtSchema makes a workspace database in dir at schema version n (the first n migrations),
// lets fill add rows as that version wrote them, and opens it with Open, which migrates it.
func openAtSchema(t *testing.T, dir string, n int, fill func(db *sql.DB)) *Workspace {
	t.Helper()
	ctx := context.Background()
	db, err := openDB(filepath.Join(dir, IndexName), false, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:n] {
		if _, err := db.ExecContext(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	fill(db)
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	w, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// TestAuditPlaneMigration: a workspace made before the audit had a plane (schema 2) opens, is
// migrated, and its entries read back with the plane they were made in: axial for those that
// name a slice and for interpolations (editing was axial only), none for the rest.
func TestAuditPlaneMigration(t *testing.T) {
	ctx := context.Background()
	old := []struct {
		tool  string
		slice any
		plane string // after the migration
	}{
		{"brush", 41, "axial"},
		{"undo lasso-fill", 0, "axial"},
		{"interpolate", nil, "axial"},
		{"redo interpolate", nil, "axial"},
		{"keep-largest", nil, ""},
		{"accept-prediction", nil, ""},
		{"save", nil, ""},
	}
	w := openAtSchema(t, t.TempDir(), 2, func(db *sql.DB) {
		for _, o := range old {
			if _, err := db.ExecContext(ctx, `INSERT INTO audit (time, author, case_id, tool, slice, voxels) VALUES (?, 'dr.a', 'c1', ?, ?, 5)`,
				dbTime(time.Now()), o.tool, o.slice); err != nil {
				t.Fatal(err)
			}
		}
	})
	if v, err := w.Version(ctx); err != nil || v != SchemaVersion() || v < 3 {
		t.Fatalf("version %d %v", v, err)
	}
	got, err := w.Audit(ctx, "c1")
	if err != nil || len(got) != len(old) {
		t.Fatalf("%+v %v", got, err)
	}
	for i, o := range old {
		if got[i].Tool != o.tool || got[i].Plane != o.plane || got[i].Voxels != 5 {
			t.Errorf("entry %d: %+v, want tool %s plane %q", i, got[i], o.tool, o.plane)
		}
	}
	// New entries go in beside them.
	if err := w.AddAudit(ctx, AuditEntry{CaseID: "c1", Tool: "brush", Plane: "coronal", Slice: 3, Voxels: 1}); err != nil {
		t.Fatal(err)
	}
	if got, err := w.Audit(ctx, "c1"); err != nil || len(got) != len(old)+1 || got[len(old)].Plane != "coronal" {
		t.Fatalf("after a new entry: %+v %v", got, err)
	}
}
