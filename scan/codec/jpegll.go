package codec

import (
	"encoding/binary"
	"fmt"
)

// JPEG Lossless, process 14 (ITU-T T.81 Annex H): Huffman-coded differences against one of seven
// predictors, with an optional point transform and restart intervals. No library that the module
// proxy serves decodes it and libjpeg-turbo 2.1 does not either, so it is written here.

const (
	mSOF0 = 0xC0
	mSOF1 = 0xC1
	mSOF2 = 0xC2
	mSOF3 = 0xC3
	mDHT  = 0xC4
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mRST0 = 0xD0
	mRST7 = 0xD7
)

// huffTable is a decoding table: a 9-bit lookahead for short codes, the canonical bounds for the
// rest.
type huffTable struct {
	defined bool
	lut     [1 << lutBits]uint16 // (length << 8 | value), 0 when the code is longer than lutBits
	maxcode [18]int32            // largest code of each length, -1 when none
	valptr  [17]int32
	mincode [17]int32
	vals    []byte
}

const lutBits = 9

func (h *huffTable) build(counts [16]byte, vals []byte) error {
	*h = huffTable{defined: true, vals: vals}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		h.valptr[l] = k
		h.mincode[l] = code
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			if code+n > 1<<l {
				return fmt.Errorf("%w: Huffman table overfull at length %d", ErrCorrupt, l)
			}
			for i := int32(0); i < n; i++ {
				if l <= lutBits {
					c := (code + i) << (lutBits - l)
					for j := int32(0); j < 1<<(lutBits-l); j++ {
						h.lut[c+j] = uint16(l)<<8 | uint16(vals[k+i])
					}
				}
			}
			h.maxcode[l] = code + n - 1
		}
		code = (code + n) << 1
		k += n
	}
	h.maxcode[17] = 1 << 30
	return nil
}

// bitReader reads entropy-coded bits, undoing byte stuffing; at a marker it feeds zeros and
// counts them, so that a stream that ends early is noticed.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64
	n      uint // valid bits in acc
	marker bool // a marker (or the end) was reached: only padding follows
	pad    uint // padding bits at the bottom of acc
}

// fastFill is fill's common case, small enough to inline: the next 8 bytes hold no 0xFF (no
// stuffing, no marker), so the whole bytes that fit go in at once. It reports whether it did.
func (br *bitReader) fastFill() bool {
	if br.marker || br.pos+8 > len(br.data) {
		return false
	}
	w := binary.BigEndian.Uint64(br.data[br.pos:])
	if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 != 0 {
		return false
	}
	k := (64 - br.n) >> 3 // bytes that fit
	br.acc = br.acc<<(8*k) | w>>(64-8*k)
	br.pos += int(k)
	br.n += 8 * k
	return true
}

func (br *bitReader) fill() {
	if br.fastFill() {
		return
	}
	for br.n <= 56 {
		if !br.marker && br.pos < len(br.data) {
			b := br.data[br.pos]
			if b == 0xFF {
				if br.pos+1 < len(br.data) && br.data[br.pos+1] == 0 {
					br.pos += 2
				} else {
					br.marker = true
					continue
				}
			} else {
				br.pos++
			}
			br.acc = br.acc<<8 | uint64(b)
		} else {
			br.marker = true
			br.acc <<= 8
			br.pad += 8
		}
		br.n += 8
	}
}

// overrun says whether more bits were consumed than the data held.
func (br *bitReader) overrun() bool { return br.pad > br.n }

// restart skips to after the next RSTn marker and empties the reader.
func (br *bitReader) restart() error {
	br.acc, br.n, br.marker, br.pad = 0, 0, false, 0
	for p := br.pos; p+1 < len(br.data); p++ {
		if br.data[p] == 0xFF {
			m := br.data[p+1]
			if m >= mRST0 && m <= mRST7 {
				br.pos = p + 2
				return nil
			}
			if m != 0 && m != 0xFF {
				break
			}
		}
	}
	return fmt.Errorf("%w: missing restart marker", ErrCorrupt)
}

// decodeDiff reads one Huffman-coded difference. The caller has filled at least 32 bits.
func (br *bitReader) decodeDiff(h *huffTable) (int32, error) {
	peek := uint32(br.acc>>(br.n-lutBits)) & (1<<lutBits - 1)
	var s uint
	if e := h.lut[peek]; e != 0 {
		br.n -= uint(e >> 8)
		s = uint(e & 0xFF)
	} else {
		l := uint(lutBits + 1)
		for ; l <= 16; l++ {
			code := int32(br.acc>>(br.n-l)) & (1<<l - 1)
			if code <= h.maxcode[l] {
				br.n -= l
				idx := h.valptr[l] + code - h.mincode[l]
				if int(idx) >= len(h.vals) {
					return 0, fmt.Errorf("%w: bad Huffman code", ErrCorrupt)
				}
				s = uint(h.vals[idx])
				break
			}
		}
		if l > 16 {
			return 0, fmt.Errorf("%w: bad Huffman code", ErrCorrupt)
		}
	}
	switch {
	case s == 0:
		return 0, nil
	case s == 16:
		return 32768, nil
	case s > 16:
		return 0, fmt.Errorf("%w: difference category %d", ErrCorrupt, s)
	}
	if br.n < s {
		br.fill()
	}
	v := int32(br.acc>>(br.n-s)) & (1<<s - 1)
	br.n -= s
	if v < 1<<(s-1) {
		v -= 1<<s - 1
	}
	return v, nil
}

type llComponent struct {
	id     byte
	td     int // Huffman table of the scan
	offset int // sample index within a pixel
	prev   []int32
	cur    []int32
}

// decodeJPEGLossless decodes a process 14 (SOF3) stream into dst.
func decodeJPEGLossless(src []byte, f Format, dst []byte) error {
	if len(src) < 4 || src[0] != 0xFF || src[1] != mSOI {
		return fmt.Errorf("%w: JPEG stream does not start with SOI", ErrCorrupt)
	}
	var (
		tables    [4]huffTable
		comps     []llComponent
		precision int
		restart   int
		haveFrame bool
		scansDone = map[byte]bool{}
		pos       = 2
	)
	for {
		// Find the next marker; fill bytes (FF FF ...) are allowed.
		if pos+1 >= len(src) {
			if haveFrame && len(scansDone) == len(comps) {
				return nil // no EOI: accepted once every component is decoded
			}
			return fmt.Errorf("%w: JPEG stream ends before the image", ErrCorrupt)
		}
		if src[pos] != 0xFF {
			return fmt.Errorf("%w: expected a marker at byte %d", ErrCorrupt, pos)
		}
		m := src[pos+1]
		pos += 2
		if m == 0xFF {
			pos--
			continue
		}
		if m == mEOI {
			if !haveFrame || len(scansDone) != len(comps) {
				return fmt.Errorf("%w: JPEG image ends before every component is decoded", ErrCorrupt)
			}
			return nil
		}
		if m == mSOI || (m >= mRST0 && m <= mRST7) || m == 0x01 {
			continue
		}
		seg, next, err := markerSegment(src, pos, m)
		if err != nil {
			return err
		}
		pos = next
		switch {
		case m == mSOF3:
			if haveFrame {
				return fmt.Errorf("%w: two frame headers", ErrCorrupt)
			}
			if len(seg) < 6 {
				return fmt.Errorf("%w: short SOF3", ErrCorrupt)
			}
			precision = int(seg[0])
			y := int(seg[1])<<8 | int(seg[2])
			x := int(seg[3])<<8 | int(seg[4])
			nf := int(seg[5])
			if len(seg) < 6+3*nf {
				return fmt.Errorf("%w: short SOF3", ErrCorrupt)
			}
			if y == 0 {
				return fmt.Errorf("%w: JPEG lossless with the height in a DNL marker", ErrUnsupported)
			}
			if x != f.Cols || y != f.Rows || nf != f.Samples {
				return fmt.Errorf("%w: JPEG frame is %dx%d with %d components, the header says %dx%d with %d samples", ErrMismatch, x, y, nf, f.Cols, f.Rows, f.Samples)
			}
			if precision < 2 || precision > 16 || precision > f.BitsAllocated {
				return fmt.Errorf("%w: JPEG precision %d for %d-bit samples", ErrMismatch, precision, f.BitsAllocated)
			}
			for i := 0; i < nf; i++ {
				if hv := seg[6+3*i+1]; hv != 0x11 {
					return fmt.Errorf("%w: JPEG lossless sampling factors %02X", ErrUnsupported, hv)
				}
				comps = append(comps, llComponent{id: seg[6+3*i], offset: i})
			}
			haveFrame = true
		case m == mSOF0 || m == mSOF1 || m == mSOF2 || (m >= 0xC5 && m <= 0xCF && m != 0xC8 && m != 0xCC):
			return fmt.Errorf("%w: JPEG process SOF%d in a JPEG Lossless transfer syntax", ErrUnsupported, m-mSOF0)
		case m == mDHT:
			// AC tables mean nothing to a lossless stream: they are checked and skipped.
			err := parseDHT(seg, func(class, id byte) *huffTable {
				if class == 0 {
					return &tables[id]
				}
				return nil
			})
			if err != nil {
				return err
			}
		case m == mDRI:
			if len(seg) < 2 {
				return fmt.Errorf("%w: short DRI", ErrCorrupt)
			}
			restart = int(seg[0])<<8 | int(seg[1])
		case m == mSOS:
			if !haveFrame {
				return fmt.Errorf("%w: scan before the frame header", ErrCorrupt)
			}
			if len(seg) < 1 {
				return fmt.Errorf("%w: short SOS", ErrCorrupt)
			}
			ns := int(seg[0])
			if ns < 1 || ns > len(comps) || len(seg) < 1+2*ns+3 {
				return fmt.Errorf("%w: SOS with %d components", ErrCorrupt, ns)
			}
			var scan []*llComponent
			for i := 0; i < ns; i++ {
				id, td := seg[1+2*i], int(seg[2+2*i]>>4)
				var c *llComponent
				for k := range comps {
					if comps[k].id == id {
						c = &comps[k]
					}
				}
				if c == nil || scansDone[id] {
					return fmt.Errorf("%w: SOS names component %d", ErrCorrupt, id)
				}
				if td > 3 || !tables[td].defined {
					return fmt.Errorf("%w: SOS uses undefined Huffman table %d", ErrCorrupt, td)
				}
				c.td = td
				scansDone[id] = true
				scan = append(scan, c)
			}
			predictor := int(seg[1+2*ns])
			pt := int(seg[3+2*ns] & 15)
			if predictor < 1 || predictor > 7 {
				return fmt.Errorf("%w: JPEG lossless predictor %d", ErrUnsupported, predictor)
			}
			if pt >= precision {
				return fmt.Errorf("%w: point transform %d at precision %d", ErrCorrupt, pt, precision)
			}
			br := &bitReader{data: src, pos: pos}
			if err := decodeLosslessScan(br, scan, &tables, f, precision, predictor, pt, restart, dst); err != nil {
				return err
			}
			// Skip to the marker after the entropy-coded data.
			p := br.pos
			for p+1 < len(src) && !(src[p] == 0xFF && src[p+1] != 0 && !(src[p+1] >= mRST0 && src[p+1] <= mRST7)) {
				p++
			}
			pos = p
			if pos+1 >= len(src) {
				pos = len(src)
			}
		case m == mDNL:
			return fmt.Errorf("%w: DNL marker", ErrUnsupported)
		default:
			// APPn, COM, DQT, DAC...: nothing the lossless decoder needs.
		}
	}
}

// decodeLosslessScan decodes the samples of one scan into dst.
func decodeLosslessScan(br *bitReader, scan []*llComponent, tables *[4]huffTable, f Format, precision, predictor, pt, restart int, dst []byte) error {
	if len(scan) == 1 && f.Samples == 1 && restart == 0 {
		return decodeLosslessGray(br, &tables[scan[0].td], f, precision, predictor, pt, dst)
	}
	return decodeLosslessGeneric(br, scan, tables, f, precision, predictor, pt, restart, dst)
}

// decodeLosslessGray is the common case, one component without restart intervals. Each row is
// entropy-decoded into differences first, then predicted in a loop specialised to the predictor.
// The bit buffer is kept left-aligned in local variables (the next bit is acc's top bit), so that
// the Huffman lookup does not wait for the bit count, and is refilled 8 bytes at a time where no
// 0xFF byte (stuffing or a marker) is near: the bits below the count are then the bytes that
// follow, which a later refill ORs in again unchanged.
func decodeLosslessGray(br *bitReader, h *huffTable, f Format, precision, predictor, pt int, dst []byte) error {
	cols, rows := f.Cols, f.Rows
	prev := make([]int32, cols)
	cur := make([]int32, cols)
	diffs := make([]int32, cols)
	initial := int32(1) << uint(precision-pt-1)
	shift := uint(pt)
	wide := f.BitsAllocated == 16
	lut := &h.lut
	data, pos := br.data, br.pos
	var acc uint64
	var n, pad uint
	marker := false
	for y := 0; y < rows; y++ {
		for x := range diffs {
			if n < 32 {
				refilled := false
				if !marker && pos+8 <= len(data) {
					w := binary.BigEndian.Uint64(data[pos:])
					if z := ^w; (z-0x0101010101010101)&^z&0x8080808080808080 == 0 {
						acc |= w >> n
						k := (63 - n) >> 3
						pos += int(k)
						n += k << 3
						refilled = true
					}
				}
				for !refilled && n <= 56 {
					if !marker && pos < len(data) {
						b := data[pos]
						if b == 0xFF {
							if pos+1 < len(data) && data[pos+1] == 0 {
								pos += 2
							} else {
								marker = true
								continue
							}
						} else {
							pos++
						}
						acc |= uint64(b) << (56 - n)
					} else {
						marker = true
						pad += 8
					}
					n += 8
				}
			}
			var d int32
			var s uint
			if e := lut[acc>>(64-lutBits)]; e != 0 {
				l := uint(e >> 8)
				acc <<= l
				n -= l
				s = uint(e & 0xFF)
			} else {
				l := uint(lutBits + 1)
				for ; l <= 16; l++ {
					if code := int32(acc >> (64 - l)); code <= h.maxcode[l] {
						idx := h.valptr[l] + code - h.mincode[l]
						if int(idx) >= len(h.vals) {
							l = 17
						} else {
							s = uint(h.vals[idx])
						}
						break
					}
				}
				if l > 16 {
					return fmt.Errorf("%w: bad Huffman code", ErrCorrupt)
				}
				acc <<= l
				n -= l
			}
			switch {
			case s < 16:
				// Branch-free: the category is random from sample to sample. For s == 0 the mask
				// is 0 and so is d (a shift by 64 gives 0).
				m := int32(1)<<s - 1
				v := int32(acc >> (64 - s))
				acc <<= s
				n -= s
				t := (v >> ((s - 1) & 31)) & 1
				d = v - (m & (t - 1))
			case s == 16:
				d = 32768
			default:
				return fmt.Errorf("%w: difference category %d", ErrCorrupt, s)
			}
			diffs[x] = d
		}
		if pad > n || n > 64 {
			return fmt.Errorf("%w: JPEG lossless stream ends at row %d of %d", ErrCorrupt, y+1, rows)
		}
		predictRow(cur, prev, diffs, y == 0, initial, predictor)
		if wide {
			row := dst[2*y*cols : 2*(y+1)*cols]
			for x, v := range cur {
				u := uint16(v << shift)
				row[2*x] = byte(u)
				row[2*x+1] = byte(u >> 8)
			}
		} else {
			row := dst[y*cols : (y+1)*cols]
			for x, v := range cur {
				row[x] = byte(v << shift)
			}
		}
		prev, cur = cur, prev
	}
	br.pos = pos
	return nil
}

// predictRow reconstructs a row from its differences (T.81 H.1.2.1): the first row predicts from
// the left (its first sample from 2^(P-Pt-1)), the first sample of other rows from above, the rest
// with the scan's predictor; sums are modulo 2^16.
func predictRow(cur, prev, d []int32, first bool, initial int32, predictor int) {
	n := len(cur)
	prev = prev[:n]
	d = d[:n]
	if first {
		v := initial
		for x := 0; x < n; x++ {
			v = (v + d[x]) & 0xFFFF
			cur[x] = v
		}
		return
	}
	cur[0] = (prev[0] + d[0]) & 0xFFFF
	switch predictor {
	case 1:
		v := cur[0]
		for x := 1; x < n; x++ {
			v = (v + d[x]) & 0xFFFF
			cur[x] = v
		}
	case 2:
		for x := 1; x < n; x++ {
			cur[x] = (prev[x] + d[x]) & 0xFFFF
		}
	case 3:
		for x := 1; x < n; x++ {
			cur[x] = (prev[x-1] + d[x]) & 0xFFFF
		}
	case 4:
		for x := 1; x < n; x++ {
			cur[x] = (cur[x-1] + prev[x] - prev[x-1] + d[x]) & 0xFFFF
		}
	case 5:
		for x := 1; x < n; x++ {
			cur[x] = (cur[x-1] + (prev[x]-prev[x-1])>>1 + d[x]) & 0xFFFF
		}
	case 6:
		for x := 1; x < n; x++ {
			cur[x] = (prev[x] + (cur[x-1]-prev[x-1])>>1 + d[x]) & 0xFFFF
		}
	default:
		for x := 1; x < n; x++ {
			cur[x] = ((cur[x-1]+prev[x])>>1 + d[x]) & 0xFFFF
		}
	}
}

// decodeLosslessGeneric decodes interleaved components and restart intervals.
func decodeLosslessGeneric(br *bitReader, scan []*llComponent, tables *[4]huffTable, f Format, precision, predictor, pt, restart int, dst []byte) error {
	cols, rows, samples := f.Cols, f.Rows, f.Samples
	initial := int32(1) << uint(precision-pt-1)
	for _, c := range scan {
		c.prev = make([]int32, cols)
		c.cur = make([]int32, cols)
	}
	wide := f.BitsAllocated == 16
	mask := int32(0xFFFF)
	shift := uint(pt)
	mcus := 0        // MCUs since the last restart
	firstRow := true // the row being decoded is the first of the scan or of a restart interval
	resetAt := 0     // column of the first sample after a reset in the first row
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			if restart > 0 {
				if mcus == restart {
					if err := br.restart(); err != nil {
						return err
					}
					mcus = 0
					firstRow, resetAt = true, x
				}
				mcus++
			}
			for _, c := range scan {
				if br.n < 32 {
					br.fill()
				}
				diff, err := br.decodeDiff(&tables[c.td])
				if err != nil {
					return err
				}
				var pred int32
				switch {
				case firstRow && x == resetAt:
					pred = initial
				case firstRow:
					pred = c.cur[x-1]
				case x == 0:
					pred = c.prev[0]
				default:
					ra, rb, rc := c.cur[x-1], c.prev[x], c.prev[x-1]
					switch predictor {
					case 1:
						pred = ra
					case 2:
						pred = rb
					case 3:
						pred = rc
					case 4:
						pred = ra + rb - rc
					case 5:
						pred = ra + (rb-rc)>>1
					case 6:
						pred = rb + (ra-rc)>>1
					case 7:
						pred = (ra + rb) >> 1
					}
				}
				v := (pred + diff) & mask
				c.cur[x] = v
			}
		}
		if br.overrun() {
			return fmt.Errorf("%w: JPEG lossless stream ends at row %d of %d", ErrCorrupt, y+1, rows)
		}
		for _, c := range scan {
			row := c.cur
			if wide {
				o := (y*cols*samples + c.offset) * 2
				for x, v := range row {
					u := uint16(v << shift)
					dst[o+2*x*samples] = byte(u)
					dst[o+2*x*samples+1] = byte(u >> 8)
				}
			} else {
				o := y*cols*samples + c.offset
				for x, v := range row {
					dst[o+x*samples] = byte(v << shift)
				}
			}
			c.prev, c.cur = c.cur, c.prev
		}
		if firstRow {
			// The row after a restart (or the scan start) that began mid-row is still partly
			// "first row"; restarts in practice fall on row starts.
			firstRow = false
			resetAt = 0
		}
	}
	return nil
}

// parseDHT reads the Huffman tables of a DHT segment (ITU T.81 B.2.4.2) and builds each into the
// table that table(class, id) returns (0 DC or lossless, 1 AC; id 0..3), or skips it when that
// returns nil. Counts are checked against the segment before anything is built.
func parseDHT(seg []byte, table func(class, id byte) *huffTable) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return fmt.Errorf("%w: short DHT", ErrCorrupt)
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return fmt.Errorf("%w: DHT class %d table %d", ErrCorrupt, tc, th)
		}
		var counts [16]byte
		copy(counts[:], seg[1:17])
		n := 0
		for _, c := range counts {
			n += int(c)
		}
		if n > 256 || len(seg) < 17+n {
			return fmt.Errorf("%w: DHT declares %d codes", ErrCorrupt, n)
		}
		if t := table(tc, th); t != nil {
			if err := t.build(counts, append([]byte(nil), seg[17:17+n]...)); err != nil {
				return err
			}
		}
		seg = seg[17+n:]
	}
	return nil
}

// markerSegment returns the payload of the marker segment of marker m whose length field starts
// at pos, and the position after it; the declared length is checked against the data.
func markerSegment(src []byte, pos int, m byte) ([]byte, int, error) {
	if pos+2 > len(src) {
		return nil, 0, fmt.Errorf("%w: JPEG marker segment past the end", ErrCorrupt)
	}
	segLen := int(src[pos])<<8 | int(src[pos+1])
	if segLen < 2 || pos+segLen > len(src) {
		return nil, 0, fmt.Errorf("%w: JPEG marker %02X declares %d bytes", ErrCorrupt, m, segLen)
	}
	return src[pos+2 : pos+segLen], pos + segLen, nil
}
