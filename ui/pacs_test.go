package ui

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"liverseg/workspace"
)

const (
	pacsTestStudy  = "1.2.3.4"
	pacsTestSeries = "1.2.3.4.5"
	pacsTestParts  = 4
)

func pacsTestInstance(i int) []byte {
	b := make([]byte, 132+2000)
	copy(b[128:], "DICM")
	b[200] = byte(i)
	return b
}

// pacsTestServer is a small DICOMweb server: one CT series of pacsTestParts instances (QIDO and
// WADO-RS), STOW-RS that acknowledges, and basic auth. With stall set, the WADO answer sends one
// part and the next one's header, then waits for the client to go.
func pacsTestServer(t *testing.T, stall bool) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/dw/series", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/dicom+json")
		fmt.Fprintf(w, `[{"0020000D":{"vr":"UI","Value":["%s"]},"0020000E":{"vr":"UI","Value":["%s"]},
			"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]},"00100020":{"vr":"LO","Value":["P17"]},
			"00080020":{"vr":"DA","Value":["20090527"]},"00080060":{"vr":"CS","Value":["CT"]},
			"0008103E":{"vr":"LO","Value":["abdomen"]},"00201209":{"vr":"IS","Value":[%d]}}]`, pacsTestStudy, pacsTestSeries, pacsTestParts)
	})
	mux.HandleFunc("/dw/studies/"+pacsTestStudy+"/series/"+pacsTestSeries, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", `multipart/related; type="application/dicom"; boundary=xyz`)
		for i := 0; i < pacsTestParts; i++ {
			fmt.Fprintf(w, "--xyz\r\nContent-Type: application/dicom\r\n\r\n")
			if stall && i == 1 {
				// The first part is complete (its delimiter is in); the second never comes.
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
			w.Write(pacsTestInstance(i))
			w.Write([]byte("\r\n"))
		}
		fmt.Fprint(w, "--xyz--\r\n")
	})
	mux.HandleFunc("/dw/studies", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/dicom+json")
		fmt.Fprint(w, `{"00081199":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2.3.4.9"]}}]}}`)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ann" || p != "pw" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func pacsTestWorkspace(t *testing.T, url, password string) *workspace.Workspace {
	ws, err := workspace.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.AddServer(t.Context(), workspace.PACSServer{Name: "test-pacs", URL: url + "/dw", User: "ann", Password: password}, false); err != nil {
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

func pacsTestWindow(t *testing.T) fyne.Window {
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 800))
	t.Cleanup(w.Close)
	return w
}

// TestPACSOpenDialog: search by patient and date, pick the series, retrieve it with progress:
// onSeries gets the cache folder with every instance, and the dialog closes.
func TestPACSOpenDialog(t *testing.T) {
	srv := pacsTestServer(t, false)
	w := pacsTestWindow(t)
	ws := pacsTestWorkspace(t, srv.URL, "pw")
	cache := t.TempDir()
	got := make(chan string, 1)
	p := newPACSOpen(w, ws, cache, func(dir string) { got <- dir })
	events := make(chan string, 10)
	p.notify = func(e string) { events <- e }
	q := queueDo(&p.do)
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
	if dir != filepath.Join(cache, pacsTestSeries) {
		t.Fatalf("onSeries got %q", dir)
	}
	for i := 0; i < pacsTestParts; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%06d.dcm", i+1)))
		if err != nil || !bytes.Equal(b, pacsTestInstance(i)) {
			t.Fatalf("instance %d: %v", i+1, err)
		}
	}
	if p.bar.Value != 1 {
		t.Errorf("progress %v at the end", p.bar.Value)
	}

	// A bad date is said at once, without a request.
	p2 := newPACSOpen(w, ws, cache, nil)
	p2.notify = func(e string) { events <- e }
	q2 := queueDo(&p2.do)
	test.Type(p2.to, "2009-13-40")
	test.Tap(p2.searchBtn)
	waitEvent(t, q2, events, "error")
	if !strings.Contains(p2.status.Text, "2009-13-40") {
		t.Errorf("status %q", p2.status.Text)
	}
}

// TestPACSOpenCancelAndErrors: Cancel stops a retrieve and leaves nothing in the cache; a wrong
// password says so; a workspace without servers says how to add one.
func TestPACSOpenCancelAndErrors(t *testing.T) {
	srv := pacsTestServer(t, true)
	w := pacsTestWindow(t)
	ws := pacsTestWorkspace(t, srv.URL, "pw")
	cache := t.TempDir()
	p := newPACSOpen(w, ws, cache, func(string) { t.Error("onSeries after a cancel") })
	events := make(chan string, 10)
	p.notify = func(e string) { events <- e }
	q := queueDo(&p.do)
	p.show()
	test.Tap(p.searchBtn)
	waitEvent(t, q, events, "searched")
	p.list.Select(0)
	test.Tap(p.openBtn)
	// Wait until the first instance is in, then cancel.
	drain(t, q, 10*time.Second, "progress", func() bool { return strings.Contains(p.status.Text, "1 of 4") })
	test.Tap(p.cancelBtn)
	waitEvent(t, q, events, "cancelled")
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("the cache holds %d entries after a cancel", len(entries))
	}

	bad := pacsTestWorkspace(t, srv.URL, "wrong")
	p = newPACSOpen(w, bad, cache, nil)
	p.notify = func(e string) { events <- e }
	q = queueDo(&p.do)
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
	p = newPACSOpen(w, empty, cache, nil)
	if !strings.Contains(p.status.Text, "liverseg pacs servers add") || !p.searchBtn.Disabled() {
		t.Errorf("no servers: %q, search enabled %v", p.status.Text, !p.searchBtn.Disabled())
	}
}

// TestPACSSendDialog: Send stores the SEG and says so; a file that is not DICOM is an error
// naming it.
func TestPACSSendDialog(t *testing.T) {
	srv := pacsTestServer(t, false)
	w := pacsTestWindow(t)
	ws := pacsTestWorkspace(t, srv.URL, "pw")
	seg := filepath.Join(t.TempDir(), "liver.dcm")
	if err := os.WriteFile(seg, pacsTestInstance(9), 0o644); err != nil {
		t.Fatal(err)
	}
	events := make(chan string, 10)
	p := newPACSSend(w, ws, seg)
	p.notify = func(e string) { events <- e }
	q := queueDo(&p.do)
	p.show()
	test.Tap(p.sendBtn)
	waitEvent(t, q, events, "stored")
	if !strings.Contains(p.status.Text, "Stored on test-pacs") || !strings.Contains(p.status.Text, "1.2.3.4.9") {
		t.Errorf("status %q", p.status.Text)
	}

	notDICOM := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDICOM, []byte("hello"), 0o644)
	p = newPACSSend(w, ws, notDICOM)
	p.notify = func(e string) { events <- e }
	q = queueDo(&p.do)
	test.Tap(p.sendBtn)
	waitEvent(t, q, events, "error")
	if !strings.Contains(p.status.Text, notDICOM) {
		t.Errorf("status %q", p.status.Text)
	}
}
