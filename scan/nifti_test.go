package scan

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// niftiTestVolume is a small volume with a non-trivial geometry: rotated about z by 30° and about
// x by 10°, with the slice axis pointing against the row × column normal (a left-handed frame,
// so the written qform needs qfac -1), anisotropic spacing and an origin away from zero.
func niftiTestVolume(dims [3]int, oblique bool) *Volume {
	v := &Volume{
		Dims:      dims,
		Spacing:   [3]float64{0.75, 0.8, 2.5},
		Origin:    [3]float64{-180.25, -150.5, 42.125},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
	if oblique {
		cz, sz := math.Cos(math.Pi/6), math.Sin(math.Pi/6)
		cx, sx := math.Cos(math.Pi/18), math.Sin(math.Pi/18)
		// Rz * Rx, columns are the axes
		rz := [3][3]float64{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}
		rx := [3][3]float64{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}
		var r [3][3]float64
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				for k := 0; k < 3; k++ {
					r[i][j] += rz[i][k] * rx[k][j]
				}
			}
		}
		for ax := 0; ax < 3; ax++ {
			v.Direction[ax] = [3]float64{r[0][ax], r[1][ax], r[2][ax]}
		}
		v.Direction[2] = niftiScale(v.Direction[2], -1)
	}
	v.Voxels = make([]int16, v.Len())
	for i := range v.Voxels {
		v.Voxels[i] = int16((i*37)%3000 - 1024)
	}
	return v
}

// niftiTestMask is a deterministic blob plus scattered voxels, so that a flipped or permuted
// read-back cannot match by symmetry.
func niftiTestMask(dims [3]int) *Mask {
	m := NewMask(dims)
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				in := i < dims[0]/2 && j > dims[1]/3 && k >= 1
				if in || (i*7+j*13+k*31)%11 == 0 {
					m.Voxels[(k*dims[1]+j)*dims[0]+i] = Liver
				}
			}
		}
	}
	return m
}

func countNonzero(b []uint8) int {
	n := 0
	for _, x := range b {
		if x != 0 {
			n++
		}
	}
	return n
}

func TestNIfTILabelRoundTrip(t *testing.T) {
	for _, oblique := range []bool{false, true} {
		for _, ext := range []string{".nii", ".nii.gz"} {
			t.Run(fmt.Sprintf("oblique=%v%s", oblique, ext), func(t *testing.T) {
				ref := niftiTestVolume([3]int{9, 7, 5}, oblique)
				m := niftiTestMask(ref.Dims)
				path := filepath.Join(t.TempDir(), "label"+ext)
				if err := WriteNIfTILabel(path, ref, m); err != nil {
					t.Fatal(err)
				}
				raw, _ := os.ReadFile(path)
				if gz := len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b; gz != (ext == ".nii.gz") {
					t.Fatalf("gzip %v for %s", gz, ext)
				}
				got, err := ReadNIfTILabel(path, ref)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Voxels, m.Voxels) || got.Dims != m.Dims {
					t.Fatalf("label differs after the round trip")
				}
				// The header says what the brief promises.
				hb := niftiTestHeader(t, path)
				h, err := parseNIfTIHeader(hb)
				if err != nil {
					t.Fatal(err)
				}
				le := binary.LittleEndian
				if h.datatype != niftiUint8 || int16(le.Uint16(hb[68:])) != niftiIntentLabel || hb[123] != niftiUnitsMM ||
					le.Uint16(hb[252:]) != 1 || le.Uint16(hb[254:]) != 1 || string(hb[344:347]) != "n+1" ||
					!strings.HasPrefix(string(hb[148:]), "liverseg label") {
					t.Errorf("header fields wrong: datatype %d intent %d units %d qform %d sform %d magic %q",
						h.datatype, le.Uint16(hb[68:]), hb[123], le.Uint16(hb[252:]), le.Uint16(hb[254:]), hb[344:348])
				}
				if qfac := math.Float32frombits(le.Uint32(hb[76:])); (qfac < 0) != oblique {
					t.Errorf("qfac %v for a frame that is left-handed=%v", qfac, oblique)
				}
			})
		}
	}
}

// niftiTestHeader returns the first 348 bytes of a NIfTI file, inflated if need be.
func niftiTestHeader(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	b := make([]byte, niftiHeaderSize)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNIfTIVolumeRoundTrip(t *testing.T) {
	for _, oblique := range []bool{false, true} {
		v := niftiTestVolume([3]int{6, 5, 4}, oblique)
		path := filepath.Join(t.TempDir(), "ct.nii.gz")
		if err := WriteNIfTIVolume(path, v); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNIfTIVolume(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Dims != v.Dims || len(got.Voxels) != len(v.Voxels) {
			t.Fatalf("dims %v, want %v", got.Dims, v.Dims)
		}
		for i := range v.Voxels {
			if got.Voxels[i] != v.Voxels[i] {
				t.Fatalf("voxel %d: %d, want %d", i, got.Voxels[i], v.Voxels[i])
			}
		}
		niftiSameGeometry(t, got, v, 1e-4)
		if got.Series.Path != path || got.Series.Modality != "CT" {
			t.Errorf("series %+v", got.Series)
		}
	}
}

func niftiSameGeometry(t *testing.T, got, want *Volume, tol float64) {
	t.Helper()
	for a := 0; a < 3; a++ {
		if math.Abs(got.Spacing[a]-want.Spacing[a]) > tol || math.Abs(got.Origin[a]-want.Origin[a]) > tol ||
			niftiNorm(niftiSub(got.Direction[a], want.Direction[a])) > tol {
			t.Fatalf("geometry: got %s, want %s", niftiVolumeGeometry(got), niftiVolumeGeometry(want))
		}
	}
}

// niftiWritePermuted writes m as a label whose voxel axis a is ref's axis perm[a], reversed where
// flip[a]: what another tool might write for the same place, in its own voxel order.
func niftiWritePermuted(t *testing.T, path string, ref *Volume, m *Mask, perm [3]int, flip [3]bool) {
	t.Helper()
	var ld [3]int
	var refIdx0 [3]float64
	var lps [3][4]float64
	for a := 0; a < 3; a++ {
		b := perm[a]
		ld[a] = ref.Dims[b]
		s := ref.Spacing[b]
		if flip[a] {
			s = -s
			refIdx0[b] = float64(ref.Dims[b] - 1)
		}
		for w := 0; w < 3; w++ {
			lps[w][a] = s * ref.Direction[b][w]
		}
	}
	o := ref.Position(refIdx0[0], refIdx0[1], refIdx0[2])
	for w := 0; w < 3; w++ {
		lps[w][3] = o[w]
	}
	ras := lps
	for c := 0; c < 4; c++ {
		ras[0][c], ras[1][c] = -ras[0][c], -ras[1][c]
	}
	data := make([]byte, 0, len(m.Voxels))
	for l2 := 0; l2 < ld[2]; l2++ {
		for l1 := 0; l1 < ld[1]; l1++ {
			for l0 := 0; l0 < ld[0]; l0++ {
				l := [3]int{l0, l1, l2}
				var r [3]int
				for a := 0; a < 3; a++ {
					r[perm[a]] = l[a]
					if flip[a] {
						r[perm[a]] = ld[a] - 1 - l[a]
					}
				}
				data = append(data, m.Voxels[ref.Index(r[0], r[1], r[2])])
			}
		}
	}
	if err := writeNIfTI(path, niftiWrite{dims: ld, datatype: niftiUint8, ras: ras, intent: niftiIntentLabel}, data); err != nil {
		t.Fatal(err)
	}
}

func TestNIfTILabelPermutedAndFlipped(t *testing.T) {
	perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	for _, oblique := range []bool{false, true} {
		ref := niftiTestVolume([3]int{6, 5, 4}, oblique) // distinct dims: a wrong permutation cannot fit
		m := niftiTestMask(ref.Dims)
		dir := t.TempDir()
		for _, perm := range perms {
			for f := 0; f < 8; f++ {
				flip := [3]bool{f&1 != 0, f&2 != 0, f&4 != 0}
				path := filepath.Join(dir, fmt.Sprintf("p%v%v%v-f%d.nii", perm[0], perm[1], perm[2], f))
				niftiWritePermuted(t, path, ref, m, perm, flip)
				got, err := ReadNIfTILabel(path, ref)
				if err != nil {
					t.Fatalf("perm %v flip %v: %v", perm, flip, err)
				}
				if !bytes.Equal(got.Voxels, m.Voxels) {
					t.Fatalf("perm %v flip %v (oblique %v): label not aligned back", perm, flip, oblique)
				}
			}
		}
	}
}

func TestNIfTILabelGeometryMismatch(t *testing.T) {
	ref := niftiTestVolume([3]int{6, 5, 4}, false)
	m := niftiTestMask(ref.Dims)
	dir := t.TempDir()
	other := func(change func(v *Volume)) *Volume {
		v := *ref
		change(&v)
		return &v
	}
	cases := map[string]*Volume{
		"spacing": other(func(v *Volume) { v.Spacing[0] = 0.76 }),
		"slices":  other(func(v *Volume) { v.Dims[2] = 5; v.Voxels = make([]int16, v.Len()) }),
		"origin":  other(func(v *Volume) { v.Origin[1] += 0.4 }), // half a voxel
		"oblique": niftiTestVolume(ref.Dims, true),
		// a grid that drifts: 0.05% more slice spacing is within the per-axis tolerance, but a
		// long grid would end a fraction of a voxel off
		"drift": func() *Volume {
			big := niftiTestVolume([3]int{4, 4, 400}, false)
			big.Spacing[2] *= 1.0005
			return big
		}(),
	}
	for name, labelGeom := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".nii.gz")
			lm := niftiTestMask(labelGeom.Dims)
			if err := WriteNIfTILabel(path, labelGeom, lm); err != nil {
				t.Fatal(err)
			}
			r := ref
			if name == "drift" {
				r = niftiTestVolume([3]int{4, 4, 400}, false)
			}
			_, err := ReadNIfTILabel(path, r)
			if !errors.Is(err, ErrGeometry) {
				t.Fatalf("err = %v, want ErrGeometry", err)
			}
			msg := err.Error()
			for _, want := range []string{path, "label " + dimsString(labelGeom.Dims), "volume " + dimsString(r.Dims), "spacing", "origin"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			t.Log(msg)
		})
	}
	// Within tolerance: a float32-rounded origin and a spacing off by 1e-5 relative still align.
	near := other(func(v *Volume) { v.Origin[0] += 0.002; v.Spacing[1] *= 1 + 1e-5 })
	path := filepath.Join(dir, "near.nii")
	if err := WriteNIfTILabel(path, near, m); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadNIfTILabel(path, ref); err != nil || !bytes.Equal(got.Voxels, m.Voxels) {
		t.Fatalf("near geometry: %v", err)
	}
}

// niftiRawFile builds a NIfTI file from header fields, for the reader's corner cases.
type niftiRaw struct {
	order        binary.ByteOrder
	dims         []int16 // dim[1..]
	datatype     int16
	data         []byte
	slope, inter float32
	sform, qform int16
	voxOffset    float32
	pixdim       [8]float32
	quatern      [6]float32
	srow         [3][4]float32
	magic        string
}

func (r niftiRaw) bytes() []byte {
	o := r.order
	if o == nil {
		o = binary.LittleEndian
	}
	b := make([]byte, niftiDataOffset)
	o.PutUint32(b, niftiHeaderSize)
	o.PutUint16(b[40:], uint16(len(r.dims)))
	for i, d := range r.dims {
		o.PutUint16(b[42+2*i:], uint16(d))
	}
	o.PutUint16(b[70:], uint16(r.datatype))
	for i, p := range r.pixdim {
		o.PutUint32(b[76+4*i:], math.Float32bits(p))
	}
	o.PutUint32(b[108:], math.Float32bits(r.voxOffset))
	o.PutUint32(b[112:], math.Float32bits(r.slope))
	o.PutUint32(b[116:], math.Float32bits(r.inter))
	o.PutUint16(b[252:], uint16(r.qform))
	o.PutUint16(b[254:], uint16(r.sform))
	for i, q := range r.quatern {
		o.PutUint32(b[256+4*i:], math.Float32bits(q))
	}
	for i := range r.srow {
		for j := range r.srow[i] {
			o.PutUint32(b[280+16*i+4*j:], math.Float32bits(r.srow[i][j]))
		}
	}
	magic := r.magic
	if magic == "" {
		magic = "n+1\x00"
	}
	copy(b[344:], magic)
	if r.voxOffset > niftiDataOffset {
		b = append(b, make([]byte, int(r.voxOffset)-niftiDataOffset)...)
	}
	return append(b, r.data...)
}

func niftiGzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestNIfTIDatatypesAndEndianness(t *testing.T) {
	vals := []float64{0, 1, 2, 3, 100, 7, 0, 50, 1, 9, 30, 0} // representable in every type
	encode := func(o binary.ByteOrder, dt int16) []byte {
		var buf bytes.Buffer
		for _, v := range vals {
			var x any
			switch dt {
			case niftiUint8:
				x = uint8(v)
			case niftiInt8:
				x = int8(v)
			case niftiInt16:
				x = int16(v)
			case niftiUint16:
				x = uint16(v)
			case niftiInt32:
				x = int32(v)
			case niftiUint32:
				x = uint32(v)
			case niftiFloat32:
				x = float32(v)
			case niftiFloat64:
				x = v
			case niftiInt64:
				x = int64(v)
			case niftiUint64:
				x = uint64(v)
			}
			binary.Write(&buf, o, x)
		}
		return buf.Bytes()
	}
	types := []int16{niftiUint8, niftiInt8, niftiInt16, niftiUint16, niftiInt32, niftiUint32, niftiFloat32, niftiFloat64, niftiInt64, niftiUint64}
	for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, dt := range types {
			for _, scale := range [][2]float32{{0, 0}, {2.5, -1024}} {
				raw := niftiRaw{order: o, dims: []int16{3, 2, 2, 1}, datatype: dt, data: encode(o, dt),
					slope: scale[0], inter: scale[1], pixdim: [8]float32{1, 0.5, 0.6, 2}}
				name := fmt.Sprintf("%v-%s-%v", o, niftiTypeName(dt), scale)
				v, err := readNIfTIVolume(name, bytes.NewReader(raw.bytes()), -1)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				slope, inter := float64(scale[0]), float64(scale[1])
				if slope == 0 {
					slope, inter = 1, 0
				}
				for i, x := range vals {
					if want := int16(math.Round(x*slope + inter)); v.Voxels[i] != want {
						t.Fatalf("%s voxel %d: %d, want %d", name, i, v.Voxels[i], want)
					}
				}
				if v.Dims != [3]int{3, 2, 2} || v.Spacing != [3]float64{0.5, float64(float32(0.6)), 2} {
					t.Fatalf("%s: dims %v spacing %v", name, v.Dims, v.Spacing)
				}
				// As a label: nonzero after scaling. With inter -1024 every voxel is nonzero.
				ref := &Volume{Dims: v.Dims, Spacing: v.Spacing, Origin: v.Origin, Direction: v.Direction}
				m, err := readNIfTILabel(name, bytes.NewReader(niftiGzip(raw.bytes())), -1, ref)
				if err != nil {
					t.Fatalf("%s label: %v", name, err)
				}
				want := 0
				for _, x := range vals {
					if x*slope+inter != 0 {
						want++
					}
				}
				if got := countNonzero(m.Voxels); got != want {
					t.Fatalf("%s label: %d nonzero, want %d", name, got, want)
				}
			}
		}
	}
}

func TestNIfTIAffineSources(t *testing.T) {
	ref := niftiTestVolume([3]int{4, 3, 2}, true) // left-handed and oblique: qfac -1
	path := filepath.Join(t.TempDir(), "v.nii")
	if err := WriteNIfTIVolume(path, ref); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)

	// qform only: drop the sform code; the quaternion must give the same place.
	qonly := bytes.Clone(full)
	binary.LittleEndian.PutUint16(qonly[254:], 0)
	v, err := readNIfTIVolume("qform", bytes.NewReader(qonly), -1)
	if err != nil {
		t.Fatal(err)
	}
	niftiSameGeometry(t, v, ref, 1e-4)

	// The sform wins over a contradicting qform.
	sform := bytes.Clone(full)
	binary.LittleEndian.PutUint32(sform[268:], math.Float32bits(999))
	if v, err = readNIfTIVolume("sform", bytes.NewReader(sform), -1); err != nil {
		t.Fatal(err)
	}
	niftiSameGeometry(t, v, ref, 1e-4)

	// Neither: pixdim only, at the origin, axes along RAS (so LPS -x, -y, +z).
	none := bytes.Clone(qonly)
	binary.LittleEndian.PutUint16(none[252:], 0)
	if v, err = readNIfTIVolume("pixdim", bytes.NewReader(none), -1); err != nil {
		t.Fatal(err)
	}
	want := &Volume{Spacing: ref.Spacing, Direction: [3][3]float64{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}}
	niftiSameGeometry(t, v, want, 1e-6)

	// A 180° quaternion (b, c, d a unit vector, a = 0): rotation about z by π, i.e. RAS axes
	// (-1,0,0), (0,-1,0), (0,0,1): LPS axes +x, +y, +z.
	raw := niftiRaw{dims: []int16{2, 2, 2}, datatype: niftiUint8, data: make([]byte, 8), qform: 1,
		pixdim: [8]float32{1, 1, 1, 1}, quatern: [6]float32{0, 0, 1, 10, 20, 30}}
	if v, err = readNIfTIVolume("q180", bytes.NewReader(raw.bytes()), -1); err != nil {
		t.Fatal(err)
	}
	niftiSameGeometry(t, v, &Volume{Spacing: [3]float64{1, 1, 1}, Origin: [3]float64{-10, -20, 30},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}, 1e-6)
}

func TestNIfTIHostile(t *testing.T) {
	good := niftiRaw{dims: []int16{4, 3, 2}, datatype: niftiInt16, data: make([]byte, 48), pixdim: [8]float32{1, 1, 1, 1}}
	cases := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrNotNIfTI},
		{"text", []byte("hello, this is not an image at all"), ErrNotNIfTI},
		{"short header", good.bytes()[:200], ErrTruncated},
		{"short data", good.bytes()[:niftiDataOffset+47], ErrTruncated},
		{"short data gz", niftiGzip(good.bytes()[:niftiDataOffset+10]), ErrTruncated},
		{"cut gzip", niftiGzip(good.bytes())[:60], ErrTruncated},
		{"analyze", func() []byte { r := good; r.magic = "\x00\x00\x00\x00"; return r.bytes() }(), ErrNotNIfTI},
		{"pair", func() []byte { r := good; r.magic = "ni1\x00"; return r.bytes() }(), ErrUnsupported},
		{"4d", func() []byte { r := good; r.dims = []int16{4, 3, 2, 5}; return r.bytes() }(), ErrUnsupported},
		{"dim0", func() []byte { r := good; r.dims = []int16{4, 0, 2}; return r.bytes() }(), ErrMalformed},
		{"negative dim", func() []byte { r := good; r.dims = []int16{4, -3, 2}; return r.bytes() }(), ErrMalformed},
		{"too many voxels", func() []byte { r := good; r.dims = []int16{32767, 32767, 32767}; return r.bytes() }(), ErrTooLarge},
		{"rgb", func() []byte { r := good; r.datatype = 128; return r.bytes() }(), ErrUnsupported},
		{"vox_offset", func() []byte {
			b := good.bytes()
			binary.LittleEndian.PutUint32(b[108:], math.Float32bits(1e30))
			return b
		}(), ErrMalformed},
		{"vox_offset past end", func() []byte {
			b := good.bytes()
			binary.LittleEndian.PutUint32(b[108:], math.Float32bits(1e6))
			return b
		}(), ErrTruncated},
		{"nan sform", func() []byte {
			r := good
			r.sform = 1
			r.srow = [3][4]float32{{float32(math.NaN()), 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}
			return r.bytes()
		}(), ErrGeometry},
		{"zero pixdim", func() []byte { r := good; r.pixdim = [8]float32{}; return r.bytes() }(), ErrGeometry},
		{"corrupt gzip", func() []byte { b := niftiGzip(good.bytes()); b[len(b)-5] ^= 0xff; return b }(), ErrMalformed},
	}
	for _, c := range cases {
		_, err := readNIfTIVolume("hostile.nii", bytes.NewReader(c.file), int64(len(c.file)))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "hostile.nii: ") {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
	}
	// Paths: the file name leads the message, and a missing file is os.ErrNotExist.
	if _, err := ReadNIfTIVolume(filepath.Join(t.TempDir(), "nope.nii")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// A header that declares the largest volume liverseg accepts over a tiny stream must fail without
// allocating anything like that volume: the 2^31 int16 voxels would be 4 GiB.
func TestNIfTIHugeHeaderSmallFile(t *testing.T) {
	raw := niftiRaw{dims: []int16{2048, 2048, 512}, datatype: niftiInt16, data: make([]byte, 1<<20), pixdim: [8]float32{1, 1, 1, 1}}
	for _, gz := range []bool{false, true} {
		file := raw.bytes()
		size := int64(len(file))
		if gz {
			file, size = niftiGzip(file), -1
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := readNIfTIVolume("huge.nii", bytes.NewReader(file), size)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("gz %v: err = %v, want ErrTruncated", gz, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("gz %v: allocated %d MiB for a %d-byte file", gz, alloc>>20, len(file))
		}
	}
}

func needNibabel(t *testing.T) {
	t.Helper()
	needPython(t, "nibabel, numpy")
}

func runNibabel(t *testing.T, script string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(peerPython, append([]string{"-c", script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nibabel: %v\n%s", err, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("nibabel output %q: %v", out, err)
	}
	return res
}

const nibabelCheckScript = `
import sys, json
import numpy as np, nibabel as nib
out = {}
for key, path in (("label", sys.argv[1]), ("volume", sys.argv[2])):
    img = nib.load(path)
    d = np.asanyarray(img.dataobj)
    out[key] = {
        "shape": list(img.shape),
        "dtype": str(d.dtype),
        "nonzero": int(np.count_nonzero(d)),
        "sum": float(d.astype(np.float64).sum()),
        "min": float(d.min()), "max": float(d.max()),
        "origin": [float(x) for x in (img.affine @ [0, 0, 0, 1])[:3]],
        "p123": [float(x) for x in (img.affine @ [1, 2, 3, 1])[:3]],
        "q123": [float(x) for x in (img.get_qform() @ [1, 2, 3, 1])[:3]],
        "sform_code": int(img.header["sform_code"]), "qform_code": int(img.header["qform_code"]),
        "intent": int(img.header["intent_code"]),
        "v123": float(d[1, 2, 3]),
    }
print(json.dumps(out))
`

// TestNIfTINibabel: nibabel reads what we write as the same voxels at the same place.
func TestNIfTINibabel(t *testing.T) {
	needNibabel(t)
	for _, oblique := range []bool{false, true} {
		ref := niftiTestVolume([3]int{9, 7, 5}, oblique)
		m := niftiTestMask(ref.Dims)
		dir := t.TempDir()
		lp, vp := filepath.Join(dir, "label.nii.gz"), filepath.Join(dir, "ct.nii")
		if err := WriteNIfTILabel(lp, ref, m); err != nil {
			t.Fatal(err)
		}
		if err := WriteNIfTIVolume(vp, ref); err != nil {
			t.Fatal(err)
		}
		res := runNibabel(t, nibabelCheckScript, lp, vp)
		lps2ras := func(p [3]float64) [3]float64 { return [3]float64{-p[0], -p[1], p[2]} }
		wantOrigin := lps2ras(ref.Origin)
		want123 := lps2ras(ref.Position(1, 2, 3))
		var sum float64
		for _, x := range ref.Voxels {
			sum += float64(x)
		}
		for _, key := range []string{"label", "volume"} {
			r := res[key].(map[string]any)
			shape := r["shape"].([]any)
			if len(shape) != 3 || int(shape[0].(float64)) != ref.Dims[0] || int(shape[1].(float64)) != ref.Dims[1] || int(shape[2].(float64)) != ref.Dims[2] {
				t.Errorf("%s: nibabel shape %v, want %v", key, shape, ref.Dims)
			}
			for name, want := range map[string][3]float64{"origin": wantOrigin, "p123": want123, "q123": want123} {
				got := r[name].([]any)
				for a := 0; a < 3; a++ {
					if d := math.Abs(got[a].(float64) - want[a]); d > 1e-3 {
						t.Errorf("%s (oblique %v): nibabel %s %v, want %v", key, oblique, name, got, want)
						break
					}
				}
			}
			if r["sform_code"].(float64) != 1 || r["qform_code"].(float64) != 1 {
				t.Errorf("%s: codes %v %v", key, r["sform_code"], r["qform_code"])
			}
		}
		lab, vol := res["label"].(map[string]any), res["volume"].(map[string]any)
		if got, want := int(lab["nonzero"].(float64)), countNonzero(m.Voxels); got != want {
			t.Errorf("nibabel counts %d label voxels, we wrote %d", got, want)
		}
		if lab["dtype"] != "uint8" || int(lab["intent"].(float64)) != niftiIntentLabel || vol["dtype"] != "int16" {
			t.Errorf("dtypes/intents: label %v intent %v, volume %v", lab["dtype"], lab["intent"], vol["dtype"])
		}
		if vol["sum"].(float64) != sum || vol["v123"].(float64) != float64(ref.Voxels[ref.Index(1, 2, 3)]) {
			t.Errorf("nibabel volume sum %v voxel(1,2,3) %v, want %v %v", vol["sum"], vol["v123"], sum, ref.Voxels[ref.Index(1, 2, 3)])
		}
		t.Logf("oblique %v: nibabel label %v nonzero, origin %v, (1,2,3) at %v", oblique, lab["nonzero"], lab["origin"], lab["p123"])
	}
}

func niftiDataDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("LIVERSEG_DATA")
	if d == "" {
		t.Skip("LIVERSEG_DATA is not set")
	}
	return d
}

// TestNIfTITotalSegExample reads TotalSegmentator's example CT and compares it with nibabel, then
// writes it back and has nibabel compare the two files voxel for voxel and place for place.
func TestNIfTITotalSegExample(t *testing.T) {
	path := filepath.Join(niftiDataDir(t), "ct", "totalseg", "example_ct_sm.nii.gz")
	v, err := ReadNIfTIVolume(path)
	if err != nil {
		t.Fatal(err)
	}
	if v.Dims != [3]int{122, 101, 30} {
		t.Fatalf("dims %v", v.Dims)
	}
	for a := 0; a < 3; a++ {
		if math.Abs(v.Spacing[a]-3) > 1e-6 {
			t.Fatalf("spacing %v", v.Spacing)
		}
	}
	lo, hi := v.Voxels[0], v.Voxels[0]
	var sum float64
	for _, x := range v.Voxels {
		lo, hi = min(lo, x), max(hi, x)
		sum += float64(x)
	}
	t.Logf("%s: %s, HU %d..%d", path, niftiVolumeGeometry(v), lo, hi)
	if lo > -1000 || hi < 500 {
		t.Errorf("HU range %d..%d is not a CT's", lo, hi)
	}

	// The same file read as a label against itself aligns, and its nonzero voxels are the CT's.
	m, err := ReadNIfTILabel(path, v)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for _, x := range v.Voxels {
		if x != 0 {
			nonzero++
		}
	}
	if got := countNonzero(m.Voxels); got != nonzero {
		t.Errorf("as a label: %d nonzero voxels, the volume has %d", got, nonzero)
	}

	needNibabel(t)
	out := filepath.Join(t.TempDir(), "rewritten.nii.gz")
	if err := WriteNIfTIVolume(out, v); err != nil {
		t.Fatal(err)
	}
	res := runNibabel(t, `
import sys, json
import numpy as np, nibabel as nib
a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])
fa = a.get_fdata()
print(json.dumps({"min": float(fa.min()), "max": float(fa.max()), "sum": float(fa.sum()),
    "shape": list(a.shape), "zooms": [float(z) for z in a.header.get_zooms()],
    "origin": [float(x) for x in (a.affine @ [0, 0, 0, 1])[:3]],
    "same_voxels": bool(np.array_equal(fa, b.get_fdata())),
    "same_affine": bool(np.allclose(a.affine, b.affine, atol=1e-4))}))
`, path, out)
	if res["min"].(float64) != float64(lo) || res["max"].(float64) != float64(hi) || res["sum"].(float64) != sum {
		t.Errorf("nibabel min/max/sum %v/%v/%v, we read %d/%d/%v", res["min"], res["max"], res["sum"], lo, hi, sum)
	}
	o := res["origin"].([]any)
	if math.Abs(o[0].(float64)+v.Origin[0]) > 1e-3 || math.Abs(o[1].(float64)+v.Origin[1]) > 1e-3 || math.Abs(o[2].(float64)-v.Origin[2]) > 1e-3 {
		t.Errorf("nibabel origin (RAS) %v, our LPS origin %v", o, v.Origin)
	}
	if res["same_voxels"] != true || res["same_affine"] != true {
		t.Errorf("rewritten file differs for nibabel: voxels %v affine %v", res["same_voxels"], res["same_affine"])
	}
	t.Logf("nibabel: shape %v zooms %v HU %v..%v sum %v; rewritten identical: %v %v",
		res["shape"], res["zooms"], res["min"], res["max"], res["sum"], res["same_voxels"], res["same_affine"])
}

// niftiFuzzSeeds are small valid files: plain, gzip, big-endian, qform-only, float with scaling.
func niftiFuzzSeeds(t testing.TB) [][]byte {
	ref := niftiTestVolume([3]int{4, 3, 2}, true)
	dir := t.TempDir()
	var seeds [][]byte
	for _, name := range []string{"v.nii", "v.nii.gz", "l.nii", "l.nii.gz"} {
		p := filepath.Join(dir, name)
		var err error
		if name[0] == 'v' {
			err = WriteNIfTIVolume(p, ref)
		} else {
			err = WriteNIfTILabel(p, ref, niftiTestMask(ref.Dims))
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		seeds = append(seeds, b)
	}
	be := niftiRaw{order: binary.BigEndian, dims: []int16{2, 2, 2}, datatype: niftiFloat32, data: make([]byte, 32),
		slope: 2, inter: -1, qform: 1, pixdim: [8]float32{-1, 1, 2, 3}, quatern: [6]float32{0.1, 0.2, 0.3, 1, 2, 3}}
	seeds = append(seeds, be.bytes(), niftiGzip(be.bytes()))
	return seeds
}

func FuzzReadNIfTI(f *testing.F) {
	for _, s := range niftiFuzzSeeds(f) {
		f.Add(s)
	}
	if d := os.Getenv("LIVERSEG_DATA"); d != "" {
		// The start of the real example: its header and first voxels, inflated, kept small.
		if gzf, err := os.Open(filepath.Join(d, "ct", "totalseg", "example_ct_sm.nii.gz")); err == nil {
			if zr, err := gzip.NewReader(gzf); err == nil {
				head := make([]byte, 4096)
				n, _ := io.ReadFull(zr, head)
				f.Add(head[:n])
			}
			gzf.Close()
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, size := range []int64{int64(len(data)), -1} {
			v, err := readNIfTIVolume("fuzz.nii", bytes.NewReader(data), size)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "fuzz.nii: ") {
					t.Fatalf("error does not name the file: %v", err)
				}
				continue
			}
			if len(v.Voxels) != v.Len() {
				t.Fatalf("%d voxels for %v", len(v.Voxels), v.Dims)
			}
			// A file read as a volume, read as a label against that volume, must not panic; it
			// aligns unless its axes are nearly parallel (a degenerate shear).
			m, err := readNIfTILabel("fuzz.nii", bytes.NewReader(data), size, v)
			if err == nil && m.Dims != v.Dims {
				t.Fatalf("mask %v for volume %v", m.Dims, v.Dims)
			}
		}
	})
}
