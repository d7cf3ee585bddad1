package thinseries

import (
	"encoding/binary"
	"fmt"
	"math"
)

// pixelFormat is how a slice stores its values: one sample a pixel, 8 or 16 bits allocated, the
// low BitsStored of them used, two's complement where Signed.
type pixelFormat struct {
	Rows, Cols    int
	BitsAllocated int
	BitsStored    int
	Signed        bool
}

func (f pixelFormat) pixels() int { return f.Rows * f.Cols }

// bytes is the size of the slice's native pixel data.
func (f pixelFormat) bytes() int { return f.pixels() * f.BitsAllocated / 8 }

// check refuses what the generator does not write: colour, 1- or 32-bit pixels, a high bit that is
// not the top stored bit.
func (f pixelFormat) check(samples, highBit int) error {
	switch {
	case samples != 1:
		return fmt.Errorf("%w: %d samples a pixel (only grey images)", ErrSource, samples)
	case f.BitsAllocated != 8 && f.BitsAllocated != 16:
		return fmt.Errorf("%w: %d bits allocated a pixel (8 or 16 only)", ErrSource, f.BitsAllocated)
	case f.BitsStored < 1 || f.BitsStored > f.BitsAllocated || highBit != f.BitsStored-1:
		return fmt.Errorf("%w: bits stored %d, high bit %d in %d bits", ErrSource, f.BitsStored, highBit, f.BitsAllocated)
	case f.Rows < 1 || f.Cols < 1:
		return fmt.Errorf("%w: %dx%d pixels", ErrSource, f.Cols, f.Rows)
	}
	return nil
}

// limits are the smallest and largest stored values.
func (f pixelFormat) limits() (lo, hi int32) {
	if f.Signed {
		return -1 << (f.BitsStored - 1), 1<<(f.BitsStored-1) - 1
	}
	return 0, 1<<f.BitsStored - 1
}

// decode reads native pixel data in byte order bo into stored values (dst, one a pixel): the bits
// above BitsStored are dropped and a signed value's sign extended, as a reader must.
func (f pixelFormat) decode(dst []int32, raw []byte, bo binary.ByteOrder) error {
	n := f.pixels()
	if len(raw) < f.bytes() || len(dst) < n {
		return fmt.Errorf("%w: %d bytes of pixel data for %dx%d pixels of %d bits", ErrSource, len(raw), f.Cols, f.Rows, f.BitsAllocated)
	}
	mask := uint32(1)<<f.BitsStored - 1
	sign := uint32(1) << (f.BitsStored - 1)
	for i := range n {
		var u uint32
		if f.BitsAllocated == 8 {
			u = uint32(raw[i])
		} else {
			u = uint32(bo.Uint16(raw[2*i:]))
		}
		u &= mask
		v := int32(u)
		if f.Signed && u&sign != 0 {
			v -= int32(mask) + 1
		}
		dst[i] = v
	}
	return nil
}

// encode writes stored values as native little-endian pixel data into dst (f.bytes() long); a
// signed value fills the bits above BitsStored with its sign, as most writers do.
func (f pixelFormat) encode(dst []byte, src []int32) {
	for i, v := range src[:f.pixels()] {
		if f.BitsAllocated == 8 {
			dst[i] = uint8(v)
		} else {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16(v))
		}
	}
}

// rescale is a slice's Modality LUT: HU = stored*Slope + Intercept. Pad, where Padded, is the
// stored value that marks pixels outside the reconstructed field (PixelPaddingValue).
type rescale struct {
	Slope, Intercept float64
	Pad              int32
	Padded           bool
}

func (r rescale) hu(v int32) float64 { return float64(v)*r.Slope + r.Intercept }

// interpolate fills dst with the slice the fraction t of the way from slice a to slice b, linear in
// HU, stored through out's rescale (the nearest source slice's, whose header the new slice keeps;
// b is the nearest where toB), rounded and held within the stored range. Where either slice has a
// padding pixel, the nearest slice's value is kept: padding is a marker, not a density to blend.
func interpolate(dst []int32, a []int32, ra rescale, b []int32, rb rescale, t float64, toB bool, out rescale, f pixelFormat) {
	lo, hi := f.limits()
	nearest := a
	if toB {
		nearest = b
	}
	for i := range dst {
		va, vb := a[i], b[i]
		if (ra.Padded && va == ra.Pad) || (rb.Padded && vb == rb.Pad) {
			dst[i] = nearest[i]
			continue
		}
		hu := (1-t)*ra.hu(va) + t*rb.hu(vb)
		v := math.Round((hu - out.Intercept) / out.Slope)
		dst[i] = int32(math.Min(float64(hi), math.Max(float64(lo), v)))
	}
}
