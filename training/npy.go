package training

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"liverseg/scan"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// npyWriter streams an array to a NumPy .npy file (format 1.0, little-endian, C order) whose
// first dimension is only known at the end: the header is written with room to spare and
// rewritten by Close.
type npyWriter struct {
	f     *os.File
	w     *bufio.Writer
	descr string // "<f4" or "|u1"
	inner []int  // dimensions after the first
	rows  int
	path  string
}

const npyHeaderLen = 128 // magic, version, length and the padded dict: room for any shape here

func createNPY(path, descr string, inner ...int) (*npyWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	n := &npyWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), descr: descr, inner: inner, path: path}
	if _, err := n.w.Write(n.header()); err != nil {
		f.Close()
		return nil, err
	}
	return n, nil
}

func (n *npyWriter) header() []byte {
	shape := strconv.Itoa(n.rows) + ","
	for i, d := range n.inner {
		if i == 0 {
			shape += " "
		} else {
			shape += ", "
		}
		shape += strconv.Itoa(d)
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", n.descr, shape)
	h := make([]byte, 0, npyHeaderLen)
	h = append(h, "\x93NUMPY\x01\x00"...)
	h = binary.LittleEndian.AppendUint16(h, uint16(npyHeaderLen-10))
	h = append(h, dict...)
	for len(h) < npyHeaderLen-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

// writeF32 appends one row of float32 values.
func (n *npyWriter) writeF32(v []float32) error {
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		if _, err := n.w.Write(b[:]); err != nil {
			return err
		}
	}
	n.rows++
	return nil
}

// writeU8 appends one row of bytes.
func (n *npyWriter) writeU8(v []uint8) error {
	if _, err := n.w.Write(v); err != nil {
		return err
	}
	n.rows++
	return nil
}

func (n *npyWriter) Close() error {
	if err := n.w.Flush(); err != nil {
		n.f.Close()
		return err
	}
	if _, err := n.f.WriteAt(n.header(), 0); err != nil {
		n.f.Close()
		return err
	}
	return n.f.Close()
}

// npyArray is a .npy file read whole: float32 or uint8 data with its shape.
type npyArray struct {
	Shape []int
	F32   []float32
	U8    []uint8
}

var npyDescr = regexp.MustCompile(`'descr':\s*'([^']+)'`)
var npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)

// maxNPYHeader caps a .npy header (NumPy pads it to 64 bytes; a few hundred is usual).
const maxNPYHeader = 64 << 10

// readNPY reads a little-endian float32 or uint8 C-order .npy file: a regular file of at most
// scan.MaxArrayBytes, whose header's shape accounts for exactly the bytes that follow it (so that
// a damaged or hostile header cannot make it allocate more than the file holds).
func readNPY(path string) (*npyArray, error) {
	f, st, err := scan.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > scan.MaxArrayBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes, a dataset array is at most %d", path, scan.ErrTooLarge, st.Size(), int64(scan.MaxArrayBytes))
	}
	r := bufio.NewReader(f)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%s: not a .npy file", path)
	}
	var hl int
	lenBytes := 2
	if magic[6] == 1 {
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		hl = int(binary.LittleEndian.Uint16(b[:]))
	} else {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		hl = int(binary.LittleEndian.Uint32(b[:]))
		lenBytes = 4
	}
	dataBytes := st.Size() - int64(8+lenBytes) - int64(hl)
	if hl > maxNPYHeader || dataBytes < 0 {
		return nil, fmt.Errorf("%s: bad .npy header length %d", path, hl)
	}
	hdr := make([]byte, hl)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	h := string(hdr)
	if strings.Contains(h, "'fortran_order': True") {
		return nil, fmt.Errorf("%s: Fortran order is not supported", path)
	}
	d, s := npyDescr.FindStringSubmatch(h), npyShape.FindStringSubmatch(h)
	if d == nil || s == nil {
		return nil, fmt.Errorf("%s: bad .npy header %q", path, h)
	}
	var itemSize int64
	switch d[1] {
	case "<f4":
		itemSize = 4
	case "|u1", "<u1":
		itemSize = 1
	default:
		return nil, fmt.Errorf("%s: dtype %s is not float32 or uint8", path, d[1])
	}
	a := &npyArray{}
	count := int64(1)
	for _, p := range strings.Split(s[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s: bad shape %q", path, s[1])
		}
		a.Shape = append(a.Shape, v)
		if v > 0 && count > dataBytes/int64(v) {
			count = dataBytes + 1 // more than the file holds; no overflow
		} else {
			count *= int64(v)
		}
	}
	if count*itemSize != dataBytes {
		return nil, fmt.Errorf("%s: the shape (%s) of %s needs %d bytes, the file holds %d after its header", path, s[1], d[1], count*itemSize, dataBytes)
	}
	switch d[1] {
	case "<f4":
		a.F32 = make([]float32, count)
		err = binary.Read(r, binary.LittleEndian, a.F32)
	case "|u1", "<u1":
		a.U8 = make([]uint8, count)
		_, err = io.ReadFull(r, a.U8)
	default:
		return nil, fmt.Errorf("%s: dtype %s is not float32 or uint8", path, d[1])
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}
