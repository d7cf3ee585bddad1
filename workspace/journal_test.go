package workspace

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"liverseg/scan"
)

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
	var longSnap bytes.Buffer
	gz = gzip.NewWriter(&longSnap)
	gz.Write(hb)
	gz.Write(make([]byte, 33))
	gz.Close()
	// gzip's trailer is CRC-32 then length: a flipped CRC byte is content that is not what was written
	badCRC := append([]byte(nil), snap.Bytes()...)
	badCRC[len(badCRC)-8] ^= 0xff
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
		{"a snapshot with voxels to spare", valid, longSnap.Bytes(), spath},
		{"a snapshot whose checksum fails", valid, badCRC, spath},
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

// The snapshot's format is what it was when labels were a byte a voxel (gzip of the header and
// the dense voxels): a snapshot written by hand that way reads back as its label, and a checkpoint
// of a compact mask writes exactly those bytes, so autosaves on disk from before still recover.
func TestSnapshotFormat(t *testing.T) {
	w, _ := openTest(t)
	dims := [3]int{9, 7, 4}
	dense := make([]uint8, dims[0]*dims[1]*dims[2])
	for o := range dense {
		if (o*31)%11 < 4 && o/(dims[0]*dims[1]) != 2 { // slice 2 left empty
			dense[o] = scan.Liver
		}
	}
	want, err := scan.MaskFromVoxels(dims, dense)
	if err != nil {
		t.Fatal(err)
	}
	h := autosaveHeader{gen: 1, base: 2, dims: dims}
	hb := make([]byte, snapHdrLen)
	putHeader(hb, snapshotMagic, h)
	var old bytes.Buffer
	gz := gzip.NewWriter(&old)
	gz.Write(hb)
	gz.Write(dense)
	gz.Close()
	if err := os.MkdirAll(filepath.Dir(w.snapshotPath("c1")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.snapshotPath("c1"), old.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := w.Recover("c1")
	if err != nil {
		t.Fatal(err)
	}
	if r.BaseVersion != 2 || r.Dims != dims || r.Snapshot == nil || !r.Snapshot.Equal(want) {
		t.Fatalf("a snapshot written the old way: base %d dims %v, label equal %v", r.BaseVersion, r.Dims, r.Snapshot != nil && r.Snapshot.Equal(want))
	}
	a, err := w.OpenAutosave("c1", 2, dims)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Checkpoint(want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(w.snapshotPath("c1"))
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err == nil {
		got, err = io.ReadAll(zr)
	}
	if err != nil {
		t.Fatal(err)
	}
	putHeader(hb, snapshotMagic, autosaveHeader{gen: 2, base: 2, dims: dims})
	if !bytes.Equal(got, append(hb, dense...)) {
		t.Fatalf("a checkpoint wrote %d bytes, not the header and the dense label (%d)", len(got), snapHdrLen+len(dense))
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
