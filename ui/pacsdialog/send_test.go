package pacsdialog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/dicomwebtest"

	"fyne.io/fyne/v2/test"
)

// TestPACSSendDialog: Send stores the SEG and says so; a file that is not DICOM is an error
// naming it.
func TestPACSSendDialog(t *testing.T) {
	srv := dicomwebtest.New(t, false)
	w := testWindow(t)
	ws := testWorkspace(t, srv.URL, dicomwebtest.Password)
	seg := filepath.Join(t.TempDir(), "liver.dcm")
	if err := os.WriteFile(seg, dicomwebtest.Instance(9), 0o644); err != nil {
		t.Fatal(err)
	}
	events := make(chan string, 10)
	p := newSend(t.Context(), testEnv(t, w, ws), seg)
	p.notify = func(e string) { events <- e }
	q := queueDo(&p.do)
	p.show()
	test.Tap(p.sendBtn)
	waitEvent(t, q, events, "stored")
	if !strings.Contains(p.status.Text, "Stored on test-pacs") || !strings.Contains(p.status.Text, dicomwebtest.StoredAs) {
		t.Errorf("status %q", p.status.Text)
	}

	notDICOM := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDICOM, []byte("hello"), 0o644)
	p = newSend(t.Context(), testEnv(t, w, ws), notDICOM)
	p.notify = func(e string) { events <- e }
	q = queueDo(&p.do)
	test.Tap(p.sendBtn)
	waitEvent(t, q, events, "error")
	if !strings.Contains(p.status.Text, notDICOM) {
		t.Errorf("status %q", p.status.Text)
	}
}
