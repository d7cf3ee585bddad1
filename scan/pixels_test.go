package scan

import (
	"encoding/binary"
	"testing"
)

func TestDecodeHU(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	u16 := func(bo binary.ByteOrder, v ...uint16) []byte {
		b := make([]byte, 2*len(v))
		for i, x := range v {
			bo.PutUint16(b[2*i:], x)
		}
		return b
	}
	tests := []struct {
		name string
		raw  []byte
		pf   pixelFormat
		bo   binary.ByteOrder
		rs   rescale
		want []int16
	}{
		{"signed 16-bit, the CT norm", u16(le, 0xFC00, 0x0028), pixelFormat{BitsAllocated: 16, BitsStored: 16, Signed: true}, le, rescale{Slope: 1, Intercept: 0}, []int16{-1024, 40}},
		{"unsigned, intercept -1024", u16(le, 0, 1064, 4095), pixelFormat{BitsAllocated: 16, BitsStored: 12}, le, rescale{Slope: 1, Intercept: -1024}, []int16{-1024, 40, 3071}},
		{"signed 12 bits, high bits hold garbage", u16(le, 0xF800|0x0C00, 0xA000|0x0028), pixelFormat{BitsAllocated: 16, BitsStored: 12, Signed: true}, le, rescale{Slope: 1, Intercept: 0}, []int16{-1024, 40}},
		{"big endian", u16(be, 0xFC00), pixelFormat{BitsAllocated: 16, BitsStored: 16, Signed: true}, be, rescale{Slope: 1, Intercept: 0}, []int16{-1024}},
		{"slope 0.5 rounds", u16(le, 3, 101), pixelFormat{BitsAllocated: 16, BitsStored: 16}, le, rescale{Slope: 0.5, Intercept: -10.2}, []int16{-9, 40}},
		{"clamped to int16", u16(le, 65535), pixelFormat{BitsAllocated: 16, BitsStored: 16}, le, rescale{Slope: 1, Intercept: 1000}, []int16{32767}},
		{"8-bit signed", []byte{0x80, 0x7F}, pixelFormat{BitsAllocated: 8, BitsStored: 8, Signed: true}, le, rescale{Slope: 1, Intercept: 0}, []int16{-128, 127}},
		// The loops that skip the clamp when no stored value can leave int16, and their edges.
		{"signed 16-bit, extremes, intercept 0", u16(le, 0x8000, 0x7FFF), pixelFormat{BitsAllocated: 16, BitsStored: 16, Signed: true}, le, rescale{Slope: 1, Intercept: 0}, []int16{-32768, 32767}},
		{"signed 16-bit, intercept -1024 clamps", u16(le, 0x8000, 0x7FFF), pixelFormat{BitsAllocated: 16, BitsStored: 16, Signed: true}, le, rescale{Slope: 1, Intercept: -1024}, []int16{-32768, 31743}},
		{"signed 16-bit, intercept 1 clamps", u16(le, 0x8000, 0x7FFF), pixelFormat{BitsAllocated: 16, BitsStored: 16, Signed: true}, le, rescale{Slope: 1, Intercept: 1}, []int16{-32767, 32767}},
		{"8-bit mask", []byte{0, 1, 255}, pixelFormat{BitsAllocated: 8, BitsStored: 8}, le, rescale{Slope: 1, Intercept: 0}, []int16{0, 1, 255}},
		{"8-bit, intercept at the top of int16", []byte{0, 255}, pixelFormat{BitsAllocated: 8, BitsStored: 8}, le, rescale{Slope: 1, Intercept: 32512}, []int16{32512, 32767}},
		{"8-bit, intercept past the top clamps", []byte{0, 255}, pixelFormat{BitsAllocated: 8, BitsStored: 8}, le, rescale{Slope: 1, Intercept: 32513}, []int16{32513, 32767}},
		{"8-bit signed, intercept at the bottom", []byte{0x80, 0x7F}, pixelFormat{BitsAllocated: 8, BitsStored: 8, Signed: true}, le, rescale{Slope: 1, Intercept: -32640}, []int16{-32768, -32513}},
		{"8-bit signed, intercept past the bottom clamps", []byte{0x80, 0x7F}, pixelFormat{BitsAllocated: 8, BitsStored: 8, Signed: true}, le, rescale{Slope: 1, Intercept: -32641}, []int16{-32768, -32514}},
		{"32-bit", []byte{0xFF, 0xFF, 0xFF, 0xFF}, pixelFormat{BitsAllocated: 32, BitsStored: 32, Signed: true}, le, rescale{Slope: 2, Intercept: 0}, []int16{-2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]int16, len(tc.want))
			decodeHU(got, tc.raw, tc.pf, tc.bo, tc.rs)
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestDecodeBinaryAcrossFrames(t *testing.T) {
	// Three frames of 3x3 = 27 bits, packed LSB first without padding between frames: frame 1
	// starts at bit 9, inside the second byte.
	pf := pixelFormat{Rows: 3, Cols: 3, Frames: 3, BitsAllocated: 1}
	bits := make([]byte, 4)
	set := func(b int) { bits[b>>3] |= 1 << (b & 7) }
	set(9)  // frame 1, pixel 0
	set(17) // frame 1, pixel 8
	set(26) // frame 2, pixel 8
	dst := make([]uint8, 9)
	decodeBinary(dst, bits, 1, pf, binary.LittleEndian, 1)
	if dst[0] != 1 || dst[8] != 1 || dst[1]+dst[2]+dst[3]+dst[4]+dst[5]+dst[6]+dst[7] != 0 {
		t.Fatalf("frame 1 = %v", dst)
	}
	decodeBinary(dst, bits, 2, pf, binary.LittleEndian, 1)
	if dst[8] != 1 || dst[0] != 0 {
		t.Fatalf("frame 2 = %v", dst)
	}
}
