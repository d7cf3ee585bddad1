package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/workspace"
)

func TestWorkRows(t *testing.T) {
	cases := []*workspace.Case{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	reviews := []*workspace.Review{{CaseID: "a", Status: workspace.StatusCompleted}, {CaseID: "c", Status: workspace.StatusFlagged}}
	ids := func(rows []workRow) string {
		var s []string
		for _, r := range rows {
			s = append(s, r.c.ID+"="+string(r.r.Status))
		}
		return strings.Join(s, " ")
	}
	for filter, want := range map[string]string{
		showAll:                            "a=completed b=not started c=flagged",
		showToDo:                           "b=not started c=flagged",
		string(workspace.StatusFlagged):    "c=flagged",
		string(workspace.StatusNotStarted): "b=not started",
		string(workspace.StatusInProgress): "",
	} {
		if got := ids(workRows(cases, reviews, filter)); got != want {
			t.Errorf("%s: %q, want %q", filter, got, want)
		}
	}
}

// TestWorkListOpensACase: W lists the cases still to do; choosing one and Open opens its
// series folder (here one without DICOM, whose error names it).
func TestWorkListOpensACase(t *testing.T) {
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	empty := t.TempDir()
	done, err := ws.EnsureCase(ctx, workspace.Case{SeriesPath: filepath.Join(empty, "done"), SeriesUID: "9.8.1", Patient: "DONE"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.SetReview(ctx, done.ID, workspace.StatusCompleted, "", "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.EnsureCase(ctx, workspace.Case{SeriesPath: empty, SeriesUID: "9.8.2", Patient: "TODO"}); err != nil {
		t.Fatal(err)
	}
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	var w *workList
	s.hooks.onWorkList = func(l *workList) { w = l }
	typeRune(r.main, 'w')
	drain(t, q, 10*time.Second, "the work list", func() bool { return w != nil })
	// Still to do: the synthetic case and TODO, not the completed one.
	if len(w.rows) != 2 || workCell(w.rows[1], 0) != "TODO" || !strings.Contains(w.count.Text, "2 of 3") {
		t.Fatalf("to do: %d rows (%q)", len(w.rows), w.count.Text)
	}
	w.table.Select(widget.TableCellID{Row: 1, Col: 0})
	test.Tap(w.open)
	drain(t, q, 10*time.Second, "the open", func() bool { return len(errs) > 0 })
	if msg := errorText(errs[0]); !strings.Contains(msg, empty) || !strings.Contains(msg, "no image series") {
		t.Errorf("opening TODO: %q", msg)
	}
	w.filter.SetSelected(showAll)
	if len(w.rows) != 3 || !w.open.Disabled() {
		t.Errorf("all cases: %d rows, Open enabled %v", len(w.rows), !w.open.Disabled())
	}
}
