package nifti

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/internal/scantest"
	"liverseg/scan/internal/vec3"
)

// rawFile builds a NIfTI file from header fields, for the reader's corner cases.
type rawFile struct {
	order        binary.ByteOrder
	dims         []int16 // dim[1..]
	datatype     int16
	data         []byte
	slope, inter float32
	sform, qform int16
	voxOffset    float32
	pixdim       [8]float32
	quatern      [6]float32 // quatern_b, _c, _d, qoffset_x, _y, _z
	srow         [3][4]float32
	magic        string
}

func (f rawFile) bytes() []byte {
	o := f.order
	if o == nil {
		o = binary.LittleEndian
	}
	h := rawHeader{SizeofHdr: headerSize, Datatype: f.datatype, Pixdim: f.pixdim, VoxOffset: f.voxOffset,
		SclSlope: f.slope, SclInter: f.inter, QformCode: f.qform, SformCode: f.sform, Srow: f.srow}
	h.Dim[0] = int16(len(f.dims))
	copy(h.Dim[1:], f.dims)
	copy(h.Quatern[:], f.quatern[:3])
	copy(h.Qoffset[:], f.quatern[3:])
	magic := f.magic
	if magic == "" {
		magic = "n+1\x00"
	}
	copy(h.Magic[:], magic)
	b, err := binary.Append(nil, o, h)
	if err != nil {
		panic(err)
	}
	b = append(b, 0, 0, 0, 0) // the extension flag
	if f.voxOffset > dataOffset {
		b = append(b, make([]byte, int(f.voxOffset)-dataOffset)...)
	}
	return append(b, f.data...)
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDatatypesAndEndianness(t *testing.T) {
	vals := []float64{0, 1, 2, 3, 100, 7, 0, 50, 1, 9, 30, 0} // representable in every type
	encode := func(o binary.ByteOrder, dt int16) []byte {
		var buf bytes.Buffer
		for _, v := range vals {
			var x any
			switch dt {
			case typeUint8:
				x = uint8(v)
			case typeInt8:
				x = int8(v)
			case typeInt16:
				x = int16(v)
			case typeUint16:
				x = uint16(v)
			case typeInt32:
				x = int32(v)
			case typeUint32:
				x = uint32(v)
			case typeFloat32:
				x = float32(v)
			case typeFloat64:
				x = v
			case typeInt64:
				x = int64(v)
			case typeUint64:
				x = uint64(v)
			}
			binary.Write(&buf, o, x)
		}
		return buf.Bytes()
	}
	types := []int16{typeUint8, typeInt8, typeInt16, typeUint16, typeInt32, typeUint32, typeFloat32, typeFloat64, typeInt64, typeUint64}
	for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, dt := range types {
			for _, scale := range [][2]float32{{0, 0}, {2.5, -1024}} {
				raw := rawFile{order: o, dims: []int16{3, 2, 2, 1}, datatype: dt, data: encode(o, dt),
					slope: scale[0], inter: scale[1], pixdim: [8]float32{1, 0.5, 0.6, 2}}
				name := fmt.Sprintf("%v-%s-%v", o, typeName(dt), scale)
				v, err := readVolume(name, bytes.NewReader(raw.bytes()), -1)
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
				ref := &scan.Volume{Dims: v.Dims, Spacing: v.Spacing, Origin: v.Origin, Direction: v.Direction}
				m, err := readLabel(name, bytes.NewReader(gzipBytes(raw.bytes())), -1, ref)
				if err != nil {
					t.Fatalf("%s label: %v", name, err)
				}
				want := 0
				for _, x := range vals {
					if x*slope+inter != 0 {
						want++
					}
				}
				if got := int(m.Count()); got != want {
					t.Fatalf("%s label: %d nonzero, want %d", name, got, want)
				}
			}
		}
	}
}

func TestAffineSources(t *testing.T) {
	ref := scantest.Volume([3]int{4, 3, 2}, true) // left-handed and oblique: qfac -1
	path := filepath.Join(t.TempDir(), "v.nii")
	if err := WriteVolume(path, ref); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)

	// qform only: drop the sform code; the quaternion must give the same place.
	qonly := bytes.Clone(full)
	binary.LittleEndian.PutUint16(qonly[254:], 0)
	v, err := readVolume("qform", bytes.NewReader(qonly), -1)
	if err != nil {
		t.Fatal(err)
	}
	sameGeometry(t, v, ref, 1e-4)

	// The sform wins over a contradicting qform.
	sform := bytes.Clone(full)
	binary.LittleEndian.PutUint32(sform[268:], math.Float32bits(999))
	if v, err = readVolume("sform", bytes.NewReader(sform), -1); err != nil {
		t.Fatal(err)
	}
	sameGeometry(t, v, ref, 1e-4)

	// Neither: pixdim only, at the origin, axes along RAS (so LPS -x, -y, +z).
	none := bytes.Clone(qonly)
	binary.LittleEndian.PutUint16(none[252:], 0)
	if v, err = readVolume("pixdim", bytes.NewReader(none), -1); err != nil {
		t.Fatal(err)
	}
	want := &scan.Volume{Spacing: ref.Spacing, Direction: [3][3]float64{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}}
	sameGeometry(t, v, want, 1e-6)

	// A 180° quaternion (b, c, d a unit vector, a = 0): rotation about z by π, i.e. RAS axes
	// (-1,0,0), (0,-1,0), (0,0,1): LPS axes +x, +y, +z.
	raw := rawFile{dims: []int16{2, 2, 2}, datatype: typeUint8, data: make([]byte, 8), qform: 1,
		pixdim: [8]float32{1, 1, 1, 1}, quatern: [6]float32{0, 0, 1, 10, 20, 30}}
	if v, err = readVolume("q180", bytes.NewReader(raw.bytes()), -1); err != nil {
		t.Fatal(err)
	}
	sameGeometry(t, v, &scan.Volume{Spacing: [3]float64{1, 1, 1}, Origin: [3]float64{-10, -20, 30},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}, 1e-6)
}

func TestHostile(t *testing.T) {
	good := rawFile{dims: []int16{4, 3, 2}, datatype: typeInt16, data: make([]byte, 48), pixdim: [8]float32{1, 1, 1, 1}}
	cases := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrNotNIfTI},
		{"text", []byte("hello, this is not an image at all"), ErrNotNIfTI},
		{"short header", good.bytes()[:200], scan.ErrTruncated},
		{"short data", good.bytes()[:dataOffset+47], scan.ErrTruncated},
		{"short data gz", gzipBytes(good.bytes()[:dataOffset+10]), scan.ErrTruncated},
		{"cut gzip", gzipBytes(good.bytes())[:60], scan.ErrTruncated},
		{"analyze", func() []byte { r := good; r.magic = "\x00\x00\x00\x00"; return r.bytes() }(), ErrNotNIfTI},
		{"pair", func() []byte { r := good; r.magic = "ni1\x00"; return r.bytes() }(), scan.ErrUnsupported},
		{"4d", func() []byte { r := good; r.dims = []int16{4, 3, 2, 5}; return r.bytes() }(), scan.ErrUnsupported},
		{"dim0", func() []byte { r := good; r.dims = []int16{4, 0, 2}; return r.bytes() }(), scan.ErrMalformed},
		{"negative dim", func() []byte { r := good; r.dims = []int16{4, -3, 2}; return r.bytes() }(), scan.ErrMalformed},
		{"too many voxels", func() []byte { r := good; r.dims = []int16{32767, 32767, 32767}; return r.bytes() }(), scan.ErrTooLarge},
		{"rgb", func() []byte { r := good; r.datatype = 128; return r.bytes() }(), scan.ErrUnsupported},
		{"vox_offset", func() []byte {
			b := good.bytes()
			binary.LittleEndian.PutUint32(b[108:], math.Float32bits(1e30))
			return b
		}(), scan.ErrMalformed},
		{"vox_offset past end", func() []byte {
			b := good.bytes()
			binary.LittleEndian.PutUint32(b[108:], math.Float32bits(1e6))
			return b
		}(), scan.ErrTruncated},
		{"nan sform", func() []byte {
			r := good
			r.sform = 1
			r.srow = [3][4]float32{{float32(math.NaN()), 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}
			return r.bytes()
		}(), scan.ErrGeometry},
		{"zero pixdim", func() []byte { r := good; r.pixdim = [8]float32{}; return r.bytes() }(), scan.ErrGeometry},
		{"corrupt gzip", func() []byte { b := gzipBytes(good.bytes()); b[len(b)-5] ^= 0xff; return b }(), scan.ErrMalformed},
	}
	for _, c := range cases {
		_, err := readVolume("hostile.nii", bytes.NewReader(c.file), int64(len(c.file)))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "hostile.nii: ") {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
	}
	// Paths: the file name leads the message, and a missing file is os.ErrNotExist.
	if _, err := ReadVolume(filepath.Join(t.TempDir(), "nope.nii")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// A header that declares the largest volume liverseg accepts over a tiny stream must fail without
// allocating anything like that volume: the 2^31 int16 voxels would be 4 GiB.
func TestHugeHeaderSmallFile(t *testing.T) {
	raw := rawFile{dims: []int16{2048, 2048, 512}, datatype: typeInt16, data: make([]byte, 1<<20), pixdim: [8]float32{1, 1, 1, 1}}
	for _, gz := range []bool{false, true} {
		file := raw.bytes()
		size := int64(len(file))
		if gz {
			file, size = gzipBytes(file), -1
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := readVolume("huge.nii", bytes.NewReader(file), size)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, scan.ErrTruncated) {
			t.Fatalf("gz %v: err = %v, want scan.ErrTruncated", gz, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("gz %v: allocated %d MiB for a %d-byte file", gz, alloc>>20, len(file))
		}
	}
}

func sameGeometry(t *testing.T, got, want *scan.Volume, tol float64) {
	t.Helper()
	for a := 0; a < 3; a++ {
		if math.Abs(got.Spacing[a]-want.Spacing[a]) > tol || math.Abs(got.Origin[a]-want.Origin[a]) > tol ||
			vec3.Norm(vec3.Sub(got.Direction[a], want.Direction[a])) > tol {
			t.Fatalf("geometry: got %s, want %s", volumeGeometry(got), volumeGeometry(want))
		}
	}
}

// writePermuted writes m as a label whose voxel axis a is ref's axis perm[a], reversed where
// flip[a]: what another tool might write for the same place, in its own voxel order.
func writePermuted(t *testing.T, path string, ref *scan.Volume, m *scan.Mask, perm [3]int, flip [3]bool) {
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
	ras := flipRAS(lps)
	data := make([]byte, 0, m.Len())
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
				data = append(data, m.AtIJK(r[0], r[1], r[2]))
			}
		}
	}
	if err := writeFile(path, output{dims: ld, datatype: typeUint8, ras: ras, intent: intentLabel}, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestLabelPermutedAndFlipped(t *testing.T) {
	perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	for _, oblique := range []bool{false, true} {
		ref := scantest.Volume([3]int{6, 5, 4}, oblique) // distinct dims: a wrong permutation cannot fit
		m := scantest.Mask(ref.Dims)
		dir := t.TempDir()
		for _, perm := range perms {
			for f := 0; f < 8; f++ {
				flip := [3]bool{f&1 != 0, f&2 != 0, f&4 != 0}
				path := filepath.Join(dir, fmt.Sprintf("p%v%v%v-f%d.nii", perm[0], perm[1], perm[2], f))
				writePermuted(t, path, ref, m, perm, flip)
				got, err := ReadLabel(path, ref)
				if err != nil {
					t.Fatalf("perm %v flip %v: %v", perm, flip, err)
				}
				if !got.Equal(m) {
					t.Fatalf("perm %v flip %v (oblique %v): label not aligned back", perm, flip, oblique)
				}
			}
		}
	}
}

func TestLabelGeometryMismatch(t *testing.T) {
	ref := scantest.Volume([3]int{6, 5, 4}, false)
	m := scantest.Mask(ref.Dims)
	dir := t.TempDir()
	other := func(change func(v *scan.Volume)) *scan.Volume {
		v := *ref
		change(&v)
		return &v
	}
	cases := map[string]*scan.Volume{
		"spacing": other(func(v *scan.Volume) { v.Spacing[0] = 0.76 }),
		"slices":  other(func(v *scan.Volume) { v.Dims[2] = 5; v.Voxels = make([]int16, v.Len()) }),
		"origin":  other(func(v *scan.Volume) { v.Origin[1] += 0.4 }), // half a voxel
		"oblique": scantest.Volume(ref.Dims, true),
		// a grid that drifts: 0.05% more slice spacing is within the per-axis tolerance, but a
		// long grid would end a fraction of a voxel off
		"drift": func() *scan.Volume {
			big := scantest.Volume([3]int{4, 4, 400}, false)
			big.Spacing[2] *= 1.0005
			return big
		}(),
	}
	for name, labelGeom := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".nii.gz")
			lm := scantest.Mask(labelGeom.Dims)
			if err := WriteLabel(path, labelGeom, lm); err != nil {
				t.Fatal(err)
			}
			r := ref
			if name == "drift" {
				r = scantest.Volume([3]int{4, 4, 400}, false)
			}
			_, err := ReadLabel(path, r)
			if !errors.Is(err, scan.ErrGeometry) {
				t.Fatalf("err = %v, want scan.ErrGeometry", err)
			}
			msg := err.Error()
			for _, want := range []string{path, "label " + scan.DimsString(labelGeom.Dims), "volume " + scan.DimsString(r.Dims), "spacing", "origin"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			t.Log(msg)
		})
	}
	// Within tolerance: a float32-rounded origin and a spacing off by 1e-5 relative still align.
	near := other(func(v *scan.Volume) { v.Origin[0] += 0.002; v.Spacing[1] *= 1 + 1e-5 })
	path := filepath.Join(dir, "near.nii")
	if err := WriteLabel(path, near, m); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadLabel(path, ref); err != nil || !got.Equal(m) {
		t.Fatalf("near geometry: %v", err)
	}
}

// TestTotalSegExample reads TotalSegmentator's example CT and compares it with nibabel, then
// writes it back and has nibabel compare the two files voxel for voxel and place for place.
func TestTotalSegExample(t *testing.T) {
	path := testenv.Data(t, "ct", "totalseg", "example_ct_sm.nii.gz")
	v, err := ReadVolume(path)
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
	t.Logf("%s: %s, HU %d..%d", path, volumeGeometry(v), lo, hi)
	if lo > -1000 || hi < 500 {
		t.Errorf("HU range %d..%d is not a CT's", lo, hi)
	}

	// The same file read as a label against itself aligns, and its nonzero voxels are the CT's.
	m, err := ReadLabel(path, v)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for _, x := range v.Voxels {
		if x != 0 {
			nonzero++
		}
	}
	if got := int(m.Count()); got != nonzero {
		t.Errorf("as a label: %d nonzero voxels, the volume has %d", got, nonzero)
	}

	testenv.Python(t, "nibabel, numpy")
	out := filepath.Join(t.TempDir(), "rewritten.nii.gz")
	if err := WriteVolume(out, v); err != nil {
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

// fuzzSeeds are small valid files: plain, gzip, big-endian, qform-only, float with scaling, and
// the golden files.
func fuzzSeeds(t testing.TB) [][]byte {
	ref := scantest.Volume([3]int{4, 3, 2}, true)
	dir := t.TempDir()
	var seeds [][]byte
	for _, name := range []string{"v.nii", "v.nii.gz", "l.nii", "l.nii.gz"} {
		p := filepath.Join(dir, name)
		var err error
		if name[0] == 'v' {
			err = WriteVolume(p, ref)
		} else {
			err = WriteLabel(p, ref, scantest.Mask(ref.Dims))
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		seeds = append(seeds, b)
	}
	be := rawFile{order: binary.BigEndian, dims: []int16{2, 2, 2}, datatype: typeFloat32, data: make([]byte, 32),
		slope: 2, inter: -1, qform: 1, pixdim: [8]float32{-1, 1, 2, 3}, quatern: [6]float32{0.1, 0.2, 0.3, 1, 2, 3}}
	seeds = append(seeds, be.bytes(), gzipBytes(be.bytes()))
	for _, name := range []string{"label.nii", "ct.nii"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	if d := os.Getenv(testenv.EnvData); d != "" {
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
			v, err := readVolume("fuzz.nii", bytes.NewReader(data), size)
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
			m, err := readLabel("fuzz.nii", bytes.NewReader(data), size, v)
			if err == nil && m.Dims != v.Dims {
				t.Fatalf("mask %v for volume %v", m.Dims, v.Dims)
			}
		}
	})
}

// TestReadGolden reads the golden files back onto the volume they were written from.
func TestReadGolden(t *testing.T) {
	ref := scantest.Volume([3]int{4, 3, 2}, true)
	v, err := ReadVolume(filepath.Join("testdata", "ct.nii"))
	if err != nil {
		t.Fatal(err)
	}
	sameGeometry(t, v, ref, 1e-4)
	if !slices.Equal(v.Voxels, ref.Voxels) {
		t.Errorf("ct.nii voxels %v, want %v", v.Voxels, ref.Voxels)
	}
	m, err := ReadLabel(filepath.Join("testdata", "label.nii"), ref)
	if err != nil {
		t.Fatal(err)
	}
	if want := scantest.Mask(ref.Dims); !m.Equal(want) {
		t.Errorf("label.nii voxels %v, want %v", m.Dense(), want.Dense())
	}
}
