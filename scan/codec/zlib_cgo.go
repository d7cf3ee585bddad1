//go:build cgo

package codec

/*
#cgo pkg-config: zlib
#include <zlib.h>
#include <string.h>

// lv_inflate inflates the raw deflate stream src into dst (cap bytes). It returns 0 when the
// stream ended within dst (*outlen bytes), 1 when dst filled up first, -1 on corrupt data. The
// z_stream lives on the C stack and is ended before returning: nothing outlives the call.
static int lv_inflate(const unsigned char *src, size_t n, unsigned char *dst, size_t cap, size_t *outlen) {
	z_stream s;
	memset(&s, 0, sizeof s);
	if (inflateInit2(&s, -15) != Z_OK) return -1;
	int rc = 0;
	size_t out = 0;
	s.next_in = (unsigned char *)src;
	for (;;) {
		uInt inChunk = n > 0x40000000 ? 0x40000000 : (uInt)n;
		uInt outChunk = (cap - out) > 0x40000000 ? 0x40000000 : (uInt)(cap - out);
		s.avail_in = inChunk;
		s.next_out = dst + out;
		s.avail_out = outChunk;
		int z = inflate(&s, Z_NO_FLUSH);
		n -= inChunk - s.avail_in;
		out += outChunk - s.avail_out;
		if (z == Z_STREAM_END) { rc = 0; break; }
		if (z != Z_OK && z != Z_BUF_ERROR) { rc = -1; break; }
		if (out == cap) {
			// Full: the stream may still end exactly here (no more output pending).
			unsigned char probe;
			s.next_out = &probe;
			s.avail_out = 1;
			s.avail_in = n > 0x40000000 ? 0x40000000 : (uInt)n;
			z = inflate(&s, Z_NO_FLUSH);
			rc = (z == Z_STREAM_END && s.avail_out == 1) ? 0 : (z == Z_OK || z == Z_BUF_ERROR || z == Z_STREAM_END) ? 1 : -1;
			break;
		}
		if (z == Z_BUF_ERROR && n == 0) { rc = -1; break; } // the input ended first
	}
	inflateEnd(&s);
	*outlen = out;
	return rc;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// inflateInto inflates raw deflate src into dst with zlib. full is true when dst filled up before
// the stream ended (more output follows); n is the bytes written.
func inflateInto(src, dst []byte) (n int, full bool, err error) {
	if len(dst) == 0 {
		return 0, len(src) > 0, nil
	}
	var sp *C.uchar
	if len(src) > 0 {
		sp = (*C.uchar)(unsafe.Pointer(&src[0]))
	}
	var out C.size_t
	rc := C.lv_inflate(sp, C.size_t(len(src)), (*C.uchar)(unsafe.Pointer(&dst[0])), C.size_t(len(dst)), &out)
	switch rc {
	case 0:
		return int(out), false, nil
	case 1:
		return int(out), true, nil
	}
	return int(out), false, fmt.Errorf("%w: corrupt deflate stream", ErrCorrupt)
}
