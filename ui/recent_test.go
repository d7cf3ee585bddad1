package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/workspace"
)

func TestRecentLine(t *testing.T) {
	cases := []*workspace.Case{
		{ID: "liver_07-1", SeriesPath: "/data/ircad7/PATIENT_DICOM", Patient: "liver_07"},
		{ID: "anon-2", SeriesPath: "/data/anon"},
		{ID: "other-3", SeriesPath: "/data/ircad70", Patient: "someone else"},
	}
	reviews := []*workspace.Review{
		{CaseID: "liver_07-1", Status: workspace.StatusFlagged, Comment: "segment 4\nmissed by the model, look again at the hepatic dome"},
		{CaseID: "other-3", Status: workspace.StatusCompleted},
	}
	for _, tc := range []struct{ path, want string }{
		{"/data/ircad7", "liver_07: flagged (segment 4 missed by the model, look aga…)"},
		{"/data/ircad7/PATIENT_DICOM/", "liver_07: flagged (segment 4 missed by the model, look aga…)"},
		{"/data/anon", "anon-2: not started"},
		{"/data", "liver_07: flagged (segment 4 missed by the model, look aga…); anon-2: not started; someone else: completed"},
		{"/data/ircad", ""}, // a prefix of a name is not a folder above it
		{"/elsewhere", ""},
	} {
		if got := recentLine(tc.path, cases, reviews); got != tc.want {
			t.Errorf("recentLine(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestWelcomeShowsReviewStatus: a recent study lists its case's review status from the workspace.
func TestWelcomeShowsReviewStatus(t *testing.T) {
	wsDir, data := t.TempDir(), t.TempDir()
	ctx := context.Background()
	ws, err := workspace.Open(ctx, wsDir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ws.EnsureCase(ctx, workspace.Case{SeriesPath: filepath.Join(data, "CT"), SeriesUID: "1.2.3", Patient: "DOE JANE"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.SetReview(ctx, c.ID, workspace.StatusCompleted, "liver fine", "tester"); err != nil {
		t.Fatal(err)
	}
	ws.Close()

	a := test.NewTempApp(t)
	s := newSession(ctx, a)
	s.opts = Options{Workspace: wsDir}
	t.Cleanup(s.closeResources)
	t.Cleanup(s.win.Close)
	q := pump(s)
	s.remember(filepath.Join(t.TempDir(), "never reviewed"))
	s.remember(data)
	s.showWelcome()
	want := "DOE JANE: completed (liver fine)"
	var shown []string
	drain(t, q, 10*time.Second, "review status on the welcome page", func() bool {
		shown = visibleLabels(s.win.Content())
		for _, l := range shown {
			if l == want {
				return true
			}
		}
		return false
	})
	for _, l := range shown {
		if strings.Contains(l, "not started") {
			t.Errorf("a path without a case shows %q", l)
		}
	}
}

// visibleLabels is the text of every visible label under o.
func visibleLabels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}
