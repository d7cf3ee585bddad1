package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPACSServers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := w.Version(ctx); v < 2 {
		t.Fatalf("schema version %d: the pacs_servers migration did not run", v)
	}
	if ss, err := w.Servers(ctx); err != nil || len(ss) != 0 {
		t.Fatalf("a new workspace lists %v, %v", ss, err)
	}
	a := PACSServer{Name: "orthanc", URL: "http://127.0.0.1:8042/dicom-web", User: "alice", Password: "s3cret"}
	if err := w.AddServer(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	if err := w.AddServer(ctx, PACSServer{Name: "hospital", URL: "https://pacs.example/dicomweb", Token: "tok"}, false); err != nil {
		t.Fatal(err)
	}
	if err := w.AddServer(ctx, a, false); !errors.Is(err, ErrExists) {
		t.Errorf("the same name twice: %v", err)
	}
	a.URL = "http://127.0.0.1:9042/dicom-web"
	a.Insecure = true
	if err := w.AddServer(ctx, a, true); err != nil {
		t.Fatalf("replace: %v", err)
	}
	for _, bad := range []PACSServer{
		{Name: "", URL: "http://x"},
		{Name: "../x", URL: "http://x"},
		{Name: "x", URL: "ftp://x"},
		{Name: "x", URL: "x:8042"},
		{Name: "x", URL: "http://u:p@x/"},
		{Name: "x", URL: "http://x", User: "u", Token: "t"},
	} {
		if err := w.AddServer(ctx, bad, false); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	st, err := os.Stat(filepath.Join(dir, "workspace.db"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("workspace.db holds a password with mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	w.Close()

	// Reopened: the rows kept, the migration not run twice.
	w, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ss, err := w.Servers(ctx)
	if err != nil || len(ss) != 2 || ss[0].Name != "hospital" || ss[1].Name != "orthanc" {
		t.Fatalf("servers %+v, %v", ss, err)
	}
	got, err := w.Server(ctx, "orthanc")
	if err != nil || got.URL != a.URL || got.User != "alice" || got.Password != "s3cret" || !got.Insecure || got.Added == "" || !got.HasPassword() || got.HasToken() {
		t.Fatalf("%+v, %v", got, err)
	}
	if h, _ := w.Server(ctx, "hospital"); h.Token != "tok" || h.Insecure {
		t.Errorf("%+v", h)
	}
	if err := w.RemoveServer(ctx, "hospital"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Server(ctx, "hospital"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed server: %v", err)
	}
	if err := w.RemoveServer(ctx, "hospital"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
}
