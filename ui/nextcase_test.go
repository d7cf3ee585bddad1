package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/workspace"
)

func TestNextCase(t *testing.T) {
	cases := []*workspace.Case{{ID: "a", SeriesPath: "/a"}, {ID: "b", SeriesPath: "/b"}, {ID: "c", SeriesPath: "/c"}, {ID: "d", SeriesPath: "/gone"}}
	reviews := []*workspace.Review{
		{CaseID: "a", Status: workspace.StatusInProgress}, {CaseID: "b", Status: workspace.StatusCompleted},
		{CaseID: "c", Status: workspace.StatusFlagged}, {CaseID: "d", Status: workspace.StatusNotStarted},
	}
	exists := func(p string) bool { return p != "/gone" }
	for _, tc := range []struct{ current, want string }{
		{"a", "c"}, // b is completed
		{"c", "a"}, // d's series is gone: round to the first
		{"", "a"},  // no current case: the first not completed
		{"b", "c"},
	} {
		got := nextCase(cases, reviews, tc.current, exists)
		if got == nil || got.ID != tc.want {
			t.Errorf("after %q: %v, want %s", tc.current, got, tc.want)
		}
	}
	reviews[0].Status, reviews[2].Status = workspace.StatusCompleted, workspace.StatusCompleted
	if got := nextCase(cases, reviews, "c", exists); got != nil {
		t.Errorf("every other case done or gone: %v, want none", got.ID)
	}
}

// TestNextCaseKey: J in a review opens the workspace's next case not completed (IRCAD 1.17, past
// the completed 1.1), its series chosen and loaded.
func TestNextCaseKey(t *testing.T) {
	data := testenv.DataRoot(t)
	ctx := context.Background()
	series := func(patient int) *scan.SeriesEntry {
		dir := testenv.IRCAD(t, patient, "PATIENT_DICOM")
		cat, err := scan.Discover(ctx, dir)
		if err != nil || len(cat.Series) != 1 {
			t.Skipf("%s: %v", dir, err)
		}
		return cat.Series[0]
	}
	done, next := series(1), series(17)
	s, r, q := openReview(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	ws, err := s.workspace()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*scan.SeriesEntry{done, next} {
		c := workspace.SeriesCase(&e.Series)
		// The case's folder holds the CT and the IRCAD mask series: J must pick the CT.
		c.SeriesPath = filepath.Join(data, "ct/ircad", filepath.Base(filepath.Dir(e.Series.Path)))
		if _, err := ws.EnsureCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var listed int
	s.hooks.onCatalog = func(cat *scan.Catalog) { listed = len(cat.Series) }
	c, err := ws.CaseBySeries(ctx, done.Series.SeriesUID)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.SetReview(ctx, c.ID, workspace.StatusCompleted, "", "tester"); err != nil {
		t.Fatal(err)
	}
	typeRune(r.main, 'j')
	drain(t, q, 60*time.Second, "the next case loaded", func() bool {
		return s.review != nil && s.review != r && s.review.vol.Series.SeriesUID == next.Series.SeriesUID
	})
	if listed < 2 {
		t.Errorf("the case's folder listed %d series: the choice of the CT was not tested", listed)
	}

	// Shift+J: 1.17 completed, and then no case is left (1.1 is done, the synthetic one's folder
	// does not exist): said in a dialog, the review stays.
	r2 := s.review
	drain(t, q, 10*time.Second, "the case of 1.17", func() bool { return r2.caseID != "" })
	var errs []error
	s.hooks.onError = func(e error) { errs = append(errs, e) }
	typeRune(r2.main, 'J')
	drain(t, q, 10*time.Second, "the end of the list", func() bool { return len(errs) > 0 })
	if msg := errorText(errs[0]); !strings.Contains(msg, "no case left to review") {
		t.Errorf("error %q", msg)
	}
	if rv, err := ws.Review(ctx, r2.caseID); err != nil || rv.Status != workspace.StatusCompleted {
		t.Errorf("Shift+J left 1.17 %v (%v), want completed", rv, err)
	}
	if s.review != r2 {
		t.Error("the review was left with no case to go to")
	}
}
