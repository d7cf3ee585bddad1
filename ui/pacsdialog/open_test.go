package pacsdialog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"liverseg/internal/dicomwebtest"
	"liverseg/ui/jobs"
	"liverseg/workspace"
)

// testRunner is a job runner over ctx that the test's end closes, as the window's close would
// (before the workspaces the test opened close: cleanups run last first).
func testRunner(t *testing.T, ctx context.Context) *jobs.Runner {
	r := jobs.New(ctx)
	t.Cleanup(func() { r.Close(10 * time.Second) })
	return r
}

// testEnv is a dialog's Env over w with the servers of ws and a runner of its own.
func testEnv(t *testing.T, w fyne.Window, ws *workspace.Workspace) Env {
	return Env{Parent: w, Servers: ws, Jobs: testRunner(t, t.Context())}
}

// testWorkspace is a workspace with the server at url configured as test-pacs, with password.
func testWorkspace(t *testing.T, url, password string) *workspace.Workspace {
	ws, err := workspace.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.AddServer(t.Context(), workspace.PACSServer{Name: "test-pacs", URL: url + dicomwebtest.Path, User: dicomwebtest.User, Password: password}, false); err != nil {
		t.Fatal(err)
	}
	return ws
}

// queueDo makes a dialog's do queue its work for the test's goroutine to run (see waitEvent):
// Fyne's test driver would run it at once on the network goroutine, beside the test's own reads.
func queueDo(do *func(func())) chan func() {
	q := make(chan func(), 1024)
	*do = func(f func()) { q <- f }
	return q
}

// waitEvent runs the dialog's queued work until its next event, which must be want.
func waitEvent(t *testing.T, q chan func(), events chan string, want string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-events:
			if e != want {
				t.Fatalf("event %q, want %q", e, want)
			}
			return
		case f := <-q:
			f()
		case <-deadline:
			t.Fatalf("no %q event in 20 s", want)
		}
	}
}

// runUntil runs the dialog's queued work until done says so, failing the test after 10 s.
func runUntil(t *testing.T, q chan func(), what string, done func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !done() {
		select {
		case f := <-q:
			f()
		case <-deadline:
			t.Fatalf("no %s in 10 s", what)
		}
	}
}

func testWindow(t *testing.T) fyne.Window {
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 800))
	t.Cleanup(w.Close)
	return w
}

// listen makes the dialog's events go to a channel, and its do to a queue the test runs.
func (p *openDialog) listen() (chan func(), chan string) {
	events := make(chan string, 10)
	p.notify = func(e string) { events <- e }
	return queueDo(&p.do), events
}

// searchAndRetrieve searches, picks the one series and starts its retrieval.
func (p *openDialog) searchAndRetrieve(t *testing.T, q chan func(), events chan string) {
	t.Helper()
	test.Tap(p.searchBtn)
	waitEvent(t, q, events, "searched")
	p.list.Select(0)
	test.Tap(p.openBtn)
}

// TestPACSOpenDialog: search by patient and date, pick the series, retrieve it with progress:
// onSeries gets the cache folder with every instance, and the dialog closes.
func TestPACSOpenDialog(t *testing.T) {
	srv := dicomwebtest.New(t, false)
	w := testWindow(t)
	ws := testWorkspace(t, srv.URL, dicomwebtest.Password)
	cache := t.TempDir()
	got := make(chan string, 1)
	p := newOpen(t.Context(), testEnv(t, w, ws), cache, func(dir string) { got <- dir })
	q, events := p.listen()
	p.show()
	if p.server.Selected != "test-pacs" {
		t.Fatalf("server %q", p.server.Selected)
	}
	test.Type(p.patient, "doe")
	test.Type(p.from, "2009-05-01")
	test.Tap(p.searchBtn)
	waitEvent(t, q, events, "searched")
	if len(p.results) != 1 || p.list.Length() != 1 || !p.openBtn.Disabled() {
		t.Fatalf("%d results, open enabled %v", len(p.results), !p.openBtn.Disabled())
	}
	if line := seriesLine(p.results[0]); line != "Doe^Jane (P17) · 2009-05-27 · CT · 4 images · abdomen" {
		t.Errorf("row %q", line)
	}
	p.list.Select(0)
	test.Tap(p.openBtn)
	waitEvent(t, q, events, "retrieved")
	dir := <-got
	if dir != filepath.Join(cache, dicomwebtest.Series) {
		t.Fatalf("onSeries got %q", dir)
	}
	for i := 0; i < dicomwebtest.Parts; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%06d.dcm", i+1)))
		if err != nil || !bytes.Equal(b, dicomwebtest.Instance(i)) {
			t.Fatalf("instance %d: %v", i+1, err)
		}
	}
	if p.bar.Value != 1 {
		t.Errorf("progress %v at the end", p.bar.Value)
	}

	// A bad date is said at once, without a request.
	p2 := newOpen(t.Context(), testEnv(t, w, ws), cache, nil)
	q2, events2 := p2.listen()
	test.Type(p2.to, "2009-13-40")
	test.Tap(p2.searchBtn)
	waitEvent(t, q2, events2, "error")
	if !strings.Contains(p2.status.Text, "2009-13-40") {
		t.Errorf("status %q", p2.status.Text)
	}
}

// TestPACSOpenCancelAndErrors: Cancel stops a retrieve and leaves nothing in the cache; a wrong
// password says so; a workspace without servers says how to add one.
func TestPACSOpenCancelAndErrors(t *testing.T) {
	srv := dicomwebtest.New(t, true)
	w := testWindow(t)
	ws := testWorkspace(t, srv.URL, dicomwebtest.Password)
	cache := t.TempDir()
	p := newOpen(t.Context(), testEnv(t, w, ws), cache, func(string) { t.Error("onSeries after a cancel") })
	q, events := p.listen()
	p.show()
	p.searchAndRetrieve(t, q, events)
	// Wait until the first instance is in, then cancel.
	runUntil(t, q, "progress", func() bool { return strings.Contains(p.status.Text, "1 of 4") })
	test.Tap(p.cancelBtn)
	waitEvent(t, q, events, "cancelled")
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("the cache holds %d entries after a cancel", len(entries))
	}

	bad := testWorkspace(t, srv.URL, "wrong")
	p = newOpen(t.Context(), testEnv(t, w, bad), cache, nil)
	q, events = p.listen()
	test.Tap(p.searchBtn)
	waitEvent(t, q, events, "error")
	if !strings.Contains(p.status.Text, "unauthorized") || !strings.Contains(p.status.Text, srv.URL) {
		t.Errorf("wrong password: %q", p.status.Text)
	}

	empty, err := workspace.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	p = newOpen(t.Context(), testEnv(t, w, empty), cache, nil)
	if !strings.Contains(p.status.Text, "liverseg pacs servers add") || !p.searchBtn.Disabled() {
		t.Errorf("no servers: %q, search enabled %v", p.status.Text, !p.searchBtn.Disabled())
	}
}

// TestPACSRetrieveEndsWithTheWindow: a retrieval in flight when the window closes is cancelled
// and waited for (the close returns at once, not after its grace, and the server sees the
// request go); the dialog then says it was cancelled, keeps nothing, and nothing new starts.
// Ctrl+C (the end of the application's context) cancels one too.
func TestPACSRetrieveEndsWithTheWindow(t *testing.T) {
	srv := dicomwebtest.New(t, true)
	w := testWindow(t)
	ws := testWorkspace(t, srv.URL, dicomwebtest.Password)

	for _, end := range []string{"close", "ctrl-c"} {
		t.Run(end, func(t *testing.T) {
			app, ctrlC := context.WithCancel(t.Context())
			defer ctrlC()
			r := testRunner(t, app)
			cache := t.TempDir()
			p := newOpen(app, Env{Parent: w, Servers: ws, Jobs: r}, cache, func(string) { t.Error("onSeries after the window closed") })
			q, events := p.listen()
			p.show()
			p.searchAndRetrieve(t, q, events)
			srv.WaitStalled(t)
			if end == "close" {
				if !r.Close(20 * time.Second) {
					t.Fatal("the close did not cancel the retrieval: it was still running after the grace")
				}
			} else {
				ctrlC()
			}
			srv.WaitCancelled(t)
			waitEvent(t, q, events, "cancelled")
			if entries, _ := os.ReadDir(cache); len(entries) != 0 {
				t.Errorf("the cache holds %d entries after the %s", len(entries), end)
			}
			if end == "close" {
				test.Tap(p.searchBtn)
				waitEvent(t, q, events, "error")
				if !strings.Contains(p.status.Text, jobs.ErrClosed.Error()) {
					t.Errorf("a search after the close: %q", p.status.Text)
				}
			}
		})
	}
}
