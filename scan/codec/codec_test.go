package codec

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// The seeds in testdata/ (see gen.sh) are a synthetic 32x24 image, 16-bit signed and 8-bit
// unsigned, encoded by GDCM and DCMTK.
var seedFormats = map[string]Format{
	"s16": {Rows: 24, Cols: 32, Samples: 1, BitsAllocated: 16, BitsStored: 16, Signed: true},
	"u12": {Rows: 24, Cols: 32, Samples: 1, BitsAllocated: 16, BitsStored: 12},
	"u8":  {Rows: 24, Cols: 32, Samples: 1, BitsAllocated: 8, BitsStored: 8},
}

var seedSyntaxes = map[string]string{
	".j2k": JPEG2000Lossless, ".lossy.j2k": JPEG2000, ".jls": JPEGLSLossless, ".near.jls": JPEGLSNear,
	".ljpeg": JPEGLosslessSV1, ".sv7.ljpeg": JPEGLossless, ".rle": RLELossless, ".dct.jpg": JPEGExtended,
}

// seedExists says whether testdata holds a seed (DCT JPEG seeds exist for u8 and u12 only).
func seedExists(name string) bool {
	_, err := os.Stat(filepath.Join("testdata", name))
	return err == nil
}

func readSeed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// samples reads a native little-endian frame as integers.
func samples(b []byte, f Format) []int {
	out := make([]int, f.Rows*f.Cols*f.Samples)
	for i := range out {
		if f.BitsAllocated == 16 {
			u := binary.LittleEndian.Uint16(b[2*i:])
			if f.Signed {
				out[i] = int(int16(u))
			} else {
				out[i] = int(u)
			}
		} else {
			out[i] = int(b[i])
		}
	}
	return out
}

// TestSeeds decodes each seed and compares it with the raw frame: exactly for lossless syntaxes,
// within NEAR=2 for near-lossless JPEG-LS, within a small RMS error for lossy JPEG 2000.
func TestSeeds(t *testing.T) {
	for variant, f := range seedFormats {
		want := samples(readSeed(t, variant+".raw"), f)
		for ext, ts := range seedSyntaxes {
			name := variant + ext
			if !seedExists(name) {
				continue
			}
			t.Run(name, func(t *testing.T) {
				if !Supported(ts) {
					t.Skipf("%s not in this build", Name(ts))
				}
				dst := make([]byte, f.FrameBytes())
				if err := Decode(ts, readSeed(t, name), f, dst); err != nil {
					t.Fatal(err)
				}
				got := samples(dst, f)
				want := want
				if ext == ".dct.jpg" {
					// Lossy: compared with DCMTK's decoding of the same stream, exactly.
					want = samples(readSeed(t, variant+".dct.raw"), f)
				}
				maxd, sum := 0, 0.0
				for i := range got {
					d := got[i] - want[i]
					if d < 0 {
						d = -d
					}
					maxd = max(maxd, d)
					sum += float64(d * d)
				}
				rms := math.Sqrt(sum / float64(len(got)))
				switch ext {
				case ".near.jls":
					if maxd > 2 {
						t.Errorf("error up to %d, NEAR is 2", maxd)
					}
				case ".lossy.j2k":
					if rms > 0.05*float64(int(1)<<f.BitsStored) || rms > 60 {
						t.Errorf("rms error %.1f", rms)
					}
				default:
					if maxd != 0 {
						t.Errorf("lossless decode differs by up to %d", maxd)
					}
				}
			})
		}
	}
}

// TestWideSamples: 8-bit codestreams in 16-bit words (BitsAllocated 16, BitsStored 8) come out
// zero-extended.
func TestWideSamples(t *testing.T) {
	want := readSeed(t, "u8.raw")
	f := Format{Rows: 24, Cols: 32, Samples: 1, BitsAllocated: 16, BitsStored: 8}
	for ext, ts := range map[string]string{".jls": JPEGLSLossless, ".j2k": JPEG2000Lossless, ".ljpeg": JPEGLosslessSV1, ".sv7.ljpeg": JPEGLossless, ".dct.jpg": JPEGBaseline} {
		if !Supported(ts) {
			continue
		}
		dst := make([]byte, f.FrameBytes())
		if err := Decode(ts, readSeed(t, "u8"+ext), f, dst); err != nil {
			t.Errorf("%s: %v", ext, err)
			continue
		}
		ref := want
		if ext == ".dct.jpg" {
			ref = readSeed(t, "u8.dct.raw")
		}
		for i, v := range ref {
			if dst[2*i] != v || dst[2*i+1] != 0 {
				t.Errorf("%s: sample %d is %d, want %d", ext, i, binary.LittleEndian.Uint16(dst[2*i:]), v)
				break
			}
		}
	}
}

// TestMismatch: a codestream whose image is not the declared frame is refused before decoding.
func TestMismatch(t *testing.T) {
	f := seedFormats["s16"]
	for ext, ts := range seedSyntaxes {
		if !Supported(ts) || !seedExists("s16"+ext) {
			continue
		}
		for _, g := range []Format{
			{Rows: f.Rows + 1, Cols: f.Cols, Samples: 1, BitsAllocated: 16},
			{Rows: f.Rows, Cols: f.Cols * 2, Samples: 1, BitsAllocated: 16},
			{Rows: f.Rows, Cols: f.Cols, Samples: 1, BitsAllocated: 8},
			{Rows: f.Rows, Cols: f.Cols, Samples: 3, BitsAllocated: 16},
		} {
			err := Decode(ts, readSeed(t, "s16"+ext), g, make([]byte, g.FrameBytes()))
			if !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s as %+v: %v, want a mismatch", ext, g, err)
			}
		}
	}
	if err := Decode("1.2.840.10008.1.2.4.100", []byte{1, 2, 3}, f, make([]byte, f.FrameBytes())); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MPEG2: %v", err)
	}
}

// TestTruncated: every prefix of every seed gives an error or, where only the last few bytes are
// cut (CharLS and OpenJPEG fill a missing tail), an image; never a panic or a hang.
func TestTruncated(t *testing.T) {
	for variant, f := range seedFormats {
		for ext, ts := range seedSyntaxes {
			if !Supported(ts) || !seedExists(variant+ext) {
				continue
			}
			src := readSeed(t, variant+ext)
			full := make([]byte, f.FrameBytes())
			if err := Decode(ts, src, f, full); err != nil {
				t.Fatal(err)
			}
			dst := make([]byte, f.FrameBytes())
			for n := 0; n < len(src); n++ {
				if err := Decode(ts, src[:n], f, dst); err == nil && !bytes.Equal(dst, full) && n < len(src)-8 {
					t.Errorf("%s cut to %d of %d bytes: no error and a different image", variant+ext, n, len(src))
				}
			}
		}
	}
}

// --- a JPEG Lossless encoder for the tests: restart intervals, several components, every predictor

// testHuffCounts codes the 17 difference categories with lengths 3 to 9.
var testHuffCounts = [16]byte{0, 0, 6, 2, 2, 2, 2, 2, 1}

type bitWriter struct {
	out  []byte
	acc  uint32
	nacc uint
}

func (w *bitWriter) put(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.nacc++
		if w.nacc == 8 {
			b := byte(w.acc)
			w.out = append(w.out, b)
			if b == 0xFF {
				w.out = append(w.out, 0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.put(1, 1)
	}
}

// encodeLossless encodes samples (pixel-interleaved, comps per pixel) of precision p.
func encodeLossless(img []int, cols, rows, comps, p, predictor, restart int) []byte {
	// Canonical codes of the test table.
	var codes [17]uint32
	var lens [17]uint
	code, sym := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for i := 0; i < int(testHuffCounts[l-1]); i++ {
			codes[sym], lens[sym] = code, uint(l)
			code++
			sym++
		}
		code <<= 1
	}
	b := []byte{0xFF, mSOI}
	seg := func(m byte, body []byte) {
		b = append(b, 0xFF, m, byte((len(body)+2)>>8), byte(len(body)+2))
		b = append(b, body...)
	}
	sof := []byte{byte(p), byte(rows >> 8), byte(rows), byte(cols >> 8), byte(cols), byte(comps)}
	for c := 0; c < comps; c++ {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	seg(mSOF3, sof)
	dht := append([]byte{0x00}, testHuffCounts[:]...)
	for s := 0; s <= 16; s++ {
		dht = append(dht, byte(s))
	}
	seg(mDHT, dht)
	if restart > 0 {
		seg(mDRI, []byte{byte(restart >> 8), byte(restart)})
	}
	sos := []byte{byte(comps)}
	for c := 0; c < comps; c++ {
		sos = append(sos, byte(c+1), 0x00)
	}
	sos = append(sos, byte(predictor), 0, 0)
	seg(mSOS, sos)
	w := &bitWriter{}
	at := func(x, y, c int) int { return img[(y*cols+x)*comps+c] }
	mcus, rst := 0, 0
	firstRow, resetAt := true, 0
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			if restart > 0 {
				if mcus == restart {
					w.flush()
					w.out = append(w.out, 0xFF, byte(mRST0+rst%8))
					rst++
					mcus = 0
					firstRow, resetAt = true, x
				}
				mcus++
			}
			for c := 0; c < comps; c++ {
				var pred int
				switch {
				case firstRow && x == resetAt:
					pred = 1 << (p - 1)
				case firstRow:
					pred = at(x-1, y, c)
				case x == 0:
					pred = at(x, y-1, c)
				default:
					ra, rb, rc := at(x-1, y, c), at(x, y-1, c), at(x-1, y-1, c)
					pred = [8]int{0, ra, rb, rc, ra + rb - rc, ra + (rb-rc)>>1, rb + (ra-rc)>>1, (ra + rb) >> 1}[predictor]
				}
				d := (at(x, y, c) - pred) & 0xFFFF
				if d > 32768 {
					d -= 65536
				}
				s := uint(0)
				for a := d; a != 0 && a != -0; {
					if a < 0 {
						a = -a
					}
					for ; a > 0; a >>= 1 {
						s++
					}
				}
				w.put(codes[s], lens[s])
				if s > 0 && s < 16 {
					v := d
					if v < 0 {
						v += 1<<s - 1
					}
					w.put(uint32(v), s)
				}
			}
		}
		if firstRow {
			firstRow, resetAt = false, 0
		}
	}
	w.flush()
	b = append(b, w.out...)
	return append(b, 0xFF, mEOI)
}

// TestJPEGLosslessRoundTrip: images of 2 to 16 bits, one and three components, each predictor,
// with and without restart intervals (on and off row boundaries).
func TestJPEGLosslessRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, p := range []int{2, 8, 12, 16} {
		for _, comps := range []int{1, 3} {
			for pred := 1; pred <= 7; pred++ {
				for _, restart := range []int{0, 13, 40} {
					cols, rows := 13+rng.Intn(20), 7+rng.Intn(10)
					img := make([]int, cols*rows*comps)
					v := rng.Intn(1 << p)
					for i := range img {
						// A random walk with occasional jumps: every difference category shows up.
						if rng.Intn(20) == 0 {
							v = rng.Intn(1 << p)
						} else {
							v = (v + rng.Intn(9) - 4) & (1<<p - 1)
						}
						img[i] = v
					}
					if restart == 40 {
						restart = cols // on row boundaries
					}
					src := encodeLossless(img, cols, rows, comps, p, pred, restart)
					alloc := 8
					if p > 8 {
						alloc = 16
					}
					f := Format{Rows: rows, Cols: cols, Samples: comps, BitsAllocated: alloc, BitsStored: p}
					dst := make([]byte, f.FrameBytes())
					if err := Decode(JPEGLossless, src, f, dst); err != nil {
						t.Fatalf("P=%d comps=%d predictor %d restart %d: %v", p, comps, pred, restart, err)
					}
					got := samples(dst, f)
					for i := range img {
						if got[i] != img[i] {
							t.Fatalf("P=%d comps=%d predictor %d restart %d: sample %d is %d, want %d", p, comps, pred, restart, i, got[i], img[i])
						}
					}
				}
			}
		}
	}
}

// --- RLE

// packBits encodes b as PackBits runs.
func packBits(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		j := i + 1
		for j < len(b) && j-i < 128 && b[j] == b[i] {
			j++
		}
		if j-i >= 2 {
			out = append(out, byte(int8(1-(j-i))), b[i])
			i = j
			continue
		}
		j = i + 1
		for j < len(b) && j-i < 128 && (j+1 >= len(b) || b[j] != b[j+1]) {
			j++
		}
		out = append(out, byte(j-i-1))
		out = append(out, b[i:j]...)
		i = j
	}
	return out
}

// encodeRLE encodes a native little-endian frame as DICOM RLE.
func encodeRLE(raw []byte, f Format) []byte {
	bytesPer := f.BitsAllocated / 8
	n := f.Rows * f.Cols
	var segs [][]byte
	for c := 0; c < f.Samples; c++ {
		for b := bytesPer - 1; b >= 0; b-- {
			s := make([]byte, n)
			for i := range s {
				s[i] = raw[(i*f.Samples+c)*bytesPer+b]
			}
			p := packBits(s)
			if len(p)%2 == 1 {
				p = append(p, 0x80) // padding: a no-op run
			}
			segs = append(segs, p)
		}
	}
	hdr := make([]byte, 64)
	binary.LittleEndian.PutUint32(hdr, uint32(len(segs)))
	off := 64
	out := hdr
	for i, s := range segs {
		binary.LittleEndian.PutUint32(hdr[4+4*i:], uint32(off))
		off += len(s)
	}
	for _, s := range segs {
		out = append(out, s...)
	}
	return out
}

func TestRLERoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, bits := range []int{8, 16, 32} {
		for _, comps := range []int{1, 3} {
			f := Format{Rows: 9, Cols: 301, Samples: comps, BitsAllocated: bits}
			raw := make([]byte, f.FrameBytes())
			for i := range raw {
				if rng.Intn(3) == 0 {
					raw[i] = byte(rng.Intn(256))
				} else if i > 0 {
					raw[i] = raw[i-1]
				}
			}
			dst := make([]byte, len(raw))
			if err := Decode(RLELossless, encodeRLE(raw, f), f, dst); err != nil {
				t.Fatalf("%d bits %d samples: %v", bits, comps, err)
			}
			if !bytes.Equal(dst, raw) {
				t.Errorf("%d bits %d samples: round trip differs", bits, comps)
			}
		}
	}
	// A segment count that does not match the samples is refused.
	f := Format{Rows: 4, Cols: 4, Samples: 1, BitsAllocated: 16}
	src := encodeRLE(make([]byte, 32), Format{Rows: 4, Cols: 4, Samples: 1, BitsAllocated: 8})
	if err := Decode(RLELossless, src, f, make([]byte, 32)); !errors.Is(err, ErrMismatch) {
		t.Errorf("8-bit RLE as 16-bit: %v", err)
	}
}

func TestDeflateFrame(t *testing.T) {
	raw := bytes.Repeat([]byte{1, 2, 3, 4}, 100)
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	w.Write(raw)
	w.Close()
	f := Format{Rows: 10, Cols: 40, Samples: 1, BitsAllocated: 8}
	dst := make([]byte, 400)
	if err := Decode(DeflatedFrame, b.Bytes(), f, dst); err != nil || !bytes.Equal(dst, raw) {
		t.Errorf("deflate: %v", err)
	}
	small := Format{Rows: 10, Cols: 20, Samples: 1, BitsAllocated: 8}
	if err := Decode(DeflatedFrame, b.Bytes(), small, make([]byte, 200)); !errors.Is(err, ErrMismatch) {
		t.Errorf("inflates past the frame: %v", err)
	}
	big := Format{Rows: 20, Cols: 40, Samples: 1, BitsAllocated: 8}
	if err := Decode(DeflatedFrame, b.Bytes(), big, make([]byte, 800)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("inflates short of the frame: %v", err)
	}
}

// --- fragments

func item(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

func TestFrames(t *testing.T) {
	a, b, c, d := item(10, 1), item(6, 2), item(8, 3), item(4, 4)
	frags := [][]byte{a, b, c, d}
	// Offsets of the items: 0, 18, 32, 48.
	bot := func(offs ...uint32) []byte {
		out := make([]byte, 4*len(offs))
		for i, o := range offs {
			binary.LittleEndian.PutUint32(out[4*i:], o)
		}
		return out
	}
	eot := func(offs ...uint64) []byte {
		out := make([]byte, 8*len(offs))
		for i, o := range offs {
			binary.LittleEndian.PutUint64(out[8*i:], o)
		}
		return out
	}
	cat := func(x ...[]byte) []byte { return bytes.Join(x, nil) }
	for _, tc := range []struct {
		name     string
		bot      []byte
		n        int
		ext      []byte
		want     [][]byte
		wantFail bool
	}{
		{"one frame, all fragments", nil, 1, nil, [][]byte{cat(a, b, c, d)}, false},
		{"a fragment a frame", nil, 4, nil, frags, false},
		{"BOT, frames of 2", bot(0, 32), 2, nil, [][]byte{cat(a, b), cat(c, d)}, false},
		{"BOT, 1+3", bot(0, 18), 2, nil, [][]byte{a, cat(b, c, d)}, false},
		{"EOT over BOT", bot(0, 32), 2, eot(0, 18), [][]byte{a, cat(b, c, d)}, false},
		{"BOT inside a fragment", bot(0, 20), 2, nil, nil, true},
		{"BOT not increasing", bot(0, 32, 18), 3, nil, nil, true},
		{"BOT not from 0", bot(18, 32), 2, nil, nil, true},
		{"BOT of another count", bot(0, 18, 32), 2, nil, nil, true},
		{"more frames than fragments", nil, 5, nil, nil, true},
		{"no markers to split on", nil, 2, nil, nil, true},
		{"EOT of another count", nil, 2, eot(0), nil, true},
	} {
		got, err := Frames(tc.bot, frags, tc.n, tc.ext, nil)
		if tc.wantFail {
			if !errors.Is(err, ErrFrames) {
				t.Errorf("%s: %v, want ErrFrames", tc.name, err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%s: %d frames, %v", tc.name, len(got), err)
			continue
		}
		for i := range got {
			if !bytes.Equal(got[i], tc.want[i]) {
				t.Errorf("%s: frame %d differs", tc.name, i)
			}
		}
	}
	// Without an offset table, JPEG start markers split fragments into frames.
	j1, j2 := []byte{0xFF, 0xD8, 0xFF, 0xC3, 1}, []byte{0xFF, 0xD8, 0xFF, 0xC3, 2}
	got, err := Frames(nil, [][]byte{j1, item(3, 7), j2, item(2, 8)}, 2, nil, nil)
	if err != nil || !bytes.Equal(got[0], cat(j1, item(3, 7))) || !bytes.Equal(got[1], cat(j2, item(2, 8))) {
		t.Errorf("marker split: %v", err)
	}
}

// --- fuzzing: no panic, and no allocation beyond a bound proportional to the frame

// fuzzFormat derives a small frame format from fuzz parameters.
func fuzzFormat(rows, cols, kind uint8) Format {
	f := Format{Rows: int(rows-1)%64 + 1, Cols: int(cols-1)%64 + 1, Samples: 1, BitsAllocated: 16, BitsStored: 16}
	switch kind % 4 {
	case 1:
		f.BitsAllocated, f.BitsStored = 8, 8
	case 2:
		f.BitsStored, f.Signed = 12, true
	case 3:
		f.Samples = 3
	}
	return f
}

// checkAlloc runs fn and fails when Go allocated more than limit bytes meanwhile.
func checkAlloc(t *testing.T, limit uint64, fn func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > limit {
		t.Fatalf("allocated %d bytes, bound %d", d, limit)
	}
}

func fuzzDecoder(f *testing.F, ts string, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s, uint8(24), uint8(32), uint8(0))
		f.Add(s, uint8(24), uint8(32), uint8(1))
		if len(s) > 20 {
			f.Add(s[:len(s)/2], uint8(24), uint8(32), uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, rows, cols, kind uint8) {
		fm := fuzzFormat(rows, cols, kind)
		dst := make([]byte, fm.FrameBytes())
		// Go-side allocations stay within a few frames (the JPEG decoders' row buffers, the
		// RLE segment) plus fixed tables; the C libraries are only reached once the codestream
		// header has been matched to this small frame.
		checkAlloc(t, uint64(16*len(dst))+1<<20, func() {
			err := Decode(ts, src, fm, dst)
			if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error without a sentinel: %v", err)
			}
		})
	})
}

func seeds(t testing.TB, ext string) [][]byte {
	var out [][]byte
	for _, v := range []string{"s16", "u12", "u8"} {
		if seedExists(v + ext) {
			out = append(out, readSeed(t, v+ext))
		}
	}
	return out
}

func FuzzRLE(f *testing.F) { fuzzDecoder(f, RLELossless, seeds(f, ".rle")...) }

func FuzzJPEGLossless(f *testing.F) {
	fuzzDecoder(f, JPEGLossless, append(seeds(f, ".ljpeg"), seeds(f, ".sv7.ljpeg")...)...)
}

func FuzzJPEG2000(f *testing.F) {
	fuzzDecoder(f, JPEG2000, append(seeds(f, ".j2k"), seeds(f, ".lossy.j2k")...)...)
}

func FuzzJPEGLS(f *testing.F) {
	fuzzDecoder(f, JPEGLSNear, append(seeds(f, ".jls"), seeds(f, ".near.jls")...)...)
}

func FuzzDeflate(f *testing.F) {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	w.Write(readSeed(f, "u8.raw"))
	w.Close()
	fuzzDecoder(f, DeflatedFrame, b.Bytes())
}

// FuzzInflate: a deflated dataset of any bytes inflates or fails, within the limit.
func FuzzInflate(f *testing.F) {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	w.Write(bytes.Repeat(readSeed(f, "s16.raw"), 30))
	w.Close()
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, src []byte) {
		const limit = 1 << 16
		out, err := Inflate(src, 0, limit)
		if err == nil && len(out) > limit {
			t.Fatalf("%d bytes past the limit", len(out))
		}
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
			t.Fatalf("error without a sentinel: %v", err)
		}
		_ = InflatePrefix(src, 1024)
	})
}

func FuzzJPEGDCT(f *testing.F) {
	// 8- and 12-bit sequential DCT (decodeJPEG12) and, through the lossless seeds' SOF3, the
	// standard library's refusal.
	fuzzDecoder(f, JPEGExtended, append(seeds(f, ".dct.jpg"), seeds(f, ".ljpeg")...)...)
}

func FuzzFrames(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 18, 0, 0, 0}, []byte{10, 6, 8, 4}, uint8(2), []byte{})
	f.Add([]byte{}, []byte{0xFF, 0xD8, 3, 0xFF, 0xD8}, uint8(2), []byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, bot, sizes []byte, n uint8, ext []byte) {
		var frags [][]byte
		for i, s := range sizes {
			fr := bytes.Repeat([]byte{byte(i)}, int(s))
			if s > 2 && s%3 == 0 {
				fr[0], fr[1] = 0xFF, 0xD8
			}
			frags = append(frags, fr)
		}
		frames, err := Frames(bot, frags, int(n), ext, nil)
		if err != nil {
			if !errors.Is(err, ErrFrames) {
				t.Fatalf("error without ErrFrames: %v", err)
			}
			return
		}
		total, want := 0, 0
		for _, fr := range frames {
			total += len(fr)
		}
		for _, fr := range frags {
			want += len(fr)
		}
		if len(frames) != int(n) || total != want {
			t.Fatalf("%d frames of %d bytes from %d fragments of %d", len(frames), total, len(frags), want)
		}
	})
}
