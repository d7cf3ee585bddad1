package pacsdialog

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"liverseg/internal/dicomwebtest"
	"liverseg/workspace"
)

// buttonIn is the button of o's tree (renderers included) that says text, or nil.
func buttonIn(o fyne.CanvasObject, text string) *widget.Button {
	for _, c := range test.LaidOutObjects(o) {
		if b, ok := c.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

// fillServerForm types into the "Add a PACS server" form on top of w, in its order: name, URL,
// user, password, token.
func fillServerForm(t *testing.T, w fyne.Window, values ...string) {
	t.Helper()
	var entries []*widget.Entry
	for _, c := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if e, ok := c.(*widget.Entry); ok {
			entries = append(entries, e)
		}
	}
	if len(entries) != 5 {
		t.Fatalf("the server form has %d entries, want 5", len(entries))
	}
	for i, v := range values {
		test.Type(entries[i], v)
	}
}

// TestPACSAddServer: with no server configured, Add… in the Open dialog records one (a bad URL
// is refused with a message naming it, and nothing is kept); the new server is chosen and the
// search goes through with its credentials.
func TestPACSAddServer(t *testing.T) {
	srv := dicomwebtest.New(t, false)
	w := testWindow(t)
	ws, err := workspace.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	p := newOpen(t.Context(), testEnv(t, w, ws), t.TempDir(), nil)
	events := make(chan string, 10)
	p.notify = func(e string) { events <- e }
	q := queueDo(&p.do)
	p.show()
	if !p.searchBtn.Disabled() || !strings.Contains(p.status.Text, "Add…") {
		t.Fatalf("no servers: search enabled %v, status %q", !p.searchBtn.Disabled(), p.status.Text)
	}
	add := buttonIn(w.Canvas().Overlays().Top(), "Add…")
	if add == nil {
		t.Fatal("no Add… button beside the server")
	}

	test.Tap(add)
	fillServerForm(t, w, "ward-pacs", "ftp://pacs.example.org")
	test.Tap(buttonIn(w.Canvas().Overlays().Top(), "Add"))
	top := w.Canvas().Overlays().Top()
	var said []string
	for _, c := range test.LaidOutObjects(top) {
		if l, ok := c.(*widget.Label); ok {
			said = append(said, l.Text)
		}
	}
	if msg := strings.Join(said, " "); !strings.Contains(msg, "ward-pacs") || !strings.Contains(msg, "ftp://pacs.example.org") {
		t.Errorf("a bad URL said %q, want the server and the URL named", msg)
	}
	if all, _ := ws.Servers(t.Context()); len(all) != 0 {
		t.Fatalf("a refused server was kept: %v", all)
	}
	w.Canvas().Overlays().Remove(top)

	test.Tap(add)
	fillServerForm(t, w, "ward-pacs", srv.URL+dicomwebtest.Path, dicomwebtest.User, dicomwebtest.Password)
	test.Tap(buttonIn(w.Canvas().Overlays().Top(), "Add"))
	if p.server.Selected != "ward-pacs" || p.searchBtn.Disabled() {
		t.Fatalf("after adding: server %q, search enabled %v", p.server.Selected, !p.searchBtn.Disabled())
	}
	test.Tap(p.searchBtn)
	waitEvent(t, q, events, "searched")
	if len(p.results) != 1 {
		t.Errorf("%d series found with the new server, want 1 (status %q)", len(p.results), p.status.Text)
	}
}
