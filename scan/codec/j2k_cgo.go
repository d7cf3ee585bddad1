//go:build cgo

package codec

/*
#cgo pkg-config: libopenjp2
#include <openjpeg.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const unsigned char *data; size_t size, pos; } lv_memsrc;

static OPJ_SIZE_T lv_read(void *buf, OPJ_SIZE_T n, void *ud) {
	lv_memsrc *m = ud;
	if (m->pos >= m->size) return (OPJ_SIZE_T)-1;
	size_t k = m->size - m->pos;
	if (k > n) k = n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return k;
}
static OPJ_OFF_T lv_skip(OPJ_OFF_T n, void *ud) {
	lv_memsrc *m = ud;
	if (n < 0) {
		if ((size_t)(-n) > m->pos) n = -(OPJ_OFF_T)m->pos;
	} else if ((size_t)n > m->size - m->pos) {
		n = (OPJ_OFF_T)(m->size - m->pos);
	}
	m->pos += n;
	return n;
}
static OPJ_BOOL lv_seek(OPJ_OFF_T n, void *ud) {
	lv_memsrc *m = ud;
	if (n < 0 || (size_t)n > m->size) return OPJ_FALSE;
	m->pos = (size_t)n;
	return OPJ_TRUE;
}
static void lv_error(const char *msg, void *ud) {
	char *e = ud;
	if (e[0] == 0) { strncpy(e, msg, 255); e[255] = 0; }
}
static void lv_quiet(const char *msg, void *ud) { (void)msg; (void)ud; }

// lv_j2k_decode decodes src (a J2K codestream, or a JP2 file when jp2) into dst: width x height
// pixels of comps interleaved samples of bytes (1 or 2) bytes each, little endian. It returns 0, or
// -1 with a message in err (256 bytes). Nothing it allocates outlives the call.
static int lv_j2k_decode(const unsigned char *src, size_t n, int jp2, int width, int height, int comps,
                         unsigned char *dst, int bytes, char *err) {
	int rc = -1;
	lv_memsrc m = { src, n, 0 };
	opj_image_t *img = NULL;
	opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	opj_stream_t *s = opj_stream_create(n < (1 << 20) ? (n + 1) : (1 << 20), OPJ_TRUE);
	if (!codec || !s) { strcpy(err, "out of memory"); goto done; }
	opj_set_error_handler(codec, lv_error, err);
	opj_set_warning_handler(codec, lv_quiet, NULL);
	opj_set_info_handler(codec, lv_quiet, NULL);
	opj_dparameters_t p;
	opj_set_default_decoder_parameters(&p);
	if (!opj_setup_decoder(codec, &p)) { if (!err[0]) strcpy(err, "setup failed"); goto done; }
	opj_stream_set_user_data(s, &m, NULL);
	opj_stream_set_user_data_length(s, n);
	opj_stream_set_read_function(s, lv_read);
	opj_stream_set_skip_function(s, lv_skip);
	opj_stream_set_seek_function(s, lv_seek);
	if (!opj_read_header(s, codec, &img)) { if (!err[0]) strcpy(err, "cannot read the header"); goto done; }
	if ((int)(img->x1 - img->x0) != width || (int)(img->y1 - img->y0) != height || (int)img->numcomps != comps) {
		strcpy(err, "image size differs from the SIZ marker");
		goto done;
	}
	if (!opj_decode(codec, s, img) || !opj_end_decompress(codec, s)) { if (!err[0]) strcpy(err, "decode failed"); goto done; }
	for (int c = 0; c < comps; c++) {
		opj_image_comp_t *cp = &img->comps[c];
		if (!cp->data || (int)cp->w != width || (int)cp->h != height) { strcpy(err, "decoded component has another size"); goto done; }
	}
	size_t npix = (size_t)width * (size_t)height;
	if (comps == 1 && bytes == 2) {
		const OPJ_INT32 *d = img->comps[0].data;
		for (size_t i = 0; i < npix; i++) {
			OPJ_UINT32 v = (OPJ_UINT32)d[i];
			dst[2*i] = (unsigned char)v;
			dst[2*i+1] = (unsigned char)(v >> 8);
		}
	} else {
		for (int c = 0; c < comps; c++) {
			const OPJ_INT32 *d = img->comps[c].data;
			for (size_t i = 0; i < npix; i++) {
				OPJ_UINT32 v = (OPJ_UINT32)d[i];
				unsigned char *o = dst + (i * comps + c) * bytes;
				o[0] = (unsigned char)v;
				if (bytes == 2) o[1] = (unsigned char)(v >> 8);
			}
		}
	}
	rc = 0;
done:
	if (img) opj_image_destroy(img);
	if (s) opj_stream_destroy(s);
	if (codec) opj_destroy_codec(codec);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

const haveJPEG2000 = true

// decodeJPEG2000 decodes a JPEG 2000 or HTJ2K frame with OpenJPEG, once its SIZ marker has been
// checked against the frame, so that OpenJPEG allocates no more than the frame's size.
func decodeJPEG2000(src []byte, f Format, dst []byte) error {
	info, err := readJ2KHeader(src)
	if err != nil {
		return err
	}
	if err := checkJ2K(info, f); err != nil {
		return err
	}
	var msg [256]C.char
	jp2 := 0
	if info.jp2 {
		jp2 = 1
	}
	rc := C.lv_j2k_decode((*C.uchar)(unsafe.Pointer(&src[0])), C.size_t(len(src)), C.int(jp2), C.int(f.Cols), C.int(f.Rows),
		C.int(f.Samples), (*C.uchar)(unsafe.Pointer(&dst[0])), C.int(f.BitsAllocated/8), &msg[0])
	if rc != 0 {
		return fmt.Errorf("%w: OpenJPEG: %s", ErrCorrupt, trimMsg(C.GoString(&msg[0])))
	}
	return nil
}
