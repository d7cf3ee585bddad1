package workspace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"liverseg/scan"
)

// editStep is the i-th scripted edit of a dims-sized label: voxels 0 and 1 count the steps (so a
// recovered label says how many steps it holds), and a stroke of 1..30 voxels somewhere else is
// painted or erased. Every fifth step "undoes" the previous stroke by writing its old values back,
// as the editor's undo would.
func editStep(i int, m *scan.Mask) []scan.MaskRun {
	n := len(m.Voxels)
	runs := []scan.MaskRun{{Offset: 0, Values: []uint8{uint8(i + 1), uint8((i + 1) >> 8)}}}
	off := 2 + (i*37)%(n-40)
	length := 1 + i%30
	if i%5 == 4 {
		prev := i - 1
		off, length = 2+(prev*37)%(n-40), 1+prev%30
		old := make([]uint8, length)
		for v := range old {
			old[v] = uint8((off + v) % 2) // the base pattern (see baseMask)
		}
		return append(runs, scan.MaskRun{Offset: off, Values: old})
	}
	vals := make([]uint8, length)
	for v := range vals {
		vals[v] = uint8(i % 2)
	}
	return append(runs, scan.MaskRun{Offset: off, Values: vals})
}

// baseMask is the label edits start from in these tests: alternate voxels set.
func baseMask(dims [3]int) *scan.Mask {
	m := scan.NewMask(dims)
	for i := range m.Voxels {
		m.Voxels[i] = uint8(i % 2)
	}
	return m
}

// expected is the label after steps 0..n-1 applied to the base.
func expected(t *testing.T, dims [3]int, n int) *scan.Mask {
	t.Helper()
	m := baseMask(dims)
	for i := 0; i < n; i++ {
		if err := scan.ApplyRuns(m, editStep(i, m)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func stepsIn(m *scan.Mask) int { return int(m.Voxels[0]) | int(m.Voxels[1])<<8 }

func TestAutosaveRoundTrip(t *testing.T) {
	ctx := context.Background()
	w, _ := openTest(t)
	dims := [3]int{16, 12, 5}
	if p, err := w.Pending(ctx); err != nil || len(p) != 0 {
		t.Fatalf("pending in a new workspace: %v %v", p, err)
	}
	a, err := w.OpenAutosave("c1", 3, dims)
	if err != nil {
		t.Fatal(err)
	}
	// an editor opened with no edits leaves nothing to recover
	if p, _ := w.Pending(ctx); len(p) != 0 {
		t.Fatalf("pending before any edit: %v", p)
	}
	m := baseMask(dims)
	var steps [][]scan.MaskRun
	for i := 0; i < 12; i++ {
		runs := editStep(i, m)
		if err := a.Append(runs); err != nil {
			t.Fatal(err)
		}
		scan.ApplyRuns(m, runs)
		steps = append(steps, runs)
	}
	// a step that changes nothing writes nothing
	if err := a.Append(nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Append([]scan.MaskRun{{Offset: 5}}); err != nil {
		t.Fatal(err)
	}
	// runs outside the volume are refused whole
	n := dims[0] * dims[1] * dims[2]
	for _, bad := range [][]scan.MaskRun{
		{{Offset: 0, Values: []uint8{1}}, {Offset: -1, Values: []uint8{1}}},
		{{Offset: n, Values: []uint8{1}}},
		{{Offset: n - 1, Values: []uint8{1, 1}}},
	} {
		if err := a.Append(bad); err == nil {
			t.Fatalf("appended %v", bad)
		}
	}
	if a.Records() != 12 {
		t.Fatalf("%d records", a.Records())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if p, err := w.Pending(ctx); err != nil || !reflect.DeepEqual(p, []string{"c1"}) {
		t.Fatalf("pending %v %v", p, err)
	}
	r, err := w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	if r.BaseVersion != 3 || r.Dims != dims || r.Snapshot != nil || r.Dropped != 0 || !reflect.DeepEqual(r.Records, steps) {
		t.Fatalf("recovered %+v", r)
	}
	got, err := r.Restore(baseMask(dims))
	if err != nil || !bytes.Equal(got.Voxels, m.Voxels) {
		t.Fatalf("restored label differs: %v", err)
	}
	if _, err := r.Restore(nil); err == nil {
		t.Fatal("restored edits of version 3 without version 3")
	}
	if _, err := r.Restore(scan.NewMask([3]int{16, 12, 4})); err == nil {
		t.Fatal("restored onto a base of other dimensions")
	}
	// another base version is not mixed into this journal
	if _, err := w.OpenAutosave("c1", 4, dims); !errors.Is(err, ErrExists) {
		t.Fatalf("a journal of version 3 opened for version 4: %v", err)
	}
	if _, err := w.OpenAutosave("c1", 3, [3]int{16, 12, 6}); !errors.Is(err, ErrExists) {
		t.Fatalf("a journal opened for other dimensions: %v", err)
	}
	if err := w.Discard("c1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := w.Pending(ctx); len(p) != 0 {
		t.Fatalf("pending after discard: %v", p)
	}
	if _, err := w.Recover("c1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recovering a discarded case: %v", err)
	}
	if err := w.Discard("c1"); err != nil {
		t.Fatalf("discarding twice: %v", err)
	}
	if _, err := w.OpenAutosave("../x", 0, dims); err == nil {
		t.Fatal("a case ID with a path in it")
	}
	if _, err := w.OpenAutosave("c2", 0, [3]int{0, 1, 1}); err == nil {
		t.Fatal("zero dimensions")
	}
	if err := a.Append(steps[0]); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("appending after Close: %v", err)
	}
}

func TestAutosaveCheckpoint(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{10, 10, 3}
	a, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	m := scan.NewMask(dims)
	for i := 0; i < 7; i++ {
		runs := editStep(i, m)
		a.Append(runs)
		scan.ApplyRuns(m, runs)
	}
	before := m.Voxels[:0:0]
	before = append(before, m.Voxels...)
	if err := a.Checkpoint(m); err != nil {
		t.Fatal(err)
	}
	if a.Records() != 0 {
		t.Fatalf("%d records after a checkpoint", a.Records())
	}
	if st, _ := os.Stat(w.journalPath("c1")); st.Size() != journalHdrLen {
		t.Fatalf("journal of %d bytes after a checkpoint", st.Size())
	}
	for i := 7; i < 10; i++ {
		runs := editStep(i, m)
		a.Append(runs)
		scan.ApplyRuns(m, runs)
	}
	r, err := w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Snapshot == nil || !bytes.Equal(r.Snapshot.Voxels, before) || len(r.Records) != 3 {
		t.Fatalf("snapshot %v, %d records", r.Snapshot != nil, len(r.Records))
	}
	got, err := r.Restore(nil)
	if err != nil || !bytes.Equal(got.Voxels, m.Voxels) {
		t.Fatalf("restored label differs: %v", err)
	}
	if err := a.Checkpoint(scan.NewMask([3]int{10, 10, 2})); err == nil {
		t.Fatal("checkpointed a mask of other dimensions")
	}

	// A crash inside Checkpoint, after the new snapshot and before the new journal: the old
	// journal's records are replayed over a snapshot that holds them already, which changes
	// nothing.
	journalBefore, _ := os.ReadFile(w.journalPath("c1"))
	if err := a.Checkpoint(m); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(w.journalPath("c1"), journalBefore, 0o644)
	r, err = w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Restore(nil); err != nil || !bytes.Equal(got.Voxels, m.Voxels) {
		t.Fatalf("after a crash inside Checkpoint the label differs: %v", err)
	}
	// and an editor reopened then keeps appending to that journal, still right
	a.Close()
	a2, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	runs := editStep(10, m)
	a2.Append(runs)
	scan.ApplyRuns(m, runs)
	a2.Close()
	if r, err = w.Recover("c1"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Restore(nil); err != nil || !bytes.Equal(got.Voxels, m.Voxels) {
		t.Fatalf("continued journal: the label differs: %v", err)
	}
	if err := a2.Discard(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{w.journalPath("c1"), w.snapshotPath("c1")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Discard: %v", p, err)
		}
	}
}

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

// Damaged or foreign files give errors that name the file, and never a panic.
func TestAutosaveHostileFiles(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{4, 4, 2}
	jpath, spath := w.journalPath("c1"), w.snapshotPath("c1")
	valid := journalHeader(autosaveHeader{dims: dims})
	rec, _ := encodeRecord([]scan.MaskRun{{Offset: 3, Values: []uint8{1, 1}}})
	outside, _ := encodeRecord([]scan.MaskRun{{Offset: 31, Values: []uint8{1, 1}}})
	badDims := journalHeader(autosaveHeader{dims: [3]int{0, 4, 2}})
	newer := journalHeader(autosaveHeader{gen: 2, dims: dims})
	var snap bytes.Buffer
	gz := gzip.NewWriter(&snap)
	hb := make([]byte, snapHdrLen)
	putHeader(hb, snapshotMagic, autosaveHeader{gen: 1, dims: dims})
	gz.Write(hb)
	gz.Write(make([]byte, 32))
	gz.Close()
	var shortSnap bytes.Buffer
	gz = gzip.NewWriter(&shortSnap)
	gz.Write(hb)
	gz.Write(make([]byte, 31))
	gz.Close()
	var snap2 bytes.Buffer
	gz = gzip.NewWriter(&snap2)
	putHeader(hb, snapshotMagic, autosaveHeader{gen: 2, dims: dims})
	gz.Write(hb)
	gz.Write(make([]byte, 32))
	gz.Close()
	putHeader(hb, snapshotMagic, autosaveHeader{gen: 1, dims: dims})
	otherBase := journalHeader(autosaveHeader{base: 5, dims: dims})

	for _, tc := range []struct {
		name              string
		journal, snapshot []byte
		file              string // the file the error must name
	}{
		{"an empty journal", []byte{}, nil, jpath},
		{"a short header", valid[:20], nil, jpath},
		{"another file", []byte("<html>not a journal at all, no, not at all</html>"), nil, jpath},
		{"a damaged header", append(append([]byte(nil), valid[:10]...), append([]byte{valid[10] ^ 1}, valid[11:]...)...), nil, jpath},
		{"zero dimensions", badDims, nil, jpath},
		{"a run outside the volume", append(append([]byte(nil), valid...), outside...), nil, jpath},
		{"a journal newer than its snapshot", newer, nil, jpath},
		{"a journal newer than the snapshot", newer, snap.Bytes(), jpath},
		{"a journal two generations behind the snapshot", valid, snap2.Bytes(), jpath},
		{"a snapshot that is not gzip", valid, []byte("nope"), spath},
		{"a truncated snapshot", valid, snap.Bytes()[:snap.Len()-10], spath},
		{"a snapshot short of voxels", valid, shortSnap.Bytes(), spath},
		{"a snapshot of another version", otherBase, snap.Bytes(), jpath},
	} {
		os.Remove(jpath)
		os.Remove(spath)
		if tc.journal != nil {
			os.WriteFile(jpath, tc.journal, 0o644)
		}
		if tc.snapshot != nil {
			os.WriteFile(spath, tc.snapshot, 0o644)
		}
		_, err := w.Recover("c1")
		if err == nil || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("%s: Recover: %v (want an error naming %s)", tc.name, err, tc.file)
		}
		if tc.name == "a snapshot of another version" {
			continue // OpenAutosave reports the snapshot: it is read first
		}
		if _, err := w.OpenAutosave("c1", 0, dims); err == nil || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("%s: OpenAutosave: %v (want an error naming %s)", tc.name, err, tc.file)
		}
	}
	// the good pieces work
	os.Remove(spath)
	os.WriteFile(jpath, append(append([]byte(nil), valid...), rec...), 0o644)
	if r, err := w.Recover("c1"); err != nil || len(r.Records) != 1 {
		t.Fatalf("valid journal: %v", err)
	}
	os.WriteFile(spath, snap.Bytes(), 0o644)
	os.WriteFile(jpath, journalHeader(autosaveHeader{gen: 1, dims: dims}), 0o644)
	if r, err := w.Recover("c1"); err != nil || r.Snapshot == nil {
		t.Fatalf("valid snapshot: %v", err)
	}
	// a snapshot alone (Discard interrupted between its two removals) is still offered
	os.Remove(jpath)
	if r, err := w.Recover("c1"); err != nil || r.Snapshot == nil || len(r.Records) != 0 {
		t.Fatalf("snapshot alone: %v", err)
	}
	if p, _ := w.Pending(context.Background()); !reflect.DeepEqual(p, []string{"c1"}) {
		t.Fatalf("pending with a snapshot alone: %v", p)
	}
}

func FuzzReadJournal(f *testing.F) {
	dims := [3]int{6, 5, 4}
	m := scan.NewMask(dims)
	j := journalHeader(autosaveHeader{gen: 1, base: 2, dims: dims})
	f.Add(append([]byte(nil), j...))
	for i := 0; i < 4; i++ {
		rec, _ := encodeRecord(editStep(i, m))
		j = append(j, rec...)
	}
	f.Add(j)
	f.Add(j[:len(j)-3])
	f.Add([]byte{})
	f.Add([]byte("LSJ1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseJournal("fuzz.journal", b)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.journal") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if got.valid < journalHdrLen || got.valid > int64(len(b)) {
			t.Fatalf("valid length %d of %d", got.valid, len(b))
		}
		voxels, err := checkDims(got.dims)
		if err != nil {
			t.Fatalf("accepted dims %v: %v", got.dims, err)
		}
		for _, runs := range got.records {
			if err := scan.CheckRuns(runs, voxels); err != nil {
				t.Fatalf("accepted a run outside the volume: %v", err)
			}
		}
		// what was read writes back to the same records
		again := journalHeader(got.autosaveHeader)
		for _, runs := range got.records {
			rec, err := encodeRecord(runs)
			if err != nil {
				t.Fatal(err)
			}
			again = append(again, rec...)
		}
		re, err := parseJournal("fuzz.journal", again)
		if err != nil || re.valid != int64(len(again)) || len(re.records) != len(got.records) {
			t.Fatalf("re-encoded journal: %v", err)
		}
		for i := range re.records {
			if !reflect.DeepEqual(re.records[i], got.records[i]) && !(len(re.records[i]) == 0 && len(got.records[i]) == 0) {
				t.Fatalf("record %d: %v, then %v", i, got.records[i], re.records[i])
			}
		}
	})
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
		if want := expected(t, killDims, steps); !bytes.Equal(got.Voxels, want.Voxels) {
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

// An editor goroutine appending while a timer goroutine checkpoints, the way the GUI does: the
// editor's lock covers a step's apply and append, the timer holds it while it checkpoints. Run
// under -race this also checks Autosave's own locking.
func TestAutosaveTimerCheckpoint(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{12, 10, 3}
	a, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var mu sync.Mutex
	m := scan.NewMask(dims)
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(done)
		for i := 0; i < 120; i++ {
			mu.Lock()
			runs := editStep(i, m)
			err := a.Append(runs)
			if err == nil {
				err = scan.ApplyRuns(m, runs)
			}
			mu.Unlock()
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	checkpoints := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			mu.Lock()
			if err := a.Checkpoint(m); err != nil {
				t.Error(err)
			}
			mu.Unlock()
			checkpoints++
			time.Sleep(time.Millisecond)
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	r, err := w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Restore(nil)
	if err != nil || !bytes.Equal(got.Voxels, m.Voxels) || stepsIn(got) != 120 {
		t.Fatalf("after %d checkpoints: %d steps restored, %v", checkpoints, stepsIn(got), err)
	}
}

// One editor a case: a second Autosave, or a Discard, while one is open is ErrLocked, naming the
// lock file; closing (or discarding) gives the case back.
func TestAutosaveLock(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{8, 6, 3}
	a, err := w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.OpenAutosave("c1", 0, dims); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), w.lockPath("c1")) {
		t.Errorf("a second editor of c1: %v, want ErrLocked naming %s", err, w.lockPath("c1"))
	}
	if err := w.Discard("c1"); !errors.Is(err, ErrLocked) {
		t.Errorf("discarding under an open editor: %v, want ErrLocked", err)
	}
	b, err := w.OpenAutosave("c2", 0, dims)
	if err != nil {
		t.Fatalf("another case is free: %v", err)
	}
	b.Discard()
	if err := a.Append([]scan.MaskRun{{Offset: 3, Values: []uint8{1}}}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a, err = w.OpenAutosave("c1", 0, dims)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	if err := a.Discard(); err != nil {
		t.Fatal(err)
	}
	if err := w.Discard("c1"); err != nil {
		t.Fatalf("after Discard: %v", err)
	}
	if p, err := w.Pending(context.Background()); err != nil || len(p) != 0 {
		t.Errorf("lock files count as pending edits: %v %v", p, err)
	}
}
