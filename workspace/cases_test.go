package workspace

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"liverseg/scan"
)

// openTest opens a workspace in a fresh temporary folder, closed when the test ends.
func openTest(t testing.TB) (*Workspace, string) {
	t.Helper()
	dir := t.TempDir()
	w, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, dir
}

// reopen closes w and opens its folder again, as the next start of liverseg would.
func reopen(t *testing.T, w *Workspace) *Workspace {
	t.Helper()
	dir := w.Dir
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w2.Close() })
	return w2
}

func TestCaseID(t *testing.T) {
	a := CaseID("Doe^John", "1.2.840.1.1")
	if !strings.HasPrefix(a, "Doe_John-") || len(a) != len("Doe_John-")+6 {
		t.Fatalf("CaseID = %q", a)
	}
	if CaseID("Doe^John", "1.2.840.1.1") != a {
		t.Fatal("CaseID is not deterministic")
	}
	if b := CaseID("Doe^John", "1.2.840.1.2"); b == a {
		t.Fatalf("two series, one ID %q", b)
	}
	for _, tc := range []struct{ patient, prefix string }{
		{"", "case-"},
		{"Ünïcødé", "n_c_d-"},
		{"日本", "case-"},
		{"  ^^3Dircadb1.1^^ ", "3Dircadb1_1-"},
		{"../../etc/passwd", "etc_passwd-"},
		{strings.Repeat("x", 200), strings.Repeat("x", 40) + "-"},
	} {
		id := CaseID(tc.patient, "u")
		if !strings.HasPrefix(id, tc.prefix) {
			t.Errorf("CaseID(%q) = %q, want prefix %q", tc.patient, id, tc.prefix)
		}
		if err := CheckCaseID(id); err != nil {
			t.Errorf("CaseID(%q) = %q: %v", tc.patient, id, err)
		}
	}
	for _, bad := range []string{"", ".hidden", "a/b", `a\b`, "-x", strings.Repeat("a", 101), "a b"} {
		if CheckCaseID(bad) == nil {
			t.Errorf("CheckCaseID(%q) passed", bad)
		}
	}
	c := SeriesCase(&scan.Series{Path: "/data/3Dircadb1.1/PATIENT_DICOM", PatientID: "3Dircadb1.1", SeriesUID: "1.2.3"})
	if c.Patient != "3Dircadb1.1" || c.SeriesUID != "1.2.3" || c.SeriesPath != "/data/3Dircadb1.1/PATIENT_DICOM" || c.ID != CaseID("3Dircadb1.1", "1.2.3") {
		t.Fatalf("SeriesCase = %+v", c)
	}
	// a series without a UID is told apart by its path
	if SeriesCase(&scan.Series{Path: "/a"}).ID == SeriesCase(&scan.Series{Path: "/b"}).ID {
		t.Fatal("two UID-less series, one ID")
	}
}

func TestEnsureCase(t *testing.T) {
	ctx := context.Background()
	w, _ := openTest(t)
	before := time.Now().Add(-time.Second)
	a, err := w.EnsureCase(ctx, Case{SeriesPath: "/data/one", SeriesUID: "1.2.3.1", Patient: "Doe^Jane"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != CaseID("Doe^Jane", "1.2.3.1") || a.Added.Before(before) || a.Added.After(time.Now().Add(time.Second)) {
		t.Fatalf("added %+v", a)
	}
	// the same series from another folder is the same case
	again, err := w.EnsureCase(ctx, Case{SeriesPath: "/copy/of/one", SeriesUID: "1.2.3.1", Patient: "Doe^Jane"})
	if err != nil || *again != *a {
		t.Fatalf("again: %+v %v, want %+v", again, err, a)
	}
	// another series asking for a taken ID gets a suffix
	b, err := w.EnsureCase(ctx, Case{ID: a.ID, SeriesPath: "/data/two", SeriesUID: "1.2.3.2"})
	if err != nil || b.ID != a.ID+"-2" {
		t.Fatalf("collision: %+v %v", b, err)
	}
	c, err := w.EnsureCase(ctx, Case{ID: a.ID, SeriesPath: "/data/three", SeriesUID: "1.2.3.3"})
	if err != nil || c.ID != a.ID+"-3" {
		t.Fatalf("second collision: %+v %v", c, err)
	}
	// without a UID, the path identifies the series
	p1, err := w.EnsureCase(ctx, Case{SeriesPath: "/png/stack", Patient: "anon"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := w.EnsureCase(ctx, Case{SeriesPath: "/png/stack"})
	if err != nil || p2.ID != p1.ID {
		t.Fatalf("by path: %+v %v, want %s", p2, err, p1.ID)
	}
	if _, err := w.EnsureCase(ctx, Case{ID: "../x", SeriesPath: "/x"}); err == nil {
		t.Fatal("a case ID with a path in it")
	}
	if _, err := w.EnsureCase(ctx, Case{ID: "x"}); err == nil {
		t.Fatal("a case without a series")
	}
	if got, err := w.CaseBySeries(ctx, "1.2.3.2"); err != nil || got.ID != b.ID {
		t.Fatalf("CaseBySeries: %+v %v", got, err)
	}
	if _, err := w.CaseBySeries(ctx, "9.9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown series: %v", err)
	}
	if _, err := w.CaseBySeries(ctx, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty UID: %v", err)
	}
	if _, err := w.Case(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown case: %v", err)
	}

	// the rows are in the file: read back after reopening, in the order added
	w = reopen(t, w)
	cs, err := w.Cases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	want := []string{a.ID, a.ID + "-2", a.ID + "-3", p1.ID}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("cases %v, want %v", ids, want)
	}
	if !cs[0].Added.Equal(a.Added) || cs[0].SeriesPath != "/data/one" || cs[0].Patient != "Doe^Jane" {
		t.Fatalf("read back %+v, want %+v", cs[0], a)
	}
}

// Two workspaces on one folder stand for two liverseg processes adding the same series at once:
// one case results.
func TestEnsureCaseConcurrent(t *testing.T) {
	ctx := context.Background()
	w1, dir := openTest(t)
	w2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	errs := make(chan error, 20)
	ids := make(chan string, 20)
	for i := 0; i < 20; i++ {
		w := w1
		if i%2 == 1 {
			w = w2
		}
		go func() {
			c, err := w.EnsureCase(ctx, Case{SeriesPath: "/s", SeriesUID: "1.2", Patient: "p"})
			if err != nil {
				errs <- err
				return
			}
			ids <- c.ID
			errs <- nil
		}()
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(ids)
	for id := range ids {
		if id != CaseID("p", "1.2") {
			t.Fatalf("case %s", id)
		}
	}
	if cs, _ := w1.Cases(ctx); len(cs) != 1 {
		t.Fatalf("%d cases for one series", len(cs))
	}
}
