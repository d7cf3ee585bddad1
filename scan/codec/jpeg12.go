package codec

import "fmt"

// A 12-bit sequential DCT JPEG decoder (JPEG Extended, process 4: Huffman, one component), for the
// 12-bit CT and NM images of transfer syntax 1.2.840.10008.1.2.4.51: neither the standard library
// nor Debian's libjpeg-turbo 2.1 (built for 8 bits) decodes 12-bit samples. The inverse DCT is
// IJG libjpeg 6b's "islow" integer transform with its 12-bit scaling and range limiting, the one
// GDCM (and DCMTK) use, so that the samples match theirs exactly.

var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// decodeSym reads one Huffman-coded symbol. The caller has filled at least 16 bits.
func (br *bitReader) decodeSym(h *huffTable) (uint8, error) {
	if e := h.lut[uint32(br.acc>>(br.n-lutBits))&(1<<lutBits-1)]; e != 0 {
		br.n -= uint(e >> 8)
		return uint8(e), nil
	}
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(br.acc>>(br.n-l)) & (1<<l - 1)
		if code <= h.maxcode[l] {
			br.n -= l
			idx := h.valptr[l] + code - h.mincode[l]
			if idx < 0 || int(idx) >= len(h.vals) {
				break
			}
			return h.vals[idx], nil
		}
	}
	return 0, fmt.Errorf("%w: bad Huffman code", ErrCorrupt)
}

// receiveExtend reads s bits as a signed value (T.81 F.2.2.1). The caller has filled them.
func (br *bitReader) receiveExtend(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := int32(br.acc>>(br.n-s)) & (1<<s - 1)
	br.n -= s
	if v < 1<<(s-1) {
		v -= 1<<s - 1
	}
	return v
}

// decodeJPEG12 decodes a one-component, 12-bit (or 8-bit) sequential Huffman DCT JPEG into dst.
func decodeJPEG12(src []byte, f Format, dst []byte) error {
	if len(src) < 4 || src[0] != 0xFF || src[1] != mSOI {
		return fmt.Errorf("%w: JPEG stream does not start with SOI", ErrCorrupt)
	}
	var (
		dc, ac    [4]huffTable
		quant     [4][64]int32 // natural order
		haveQuant [4]bool
		precision int
		tq        int
		restart   int
		haveFrame bool
		pos       = 2
	)
	for {
		if pos+1 >= len(src) || src[pos] != 0xFF {
			return fmt.Errorf("%w: JPEG stream ends before the image", ErrCorrupt)
		}
		m := src[pos+1]
		pos += 2
		if m == 0xFF {
			pos--
			continue
		}
		if m == mSOI || (m >= mRST0 && m <= mRST7) || m == 0x01 {
			continue
		}
		if m == mEOI {
			return fmt.Errorf("%w: JPEG image without a scan", ErrCorrupt)
		}
		seg, next, err := markerSegment(src, pos, m)
		if err != nil {
			return err
		}
		pos = next
		switch m {
		case mDQT:
			for len(seg) > 0 {
				pq, t := seg[0]>>4, int(seg[0]&15)
				n := 64 * (1 + int(pq))
				if t > 3 || pq > 1 || len(seg) < 1+n {
					return fmt.Errorf("%w: bad DQT", ErrCorrupt)
				}
				for k := 0; k < 64; k++ {
					v := int32(seg[1+k])
					if pq == 1 {
						v = int32(seg[1+2*k])<<8 | int32(seg[2+2*k])
					}
					quant[t][zigzag[k]] = v
				}
				haveQuant[t] = true
				seg = seg[1+n:]
			}
		case mDHT:
			err := parseDHT(seg, func(class, id byte) *huffTable {
				if class == 1 {
					return &ac[id]
				}
				return &dc[id]
			})
			if err != nil {
				return err
			}
		case mDRI:
			if len(seg) < 2 {
				return fmt.Errorf("%w: short DRI", ErrCorrupt)
			}
			restart = int(seg[0])<<8 | int(seg[1])
		case mSOF0, mSOF1:
			if haveFrame || len(seg) < 9 {
				return fmt.Errorf("%w: bad SOF", ErrCorrupt)
			}
			precision = int(seg[0])
			y := int(seg[1])<<8 | int(seg[2])
			x := int(seg[3])<<8 | int(seg[4])
			if int(seg[5]) != 1 || f.Samples != 1 {
				return fmt.Errorf("%w: %d-component %d-bit DCT JPEG", ErrUnsupported, seg[5], precision)
			}
			if x != f.Cols || y != f.Rows {
				return fmt.Errorf("%w: JPEG is %dx%d, the header says %dx%d", ErrMismatch, x, y, f.Cols, f.Rows)
			}
			if (precision != 8 && precision != 12) || precision > f.BitsAllocated {
				return fmt.Errorf("%w: JPEG precision %d for %d-bit samples", ErrMismatch, precision, f.BitsAllocated)
			}
			tq = int(seg[8])
			if tq > 3 {
				return fmt.Errorf("%w: quantization table %d", ErrCorrupt, tq)
			}
			haveFrame = true
		case mSOS:
			if !haveFrame || !haveQuant[tq] || len(seg) < 6 || seg[0] != 1 {
				return fmt.Errorf("%w: bad SOS", ErrCorrupt)
			}
			td, ta := seg[2]>>4, seg[2]&15
			if td > 3 || ta > 3 || !dc[td].defined || !ac[ta].defined {
				return fmt.Errorf("%w: SOS uses undefined Huffman tables", ErrCorrupt)
			}
			if seg[3] != 0 || seg[4] != 63 || seg[5] != 0 {
				return fmt.Errorf("%w: progressive or successive-approximation scan", ErrUnsupported)
			}
			br := &bitReader{data: src, pos: pos}
			return decodeDCTScan(br, &dc[td], &ac[ta], &quant[tq], f, precision, restart, dst)
		case 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			return fmt.Errorf("%w: JPEG process SOF%d", ErrUnsupported, m-mSOF0)
		}
	}
}

// decodeDCTScan decodes the blocks of a one-component scan and writes the cropped samples.
func decodeDCTScan(br *bitReader, dcT, acT *huffTable, q *[64]int32, f Format, precision, restart int, dst []byte) error {
	bw, bh := (f.Cols+7)/8, (f.Rows+7)/8
	var coef [64]int32
	var out [64]int32
	idct := newIDCT(precision)
	pred := int32(0)
	mcus := 0
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			if restart > 0 {
				if mcus == restart {
					if err := br.restart(); err != nil {
						return err
					}
					mcus, pred = 0, 0
				}
				mcus++
			}
			coef = [64]int32{}
			if br.n < 32 {
				br.fill()
			}
			s, err := br.decodeSym(dcT)
			if err != nil {
				return err
			}
			if s > 16 {
				return fmt.Errorf("%w: DC category %d", ErrCorrupt, s)
			}
			if br.n < 32 {
				br.fill()
			}
			pred += br.receiveExtend(uint(s))
			coef[0] = int32(int16(pred)) // IJG keeps coefficients in 16 bits
			for k := 1; k < 64; k++ {
				if br.n < 32 {
					br.fill()
				}
				rs, err := br.decodeSym(acT)
				if err != nil {
					return err
				}
				r, s := int(rs>>4), uint(rs&15)
				if s == 0 {
					if r != 15 {
						break
					}
					k += 15
					continue
				}
				k += r
				if k > 63 {
					return fmt.Errorf("%w: AC run past the block", ErrCorrupt)
				}
				coef[zigzag[k]] = int32(int16(br.receiveExtend(s)))
			}
			idct.run(&coef, q, &out)
			for y := 0; y < 8; y++ {
				py := by*8 + y
				if py >= f.Rows {
					break
				}
				for x := 0; x < 8; x++ {
					px := bx*8 + x
					if px >= f.Cols {
						break
					}
					v := out[8*y+x]
					if f.BitsAllocated == 16 {
						i := 2 * (py*f.Cols + px)
						dst[i], dst[i+1] = byte(v), byte(v>>8)
					} else {
						dst[py*f.Cols+px] = byte(v)
					}
				}
			}
		}
		if br.overrun() {
			return fmt.Errorf("%w: JPEG stream ends at block row %d of %d", ErrCorrupt, by+1, bh)
		}
	}
	return nil
}

// IJG 6b jidctint.c constants (CONST_BITS 13).
const (
	idctConstBits  = 13
	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// islowIDCT is jpeg_idct_islow for a sample precision: PASS1_BITS is 2 for 8-bit samples and 1 for
// 12-bit ones, and the output goes through IJG's range-limit table (wrapping by RANGE_MASK).
type islowIDCT struct {
	pass1 uint
	limit []int32 // post-IDCT range-limit table, indexed by value & (len-1)
}

func newIDCT(precision int) *islowIDCT {
	maxj := int32(1)<<precision - 1
	center := (maxj + 1) / 2
	d := &islowIDCT{pass1: 2, limit: make([]int32, 4*(maxj+1))}
	if precision == 12 {
		d.pass1 = 1
	}
	for i := range d.limit {
		v := int32(i)
		switch {
		case v < center:
			d.limit[i] = v + center
		case v < 2*(maxj+1):
			d.limit[i] = maxj
		case v < 4*(maxj+1)-center:
			d.limit[i] = 0
		default:
			d.limit[i] = v - (4*(maxj+1) - center)
		}
	}
	return d
}

func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

func (d *islowIDCT) run(in *[64]int32, q *[64]int32, out *[64]int32) {
	var ws [64]int64
	p1 := d.pass1
	for c := 0; c < 8; c++ {
		if in[8+c] == 0 && in[16+c] == 0 && in[24+c] == 0 && in[32+c] == 0 && in[40+c] == 0 && in[48+c] == 0 && in[56+c] == 0 {
			dcval := int64(in[c]*q[c]) << p1
			for k := 0; k < 8; k++ {
				ws[8*k+c] = dcval
			}
			continue
		}
		deq := func(k int) int64 { return int64(in[8*k+c]) * int64(q[8*k+c]) }
		z2, z3 := deq(2), deq(6)
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		z2, z3 = deq(0), deq(4)
		tmp0 := (z2 + z3) << idctConstBits
		tmp1 := (z2 - z3) << idctConstBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		tmp0, tmp1, tmp2, tmp3 = deq(7), deq(5), deq(3), deq(1)
		o0, o1, o2, o3 := idctOdd(tmp0, tmp1, tmp2, tmp3)
		n := idctConstBits - p1
		ws[8*0+c] = descale(tmp10+o3, n)
		ws[8*7+c] = descale(tmp10-o3, n)
		ws[8*1+c] = descale(tmp11+o2, n)
		ws[8*6+c] = descale(tmp11-o2, n)
		ws[8*2+c] = descale(tmp12+o1, n)
		ws[8*5+c] = descale(tmp12-o1, n)
		ws[8*3+c] = descale(tmp13+o0, n)
		ws[8*4+c] = descale(tmp13-o0, n)
	}
	mask := int64(len(d.limit) - 1)
	for r := 0; r < 8; r++ {
		w := ws[8*r : 8*r+8]
		o := out[8*r : 8*r+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := d.limit[descale(w[0], p1+3)&mask]
			for k := range o {
				o[k] = v
			}
			continue
		}
		z2, z3 := w[2], w[6]
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		tmp0 := (w[0] + w[4]) << idctConstBits
		tmp1 := (w[0] - w[4]) << idctConstBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o0, o1, o2, o3 := idctOdd(w[7], w[5], w[3], w[1])
		n := idctConstBits + p1 + 3
		o[0] = d.limit[descale(tmp10+o3, n)&mask]
		o[7] = d.limit[descale(tmp10-o3, n)&mask]
		o[1] = d.limit[descale(tmp11+o2, n)&mask]
		o[6] = d.limit[descale(tmp11-o2, n)&mask]
		o[2] = d.limit[descale(tmp12+o1, n)&mask]
		o[5] = d.limit[descale(tmp12-o1, n)&mask]
		o[3] = d.limit[descale(tmp13+o0, n)&mask]
		o[4] = d.limit[descale(tmp13-o0, n)&mask]
	}
}

// idctOdd is the odd part of the islow transform, from the inputs at positions 7, 5, 3 and 1.
func idctOdd(tmp0, tmp1, tmp2, tmp3 int64) (int64, int64, int64, int64) {
	z1, z2, z3, z4 := tmp0+tmp3, tmp1+tmp2, tmp0+tmp2, tmp1+tmp3
	z5 := (z3 + z4) * fix1_175875602
	tmp0 *= fix0_298631336
	tmp1 *= fix2_053119869
	tmp2 *= fix3_072711026
	tmp3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 *= -fix1_961570560
	z4 *= -fix0_390180644
	z3 += z5
	z4 += z5
	return tmp0 + z1 + z3, tmp1 + z2 + z4, tmp2 + z2 + z3, tmp3 + z1 + z4
}
