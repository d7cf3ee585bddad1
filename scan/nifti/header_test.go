package nifti

import (
	"encoding/binary"
	"math"
	"testing"
)

// TestHeaderLayout checks rawHeader against the offsets of nifti1.h, field by field where liverseg
// reads or writes it: the struct is the one description of the layout, and this is its proof.
func TestHeaderLayout(t *testing.T) {
	if n := binary.Size(rawHeader{}); n != headerSize {
		t.Fatalf("rawHeader is %d bytes, want %d", n, headerSize)
	}
	h := rawHeader{SizeofHdr: headerSize, Regular: 'r', Dim: [8]int16{3, 11, 12, 13, 1, 1, 1, 1},
		IntentCode: intentLabel, Datatype: typeInt16, Bitpix: 16, Pixdim: [8]float32{-1, 0.5, 0.6, 2.5},
		VoxOffset: dataOffset, SclSlope: 2, SclInter: -1024, XYZTUnits: unitsMM, CalMax: 300, CalMin: -5,
		QformCode: 1, SformCode: 2, Quatern: [3]float32{0.1, 0.2, 0.3}, Qoffset: [3]float32{4, 5, 6},
		Srow: [3][4]float32{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}}, Magic: [4]byte{'n', '+', '1', 0}}
	copy(h.Descrip[:], "liverseg")
	for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b, err := binary.Append(nil, o, h)
		if err != nil {
			t.Fatal(err)
		}
		i16 := func(off int) int16 { return int16(o.Uint16(b[off:])) }
		f32 := func(off int) float32 { return math.Float32frombits(o.Uint32(b[off:])) }
		checks := []struct {
			field     string
			got, want any
		}{
			{"sizeof_hdr@0", int32(o.Uint32(b[0:])), int32(348)},
			{"regular@38", b[38], byte('r')},
			{"dim[0]@40", i16(40), int16(3)},
			{"dim[3]@46", i16(46), int16(13)},
			{"dim[7]@54", i16(54), int16(1)},
			{"intent_code@68", i16(68), int16(intentLabel)},
			{"datatype@70", i16(70), int16(typeInt16)},
			{"bitpix@72", i16(72), int16(16)},
			{"pixdim[0]@76", f32(76), float32(-1)},
			{"pixdim[3]@88", f32(88), float32(2.5)},
			{"vox_offset@108", f32(108), float32(dataOffset)},
			{"scl_slope@112", f32(112), float32(2)},
			{"scl_inter@116", f32(116), float32(-1024)},
			{"xyzt_units@123", b[123], byte(unitsMM)},
			{"cal_max@124", f32(124), float32(300)},
			{"cal_min@128", f32(128), float32(-5)},
			{"descrip@148", string(b[148:156]), "liverseg"},
			{"qform_code@252", i16(252), int16(1)},
			{"sform_code@254", i16(254), int16(2)},
			{"quatern_b@256", f32(256), float32(0.1)},
			{"quatern_d@264", f32(264), float32(0.3)},
			{"qoffset_x@268", f32(268), float32(4)},
			{"qoffset_z@276", f32(276), float32(6)},
			{"srow_x[0]@280", f32(280), float32(1)},
			{"srow_y[0]@296", f32(296), float32(5)},
			{"srow_z[3]@324", f32(324), float32(12)},
			{"magic@344", string(b[344:348]), "n+1\x00"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%v %s = %v, want %v", o, c.field, c.got, c.want)
			}
		}
		// And back: the reader decodes what the writer encoded.
		var back rawHeader
		if _, err := binary.Decode(b, o, &back); err != nil || back != h {
			t.Errorf("%v: decoded %+v (%v), want %+v", o, back, err, h)
		}
	}
}

// TestSniff: what the label detection takes for NIfTI: the magic of a single file or a pair, or
// gzip; not a header cut before its magic, nor an ANALYZE file.
func TestSniff(t *testing.T) {
	good := rawFile{dims: []int16{2, 2, 2}, datatype: typeUint8, data: make([]byte, 8), pixdim: [8]float32{1, 1, 1, 1}}
	pair := good
	pair.magic = "ni1\x00"
	analyze := good
	analyze.magic = "\x00\x00\x00\x00"
	for _, tc := range []struct {
		name string
		head []byte
		want bool
	}{
		{"single file", good.bytes(), true},
		{"pair", pair.bytes(), true},
		{"gzip", gzipBytes(good.bytes())[:10], true},
		{"analyze", analyze.bytes(), false},
		{"cut before the magic", good.bytes()[:300], false},
		{"empty", nil, false},
	} {
		if got := Sniff(tc.head); got != tc.want {
			t.Errorf("%s: Sniff = %v, want %v", tc.name, got, tc.want)
		}
	}
}
