package workspace

import (
	"context"
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
		{Time: at, Author: "dr.a", CaseID: "c1", Tool: "brush", Slice: 41, Voxels: 120},
		{Time: at.Add(time.Millisecond), Author: "dr.a", CaseID: "c2", Tool: "eraser", Slice: 0, Voxels: 3},
		{Time: at.Add(2 * time.Millisecond), Author: "dr.a", CaseID: "c1", Tool: "accept prediction", Slice: WholeVolume, Voxels: 90210},
		{Author: "dr.b", CaseID: "c1", Tool: "undo", Slice: 41, Voxels: 120}, // time: now
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

	w = reopen(t, w)
	got, err := w.Audit(ctx, "c1")
	if err != nil || len(got) != 3 {
		t.Fatalf("c1: %+v %v", got, err)
	}
	for i, want := range []AuditEntry{entries[0], entries[2], entries[3]} {
		g := got[i]
		if g.Author != want.Author || g.CaseID != want.CaseID || g.Tool != want.Tool || g.Slice != want.Slice || g.Voxels != want.Voxels || g.ID == 0 {
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
