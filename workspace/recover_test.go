package workspace

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"liverseg/scan"
)

// A torn last record — any prefix of it, or junk after the last good one — is dropped, every
// earlier record survives, and an editor reopening the journal cuts the tail off before appending.
func TestAutosaveTornTail(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{8, 8, 2}
	a, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	m := scan.NewMask(dims)
	for i := 0; i < 5; i++ {
		a.Append(editStep(i, m))
	}
	a.Close()
	path := w.journalPath("c1")
	good, _ := os.ReadFile(path)
	last, _ := encodeRecord(editStep(5, m))
	tails := map[string][]byte{"zeros": make([]byte, 64), "junk": []byte("\xff\xff\xff\x7fjunk")}
	for cut := 1; cut < len(last); cut++ {
		tails[fmt.Sprintf("%d of %d bytes", cut, len(last))] = last[:cut]
	}
	flipped := append([]byte(nil), last...)
	flipped[len(flipped)-1] ^= 0x40
	tails["a flipped bit"] = flipped
	for name, tail := range tails {
		os.WriteFile(path, append(append([]byte(nil), good...), tail...), 0o644)
		r, err := w.Recover("c1")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.Records) != 5 || r.Dropped != int64(len(tail)) {
			t.Fatalf("%s: %d records, %d bytes dropped", name, len(r.Records), r.Dropped)
		}
	}
	// the whole record is back
	os.WriteFile(path, append(append([]byte(nil), good...), last...), 0o644)
	if r, err := w.Recover("c1"); err != nil || len(r.Records) != 6 || r.Dropped != 0 {
		t.Fatalf("whole: %v", err)
	}
	// reopen with a torn tail: it is cut off and new records follow the good ones
	os.WriteFile(path, append(append([]byte(nil), good...), last[:7]...), 0o644)
	a, err = w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	if a.Records() != 5 {
		t.Fatalf("reopened with %d records", a.Records())
	}
	if err := a.Append(editStep(5, m)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	r, err := w.Recover("c1")
	if err != nil || len(r.Records) != 6 || r.Dropped != 0 {
		t.Fatalf("after reopening: %v %+v", err, r)
	}
	if got, _ := r.Restore(nil); stepsIn(got) != 6 {
		t.Fatalf("%d steps restored", stepsIn(got))
	}
}

// The editor process of TestAutosaveSurvivesKill: run only as that test's child. It opens the
// workspace, saves a base label, and then edits forever: each step is logged in the audit table
// and appended to the journal, and only then is its number printed, so that every number the
// parent reads is of a step that was durable. Every 25 steps it checkpoints.
func TestHelperEditor(t *testing.T) {
	dir := os.Getenv("LIVERSEG_TEST_EDITOR_WORKSPACE")
	if dir == "" {
		t.Skip("the child process of TestAutosaveSurvivesKill")
	}
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "editor:", err)
		os.Exit(3)
	}
	w, err := Open(ctx, dir)
	if err != nil {
		fail(err)
	}
	c, err := w.EnsureCase(ctx, Case{SeriesPath: "/data/kill", SeriesUID: "9.9.9", Patient: "Kill^Test"})
	if err != nil {
		fail(err)
	}
	dims := killDims
	ref := testVolume(dims)
	m := baseMask(dims)
	v, err := w.SaveLabel(ctx, c.ID, ref, m, OriginModel, 0, "m1", "")
	if err != nil {
		fail(err)
	}
	a, err := w.OpenAutosave(c.ID, v.Version, dims)
	if err != nil {
		fail(err)
	}
	fmt.Printf("case %s\n", c.ID)
	for i := 0; ; i++ {
		runs := editStep(i, m)
		if err := w.AddAudit(ctx, AuditEntry{Author: "editor", CaseID: c.ID, Tool: "brush", Slice: i % dims[2], Voxels: len(runs[1].Values)}); err != nil {
			fail(err)
		}
		if err := a.Append(runs); err != nil {
			fail(err)
		}
		if err := scan.ApplyRuns(m, runs); err != nil {
			fail(err)
		}
		if i%25 == 24 {
			if err := a.Checkpoint(m); err != nil {
				fail(err)
			}
		}
		fmt.Printf("%d\n", i) // os.Stdout is unbuffered: the line leaves with this call
	}
}

var killDims = [3]int{24, 20, 6}

// Kill the process while editing, reopen, the strokes are back: a child editor is killed with
// SIGKILL mid-stream; every step it reported durable is recovered, in order, with the audit
// entries beside them, and a torn record after them is dropped.
func TestAutosaveSurvivesKill(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs a killable child process")
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx := context.Background()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperEditor$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LIVERSEG_TEST_EDITOR_WORKSPACE="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Kill at a point that is not a checkpoint boundary, so that recovery needs the snapshot and
	// the journal both.
	const killAfter = 87
	caseID, reported := "", -1
	deadline := time.After(60 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("the editor ended early: %s", stderr.String())
			}
			if id, ok := strings.CutPrefix(line, "case "); ok {
				caseID = id
				continue
			}
			n, err := strconv.Atoi(line)
			if err != nil {
				t.Fatalf("editor said %q", line)
			}
			reported = n
			if n == 5 {
				// While the child edits, the case is its own: no second editor gets it.
				_, err := (&Workspace{Dir: dir}).lockCase(caseID)
				if want := fmt.Sprintf("process %d ", cmd.Process.Pid); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), want) {
					t.Errorf("locking the case the child edits: %v, want ErrLocked naming %q", err, want)
				}
			}
			if n >= killAfter {
				break wait
			}
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("the editor reported %d steps in 60 s: %s", reported+1, stderr.String())
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no flush, no Close
		t.Fatal(err)
	}
	cmd.Wait()
	go func() {
		for range lines { // drain what was in the pipe
		}
	}()

	w, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopening after the kill: %v", err)
	}
	defer w.Close()
	if p, err := w.Pending(ctx); err != nil || !reflect.DeepEqual(p, []string{caseID}) {
		t.Fatalf("pending %v %v, want [%s]", p, err, caseID)
	}
	check := func(stage string) int {
		t.Helper()
		r, err := w.Recover(caseID)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		if r.BaseVersion != 1 || r.Dims != killDims || r.Snapshot == nil {
			t.Fatalf("%s: base %d dims %v snapshot %v", stage, r.BaseVersion, r.Dims, r.Snapshot != nil)
		}
		base, err := w.LoadLabel(ctx, caseID, r.BaseVersion, testVolume(killDims))
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Restore(base)
		if err != nil {
			t.Fatal(err)
		}
		steps := stepsIn(got)
		if steps < reported+1 {
			t.Fatalf("%s: %d steps back, the editor reported %d durable", stage, steps, reported+1)
		}
		if want := expected(t, killDims, steps); !got.Equal(want) {
			t.Fatalf("%s: the label of %d steps differs from the one edited", stage, steps)
		}
		t.Logf("%s: %d steps back (%d reported), %d in the journal after the snapshot, %d bytes dropped", stage, steps, reported+1, len(r.Records), r.Dropped)
		return steps
	}
	steps := check("after the kill")
	audit, err := w.Audit(ctx, caseID)
	if err != nil || len(audit) < reported+1 {
		t.Fatalf("%d audit entries, the editor reported %d steps: %v", len(audit), reported+1, err)
	}
	if vs, err := w.LabelVersions(ctx, caseID); err != nil || len(vs) != 1 || vs[0].Origin != OriginModel {
		t.Fatalf("label versions after the kill: %v %v", vs, err)
	}

	// A power cut mid-write leaves part of a record: it is dropped and the rest stays.
	f, err := os.OpenFile(w.journalPath(caseID), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn, _ := encodeRecord(editStep(steps, expected(t, killDims, steps)))
	f.Write(torn[:len(torn)/2])
	f.Close()
	if again := check("with a torn record"); again != steps {
		t.Fatalf("a torn record changed the steps from %d to %d", steps, again)
	}

	// The editor starts again on what it recovered and goes on (the killed child's lock went with
	// it); then saves and discards.
	a, err := w.OpenAutosave(caseID, 1, killDims)
	if err != nil {
		t.Fatal(err)
	}
	m := expected(t, killDims, steps)
	if err := a.Append(editStep(steps, m)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if again := check("continued"); again != steps+1 {
		t.Fatalf("continued: %d steps, want %d", again, steps+1)
	}
	scan.ApplyRuns(m, editStep(steps, m))
	v, err := w.SaveLabel(ctx, caseID, testVolume(killDims), m, OriginManual, 1, "", "editor")
	if err != nil || v.Version != 2 {
		t.Fatalf("save: %+v %v", v, err)
	}
	if err := w.Discard(caseID); err != nil {
		t.Fatal(err)
	}
	if p, _ := w.Pending(ctx); len(p) != 0 {
		t.Fatalf("pending after saving: %v", p)
	}
}
