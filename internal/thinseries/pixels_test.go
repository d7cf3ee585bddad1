package thinseries

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
)

// TestPlan: the new slices run evenly from the first source slice to the last, each between the
// two source slices around it; halfway goes to the later one; uneven source steps are followed.
func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    []float64
		n    int
		want []sample
	}{
		{"double", []float64{0, 2, 4}, 5, []sample{{0, 0, 0}, {0, 0.5, 1}, {1, 0, 1}, {1, 0.5, 2}, {1, 1, 2}}},
		{"fewer", []float64{0, 1, 2, 3, 4}, 3, []sample{{0, 0, 0}, {1, 1, 2}, {3, 1, 4}}},
		{"uneven", []float64{10, 11, 14}, 3, []sample{{0, 0, 0}, {1, 1.0 / 3, 1}, {1, 1, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plan(tc.s, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			for k := range got {
				g, w := got[k], tc.want[k]
				// A slice on a source slice may be counted from below (t 1) or above (t 0).
				at := func(s sample) float64 { return float64(s.Below) + s.T }
				if math.Abs(at(g)-at(w)) > 1e-12 || g.T < 0 || g.T > 1 || g.Nearest != w.Nearest {
					t.Errorf("slice %d: %+v, want %+v", k, g, w)
				}
			}
		})
	}
	if _, err := plan([]float64{0, 1}, 1); !errors.Is(err, ErrSlices) {
		t.Errorf("1 slice: %v, want ErrSlices", err)
	}
	if _, err := plan([]float64{0}, 5); !errors.Is(err, ErrSource) {
		t.Errorf("1 source slice: %v, want ErrSource", err)
	}
	if _, err := plan([]float64{0, 1, 1}, 5); !errors.Is(err, ErrSource) {
		t.Errorf("repeated position: %v, want ErrSource", err)
	}
}

// TestStoredValues: decode reads what encode wrote, in every width and sign, dropping the bits
// above BitsStored and extending the sign; big-endian input too.
func TestStoredValues(t *testing.T) {
	for _, f := range []pixelFormat{
		{Rows: 1, Cols: 4, BitsAllocated: 16, BitsStored: 16, Signed: true},
		{Rows: 1, Cols: 4, BitsAllocated: 16, BitsStored: 12, Signed: true},
		{Rows: 1, Cols: 4, BitsAllocated: 16, BitsStored: 12},
		{Rows: 2, Cols: 2, BitsAllocated: 8, BitsStored: 8},
	} {
		lo, hi := f.limits()
		vals := []int32{lo, hi, 0, (lo + hi) / 3}
		raw := make([]byte, f.bytes())
		f.encode(raw, vals)
		got := make([]int32, 4)
		if err := f.decode(got, raw, binary.LittleEndian); err != nil || !slices.Equal(got, vals) {
			t.Errorf("%+v: %v (%v), want %v", f, got, err, vals)
		}
		if f.BitsAllocated == 16 {
			be := make([]byte, len(raw))
			for i := 0; i < len(raw); i += 2 {
				be[i], be[i+1] = raw[i+1], raw[i]
			}
			if err := f.decode(got, be, binary.BigEndian); err != nil || !slices.Equal(got, vals) {
				t.Errorf("%+v big endian: %v (%v), want %v", f, got, err, vals)
			}
		}
	}
	// Garbage above a 12-bit signed value: 0xF800 is -2048, 0x0FFF is -1, 0x1001 is 1.
	f := pixelFormat{Rows: 1, Cols: 3, BitsAllocated: 16, BitsStored: 12, Signed: true}
	got := make([]int32, 3)
	if err := f.decode(got, []byte{0x00, 0xF8, 0xFF, 0x0F, 0x01, 0x10}, binary.LittleEndian); err != nil || !slices.Equal(got, []int32{-2048, -1, 1}) {
		t.Errorf("12 of 16 bits: %v (%v)", got, err)
	}
	if err := f.decode(got, []byte{0, 0}, binary.LittleEndian); !errors.Is(err, ErrSource) {
		t.Errorf("short pixel data: %v, want ErrSource", err)
	}
}

// TestInterpolate: linear in HU through each slice's rescale, stored through the nearest one's,
// held in the stored range; padding pixels keep the nearest slice's value.
func TestInterpolate(t *testing.T) {
	f := pixelFormat{Rows: 1, Cols: 4, BitsAllocated: 16, BitsStored: 12}
	ra := rescale{Slope: 1, Intercept: -1024, Pad: 0, Padded: true}
	rb := rescale{Slope: 2, Intercept: -1000}
	a := []int32{1024, 2000, 0, 4095} // -> 0, 976, pad, 3071 HU
	b := []int32{100, 600, 500, 2047} // -> -800, 200, 0, 3094 HU
	dst := make([]int32, 4)
	interpolate(dst, a, ra, b, rb, 0.25, false, ra, f)
	// HU: -200, 782, (pad: a's 0), 3076.75 -> stored +1024, at most 4095.
	if want := []int32{824, 1806, 0, 4095}; !slices.Equal(dst, want) {
		t.Errorf("a quarter of the way, stored as a: %v, want %v", dst, want)
	}
	interpolate(dst, a, ra, b, rb, 0.75, true, rb, f)
	// HU: -600, 394, (pad: b's 500), 3088.25 -> (HU+1000)/2 rounded.
	if want := []int32{200, 697, 500, 2044}; !slices.Equal(dst, want) {
		t.Errorf("three quarters of the way, stored as b: %v, want %v", dst, want)
	}
}
