package ui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/inference"
	"liverseg/internal/dicomwebtest"
	"liverseg/workspace"
)

// pacsDialogParts are the widgets of the "Open from PACS" dialog on top of w that a test uses.
type pacsDialogParts struct {
	search, open *widget.Button
	list         *widget.List
	labels       []*widget.Label
}

func pacsDialogOn(t *testing.T, w fyne.Window) pacsDialogParts {
	t.Helper()
	var d pacsDialogParts
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		switch o := o.(type) {
		case *widget.Button:
			switch o.Text {
			case "Search":
				d.search = o
			case "Open":
				d.open = o
			}
		case *widget.List:
			d.list = o
		case *widget.Label:
			d.labels = append(d.labels, o)
		}
	}
	if d.search == nil || d.open == nil || d.list == nil {
		t.Fatal("no Open from PACS dialog on the window")
	}
	return d
}

// says reports whether a label of the dialog says text.
func (d pacsDialogParts) says(text string) bool {
	for _, l := range d.labels {
		if strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}

// TestPACSJobEndsWithTheWindow: a retrieval from PACS that is running when the window closes is
// cancelled and waited for: the close returns well within its grace (the job ended, so nothing
// uses the workspace it closes) and the server sees the request go. Ctrl+C (the end of Run's
// context) cancels one too. Either way the cache keeps nothing and the dialog says so.
func TestPACSJobEndsWithTheWindow(t *testing.T) {
	for _, end := range []string{"close", "ctrl-c"} {
		t.Run(end, func(t *testing.T) {
			srv := dicomwebtest.New(t, true)
			t.Setenv(inference.EnvCache, t.TempDir())
			run, ctrlC := context.WithCancel(t.Context())
			defer ctrlC()
			s := newSession(run, test.NewTempApp(t))
			s.opts = Options{Workspace: t.TempDir()}
			t.Cleanup(s.closeResources)
			t.Cleanup(s.win.Close)
			q := pump(s)
			s.win.Resize(fyne.NewSize(1000, 800))
			ws, err := s.workspace()
			if err != nil {
				t.Fatal(err)
			}
			if err := ws.AddServer(t.Context(), workspace.PACSServer{Name: "test-pacs", URL: srv.URL + dicomwebtest.Path,
				User: dicomwebtest.User, Password: dicomwebtest.Password}, false); err != nil {
				t.Fatal(err)
			}

			s.openFromPACS()
			d := pacsDialogOn(t, s.win)
			test.Tap(d.search)
			drain(t, q, 20*time.Second, "search results", func() bool { return d.list.Length() == 1 })
			d.list.Select(0)
			test.Tap(d.open)
			srv.WaitStalled(t)

			if end == "close" {
				start := time.Now()
				s.closeResources()
				if took := time.Since(start); took > jobsGrace/2 {
					t.Errorf("the close took %v (its grace is %v): the retrieval was not cancelled", took, jobsGrace)
				}
			} else {
				ctrlC()
			}
			srv.WaitCancelled(t)
			drain(t, q, 20*time.Second, "the cancel said", func() bool { return d.says("Cancelled") })
			dir, err := inference.PACSCacheDir()
			if err != nil {
				t.Fatal(err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("the PACS cache holds %v after the %s", entries, end)
			}
		})
	}
}
