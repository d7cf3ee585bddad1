package workspace

// The autosave's files on disk: the journal of edit records and the snapshot of a whole label
// (Autosave writes them, Recover reads them back).
//
// Journal format (little-endian). A 36-byte header:
//
//	"LSJ1" | generation uint64 | base version int64 | dims 3 x uint32 | CRC-32C of the 32 bytes before
//
// then records, each
//
//	payload length uint32 | CRC-32C of the length's 4 bytes and the payload | payload
//
// with the payload a uvarint run count and, per run, uvarint offset, uvarint length and the
// values. A record is one write and one fsync, so a crash can tear only the last one: a reader
// stops at the first record that is incomplete or fails its CRC and drops the rest as that torn
// tail; everything before it is intact.
//
// Records hold the voxel values after an edit, not differences, so replaying a record twice is
// harmless: that is what makes a crash in the middle of Checkpoint safe (the new snapshot already
// holds the old journal's records, and replaying them over it changes nothing).
//
// Snapshot format: gzip of "LSS1" | generation uint64 | base version int64 | dims 3 x uint32 |
// the voxels; gzip's own CRC guards the content. The journal's generation is the snapshot's at
// the time the journal was started, so a journal newer than the snapshot beside it means the
// snapshot it builds on was lost, which Recover reports rather than replaying onto the wrong state.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"liverseg/scan"
)

const (
	journalMagic   = "LSJ1"
	snapshotMagic  = "LSS1"
	journalHdrLen  = 36
	snapHdrLen     = 32
	recordHdrLen   = 8
	maxAxis        = 1 << 20 // voxels per axis a journal accepts: far beyond any CT, small enough to multiply safely
	maxVoxels      = 1 << 34
	maxRecordBytes = 1<<31 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checkDims(dims [3]int) (int, error) {
	n := 1
	for _, d := range dims {
		if d < 1 || d > maxAxis {
			return 0, fmt.Errorf("dimensions %dx%dx%d: each must be 1..%d", dims[0], dims[1], dims[2], maxAxis)
		}
		n *= d
	}
	if n > maxVoxels {
		return 0, fmt.Errorf("dimensions %dx%dx%d: more than %d voxels", dims[0], dims[1], dims[2], maxVoxels)
	}
	return n, nil
}

// autosaveHeader is what the journal's and the snapshot's headers hold.
type autosaveHeader struct {
	gen  uint64
	base int
	dims [3]int
}

func putHeader(b []byte, magic string, h autosaveHeader) {
	copy(b, magic)
	binary.LittleEndian.PutUint64(b[4:], h.gen)
	binary.LittleEndian.PutUint64(b[12:], uint64(h.base))
	for i, d := range h.dims {
		binary.LittleEndian.PutUint32(b[20+4*i:], uint32(d))
	}
}

func parseHeader(b []byte, magic string) (autosaveHeader, error) {
	var h autosaveHeader
	if string(b[:4]) != magic {
		return h, fmt.Errorf("not a liverseg autosave file (magic %q, want %q)", b[:4], magic)
	}
	h.gen = binary.LittleEndian.Uint64(b[4:])
	base := int64(binary.LittleEndian.Uint64(b[12:]))
	if base < 0 || base > 1<<31 {
		return h, fmt.Errorf("base version %d", base)
	}
	h.base = int(base)
	for i := range h.dims {
		h.dims[i] = int(binary.LittleEndian.Uint32(b[20+4*i:]))
	}
	if _, err := checkDims(h.dims); err != nil {
		return h, err
	}
	return h, nil
}

func journalHeader(h autosaveHeader) []byte {
	b := make([]byte, journalHdrLen)
	putHeader(b, journalMagic, h)
	binary.LittleEndian.PutUint32(b[32:], crc32.Checksum(b[:32], castagnoli))
	return b
}

// journal is a parsed journal file.
type journal struct {
	autosaveHeader
	records [][]scan.MaskRun
	valid   int64 // the length up to the end of the last good record
}

// parseJournal reads a journal's bytes. A bad header is an error; a bad record ends the journal
// (the torn tail of a crash) and is reported through valid < len(b). A record whose CRC is good
// but whose content is not (a run outside the volume) was written that way, not torn: an error.
func parseJournal(name string, b []byte) (*journal, error) {
	if len(b) < journalHdrLen {
		return nil, fmt.Errorf("%s: %d bytes, shorter than a journal header (%d)", name, len(b), journalHdrLen)
	}
	if got, want := crc32.Checksum(b[:32], castagnoli), binary.LittleEndian.Uint32(b[32:]); got != want {
		if string(b[:4]) != journalMagic {
			return nil, fmt.Errorf("%s: not a liverseg autosave journal (magic %q)", name, b[:4])
		}
		return nil, fmt.Errorf("%s: header checksum %08x, want %08x: the header is damaged", name, got, want)
	}
	h, err := parseHeader(b, journalMagic)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	voxels, _ := checkDims(h.dims)
	j := &journal{autosaveHeader: h, valid: journalHdrLen}
	for off := int64(journalHdrLen); ; {
		rest := b[off:]
		if len(rest) < recordHdrLen {
			break // the end, or a torn record header
		}
		n := int64(binary.LittleEndian.Uint32(rest))
		if n > int64(len(rest)-recordHdrLen) {
			break // torn: the payload was not all written
		}
		rec := rest[recordHdrLen : recordHdrLen+n]
		crc := crc32.Update(crc32.Checksum(rest[:4], castagnoli), castagnoli, rec)
		if crc != binary.LittleEndian.Uint32(rest[4:]) {
			break // torn: the bytes are not the ones written
		}
		runs, err := decodeRuns(rec, voxels)
		if err != nil {
			return nil, fmt.Errorf("%s: record %d at byte %d: %w", name, len(j.records)+1, off, err)
		}
		j.records = append(j.records, runs)
		off += recordHdrLen + n
		j.valid = off
	}
	return j, nil
}

func decodeRuns(p []byte, voxels int) ([]scan.MaskRun, error) {
	r := bytes.NewReader(p)
	count, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("run count: %w", err)
	}
	if count > uint64(len(p)/2) { // a run takes at least two bytes: no huge allocation from a bad count
		return nil, fmt.Errorf("%d runs in %d bytes", count, len(p))
	}
	runs := make([]scan.MaskRun, 0, count)
	for i := uint64(0); i < count; i++ {
		off, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("run %d offset: %w", i+1, err)
		}
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("run %d length: %w", i+1, err)
		}
		if n > uint64(r.Len()) {
			return nil, fmt.Errorf("run %d: %d values, %d bytes left", i+1, n, r.Len())
		}
		if off > uint64(voxels) || n > uint64(voxels)-off {
			return nil, fmt.Errorf("run %d: voxels %d..%d outside the volume's %d", i+1, off, off+n, voxels)
		}
		vals := make([]uint8, n)
		r.Read(vals)
		runs = append(runs, scan.MaskRun{Offset: int(off), Values: vals})
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the last run", r.Len())
	}
	return runs, nil
}

// encodeRecord is a record's bytes: header and payload. Runs without values are left out.
func encodeRecord(runs []scan.MaskRun) ([]byte, error) {
	var tmp [binary.MaxVarintLen64]byte
	b := make([]byte, recordHdrLen, recordHdrLen+16)
	count := 0
	for _, r := range runs {
		if len(r.Values) > 0 {
			count++
		}
	}
	b = append(b, tmp[:binary.PutUvarint(tmp[:], uint64(count))]...)
	for _, r := range runs {
		if len(r.Values) == 0 {
			continue
		}
		b = append(b, tmp[:binary.PutUvarint(tmp[:], uint64(r.Offset))]...)
		b = append(b, tmp[:binary.PutUvarint(tmp[:], uint64(len(r.Values)))]...)
		b = append(b, r.Values...)
	}
	n := len(b) - recordHdrLen
	if n > maxRecordBytes {
		return nil, fmt.Errorf("an edit of %d bytes: checkpoint instead", n)
	}
	binary.LittleEndian.PutUint32(b, uint32(n))
	binary.LittleEndian.PutUint32(b[4:], crc32.Update(crc32.Checksum(b[:4], castagnoli), castagnoli, b[recordHdrLen:]))
	return b, nil
}

// readSnapshot reads a snapshot, checking it whole (gzip's CRC included). With keep it returns the
// label; without, the voxels are checked and dropped (OpenAutosave only needs to know the file is
// sound). The label streams in a slice at a time into the compact mask: a 1000-slice snapshot is
// never a volume-sized array here.
func readSnapshot(name string, r io.Reader, keep bool) (autosaveHeader, *scan.Mask, error) {
	var h autosaveHeader
	gz, err := gzip.NewReader(r)
	if err != nil {
		return h, nil, fmt.Errorf("%s: not a liverseg autosave snapshot: %w", name, err)
	}
	defer gz.Close()
	hb := make([]byte, snapHdrLen)
	if _, err := io.ReadFull(gz, hb); err != nil {
		return h, nil, fmt.Errorf("%s: snapshot header: %w", name, err)
	}
	if h, err = parseHeader(hb, snapshotMagic); err != nil {
		return h, nil, fmt.Errorf("%s: %w", name, err)
	}
	n, _ := checkDims(h.dims)
	sl := int64(h.dims[0]) * int64(h.dims[1])
	var m *scan.Mask
	if keep {
		m = scan.NewMask(h.dims)
	}
	// The slice buffer grows with what arrives (bytes.Buffer), so a header claiming a huge
	// slice costs nothing until its data is there.
	var buf bytes.Buffer
	for k := range h.dims[2] {
		buf.Reset()
		got, err := io.CopyN(&buf, gz, sl)
		if errors.Is(err, io.EOF) {
			return h, nil, fmt.Errorf("%s: snapshot has %d voxels, %dx%dx%d needs %d", name, int64(k)*sl+got, h.dims[0], h.dims[1], h.dims[2], n)
		}
		if err != nil {
			return h, nil, fmt.Errorf("%s: snapshot voxels: %w", name, err)
		}
		if m != nil {
			m.SetSlice(k, buf.Bytes())
		}
	}
	// Reading past the end makes gzip verify its CRC (a bad one is an error, not io.EOF).
	switch extra, err := io.Copy(io.Discard, io.LimitReader(gz, 1)); {
	case err != nil:
		return h, nil, fmt.Errorf("%s: snapshot voxels: %w", name, err)
	case extra > 0:
		return h, nil, fmt.Errorf("%s: snapshot has more than the %d voxels %dx%dx%d needs", name, n, h.dims[0], h.dims[1], h.dims[2])
	}
	return h, m, nil
}

func readSnapshotFile(path string, keep bool) (autosaveHeader, *scan.Mask, error) {
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return autosaveHeader{}, nil, err
	}
	defer f.Close()
	return readSnapshot(path, bufio.NewReader(f), keep)
}

// writeSnapshot writes a snapshot of header h and the label m into gz (reset onto w here, so that
// a checkpoint reuses its compressor instead of allocating one). The label streams a slice at a
// time (Mask.WriteTo): a snapshot costs one slice's buffer, whatever the volume's size.
func writeSnapshot(w io.Writer, gz *gzip.Writer, h autosaveHeader, m *scan.Mask) error {
	gz.Reset(w)
	hb := make([]byte, snapHdrLen)
	putHeader(hb, snapshotMagic, h)
	if _, err := gz.Write(hb); err != nil {
		return err
	}
	if _, err := m.WriteTo(gz); err != nil {
		return err
	}
	return gz.Close()
}

// newSnapshotWriter is the compressor of snapshots. BestSpeed: a label compresses well at any
// level, and this runs while the user edits.
func newSnapshotWriter() *gzip.Writer {
	gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return gz
}

// genFits says whether a journal of generation jgen can be replayed over the snapshot of
// generation sgen (if hasSnap): it was started with that snapshot, or with the one before and
// Checkpoint was interrupted after writing the new snapshot (whose content then includes all of
// the journal's records, so replaying them changes nothing). Anything else would replay edits
// onto a state they were not made on.
func genFits(jgen, sgen uint64, hasSnap bool) bool {
	if !hasSnap {
		return jgen == 0
	}
	return jgen == sgen || jgen+1 == sgen
}
