package ui

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExportMeshFromReview: the review writes the truth's surface as a binary STL whose
// triangle count is the file's, says so on the status line, and refuses an unknown extension
// naming the file.
func TestExportMeshFromReview(t *testing.T) {
	s, r, q := openReview(t)
	setLabels(t, r)
	path := filepath.Join(t.TempDir(), "liver.stl")
	r.exportMeshTo(path, r.truth, "truth")
	drain(t, q, 20*time.Second, "the export", func() bool { return r.work == nil && strings.Contains(r.modelNote, "written") })
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 84 || !strings.Contains(string(b[:80]), "SPACE=LPS") {
		t.Fatalf("%s: %d bytes, header %q", path, len(b), b[:min(80, len(b))])
	}
	n := binary.LittleEndian.Uint32(b[80:84])
	if n == 0 || len(b) != 84+50*int(n) {
		t.Fatalf("%s: %d triangles in %d bytes", path, n, len(b))
	}
	if !strings.Contains(r.modelNote, path) {
		t.Errorf("status note %q does not name the file", r.modelNote)
	}
	var shown error
	s.hooks.onError = func(e error) { shown = e }
	bad := filepath.Join(t.TempDir(), "liver.vtk")
	r.exportMeshTo(bad, r.truth, "truth")
	drain(t, q, 20*time.Second, "the refusal", func() bool { return shown != nil })
	if msg := errorText(shown); !strings.Contains(msg, bad) || !strings.Contains(msg, ".stl") {
		t.Errorf("error %q does not name the file and the formats", msg)
	}
}
