//go:build cgo

package codec

/*
#cgo pkg-config: charls
#include <charls/charls.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

// lv_jls_decode decodes a JPEG-LS stream into dst (dstlen bytes: width x height x comps samples of
// bytes (1 or 2) bytes each). The header is read and checked first; CharLS allocates only what a
// header of those dimensions needs. Returns 0, or -1 with a message in err (256 bytes).
static int lv_jls_decode(const void *src, size_t n, int width, int height, int comps, int bits, int bytes,
                         void *dst, size_t dstlen, char *err) {
	int rc = -1;
	void *tmp = NULL;
	charls_jpegls_decoder *d = charls_jpegls_decoder_create();
	if (!d) { strcpy(err, "out of memory"); return -1; }
	charls_jpegls_errc ec = charls_jpegls_decoder_set_source_buffer(d, src, n);
	if (!ec) ec = charls_jpegls_decoder_read_header(d);
	charls_frame_info fi;
	if (!ec) ec = charls_jpegls_decoder_get_frame_info(d, &fi);
	if (ec) { strncpy(err, charls_get_error_message(ec), 255); err[255] = 0; goto done; }
	if ((int)fi.width != width || (int)fi.height != height || fi.component_count != comps) {
		snprintf(err, 256, "JPEG-LS image is %ux%u with %d components", fi.width, fi.height, fi.component_count);
		rc = -2;
		goto done;
	}
	if (fi.bits_per_sample > bits) {
		snprintf(err, 256, "JPEG-LS precision %d for %d-bit samples", fi.bits_per_sample, bits);
		rc = -2;
		goto done;
	}
	if (comps > 1) {
		charls_interleave_mode mode;
		ec = charls_jpegls_decoder_get_interleave_mode(d, &mode);
		if (ec || mode == CHARLS_INTERLEAVE_MODE_NONE) { strcpy(err, "planar JPEG-LS colour"); rc = -3; goto done; }
	}
	int outBytes = fi.bits_per_sample <= 8 ? 1 : 2;
	size_t need = (size_t)width * height * comps * outBytes;
	if (outBytes == bytes) {
		ec = charls_jpegls_decoder_decode_to_buffer(d, dst, dstlen, 0);
	} else {
		// 8-bit samples in 16-bit words: decode to bytes, then widen.
		tmp = malloc(need);
		if (!tmp) { strcpy(err, "out of memory"); goto done; }
		ec = charls_jpegls_decoder_decode_to_buffer(d, tmp, need, 0);
		if (!ec) {
			unsigned char *o = dst;
			const unsigned char *s = tmp;
			for (size_t i = 0; i < need; i++) { o[2*i] = s[i]; o[2*i+1] = 0; }
		}
	}
	if (ec) { strncpy(err, charls_get_error_message(ec), 255); err[255] = 0; goto done; }
	rc = 0;
done:
	free(tmp);
	charls_jpegls_decoder_destroy(d);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

const haveJPEGLS = true

// decodeJPEGLS decodes a JPEG-LS frame (lossless or near-lossless) with CharLS.
func decodeJPEGLS(src []byte, f Format, dst []byte) error {
	if len(src) < 4 || src[0] != 0xFF || src[1] != mSOI {
		return fmt.Errorf("%w: JPEG-LS stream does not start with SOI", ErrCorrupt)
	}
	// CharLS 2.4.1 can loop forever on a stream cut short at some bytes (fixed upstream in
	// later releases); an EOI marker after the data makes its reader stop there instead.
	padded := make([]byte, len(src)+2)
	copy(padded, src)
	padded[len(src)], padded[len(src)+1] = 0xFF, mEOI
	var msg [256]C.char
	rc := C.lv_jls_decode(unsafe.Pointer(&padded[0]), C.size_t(len(padded)), C.int(f.Cols), C.int(f.Rows), C.int(f.Samples),
		C.int(f.BitsAllocated), C.int(f.BitsAllocated/8), unsafe.Pointer(&dst[0]), C.size_t(len(dst)), &msg[0])
	switch rc {
	case 0:
		return nil
	case -2:
		return fmt.Errorf("%w: %s", ErrMismatch, C.GoString(&msg[0]))
	case -3:
		return fmt.Errorf("%w: %s", ErrUnsupported, C.GoString(&msg[0]))
	}
	return fmt.Errorf("%w: CharLS: %s", ErrCorrupt, C.GoString(&msg[0]))
}
