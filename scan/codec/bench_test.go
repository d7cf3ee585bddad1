package codec

import (
	"os"
	"testing"
)

// BenchmarkDecodeFile decodes one frame given by $CODEC_BENCH_FRAME (a bare codestream) with
// $CODEC_BENCH_TS, as a 512x512 16-bit signed frame; for profiling single decoders.
func BenchmarkDecodeFile(b *testing.B) {
	p, ts := os.Getenv("CODEC_BENCH_FRAME"), os.Getenv("CODEC_BENCH_TS")
	if p == "" {
		b.Skip("CODEC_BENCH_FRAME not set")
	}
	src, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	f := Format{Rows: 512, Cols: 512, Samples: 1, BitsAllocated: 16, BitsStored: 16, Signed: true}
	dst := make([]byte, f.FrameBytes())
	b.SetBytes(int64(len(dst)))
	for i := 0; i < b.N; i++ {
		if err := Decode(ts, src, f, dst); err != nil {
			b.Fatal(err)
		}
	}
}
