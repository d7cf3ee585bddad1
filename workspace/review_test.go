package workspace

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestReview(t *testing.T) {
	ctx := context.Background()
	w, _ := openTest(t)
	a := addCase(t, w, "3.1")
	b := addCase(t, w, "3.2")

	r, err := w.Review(ctx, a.ID)
	if err != nil || r.Status != StatusNotStarted || !r.Updated.IsZero() || r.CaseID != a.ID {
		t.Fatalf("unreviewed: %+v %v", r, err)
	}
	for _, s := range ReviewStatuses() {
		if err := w.SetReview(ctx, a.ID, s, "note "+string(s), "dr.b"); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		r, err := w.Review(ctx, a.ID)
		if err != nil || r.Status != s || r.Comment != "note "+string(s) || r.Author != "dr.b" || time.Since(r.Updated) > time.Minute {
			t.Fatalf("after setting %s: %+v %v", s, r, err)
		}
	}
	if err := w.SetReview(ctx, a.ID, "done", "", ""); !errors.Is(err, ErrBadStatus) {
		t.Fatalf("bad status: %v", err)
	}
	if err := w.SetReview(ctx, a.ID, "", "", ""); !errors.Is(err, ErrBadStatus) {
		t.Fatalf("empty status: %v", err)
	}
	if err := w.SetReview(ctx, "nope", StatusFlagged, "", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown case: %v", err)
	}
	// a refused status left the last good one
	if r, _ := w.Review(ctx, a.ID); r.Status != StatusFlagged {
		t.Fatalf("status %s after a refusal", r.Status)
	}
	if err := w.SetReview(ctx, a.ID, StatusFlagged, "segment 7 missed", "dr.c"); err != nil {
		t.Fatal(err)
	}

	w = reopen(t, w)
	rs, err := w.Reviews(ctx)
	if err != nil || len(rs) != 2 {
		t.Fatalf("reviews %v %v", rs, err)
	}
	if rs[0].CaseID != a.ID || rs[0].Status != StatusFlagged || rs[0].Comment != "segment 7 missed" || rs[0].Author != "dr.c" || rs[0].Updated.IsZero() {
		t.Errorf("first %+v", rs[0])
	}
	if rs[1].CaseID != b.ID || rs[1].Status != StatusNotStarted || !rs[1].Updated.IsZero() {
		t.Errorf("second %+v", rs[1])
	}
	if !ReviewStatus("in progress").Valid() || ReviewStatus("In Progress").Valid() {
		t.Error("Valid")
	}
}
