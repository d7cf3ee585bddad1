package codec

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// decodeJPEGBaseline decodes a DCT JPEG: grayscale sequential (8- or 12-bit) with decodeJPEG12,
// colour and progressive 8-bit with the standard library.
func decodeJPEGBaseline(src []byte, f Format, dst []byte) error {
	if m, p := sofInfo(src); p == 12 || (f.Samples == 1 && (m == mSOF0 || m == mSOF1)) {
		// Grayscale sequential DCT goes through IJG's islow transform, as GDCM and DCMTK decode
		// it (the standard library's transform rounds differently).
		return decodeJPEG12(src, f, dst)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(src))
	if err != nil {
		if _, p := sofInfo(src); p > 8 {
			return fmt.Errorf("%w: %d-bit DCT JPEG (JPEG Extended)", ErrUnsupported, p)
		}
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cfg.Width != f.Cols || cfg.Height != f.Rows {
		return fmt.Errorf("%w: JPEG is %dx%d, the header says %dx%d", ErrMismatch, cfg.Width, cfg.Height, f.Cols, f.Rows)
	}
	if f.BitsAllocated != 8 {
		return fmt.Errorf("%w: 8-bit JPEG for %d-bit samples", ErrMismatch, f.BitsAllocated)
	}
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	switch m := img.(type) {
	case *image.Gray:
		if f.Samples != 1 {
			return fmt.Errorf("%w: grayscale JPEG for %d samples", ErrMismatch, f.Samples)
		}
		for y := 0; y < f.Rows; y++ {
			copy(dst[y*f.Cols:(y+1)*f.Cols], m.Pix[y*m.Stride:])
		}
	default:
		if f.Samples != 3 {
			return fmt.Errorf("%w: colour JPEG for %d samples", ErrMismatch, f.Samples)
		}
		// The standard library converts YCbCr to RGB; DICOM then calls the result RGB.
		i := 0
		for y := 0; y < f.Rows; y++ {
			for x := 0; x < f.Cols; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				dst[i], dst[i+1], dst[i+2] = byte(r>>8), byte(g>>8), byte(b>>8)
				i += 3
			}
		}
	}
	return nil
}

// sofInfo returns the first SOF marker of a JPEG stream and its sample precision, or zeros.
func sofInfo(b []byte) (marker byte, precision int) {
	for p := 2; p+4 < len(b); {
		if b[p] != 0xFF {
			return 0, 0
		}
		m := b[p+1]
		if m >= 0xC0 && m <= 0xCF && m != mDHT && m != 0xC8 && m != 0xCC {
			return m, int(b[p+4])
		}
		p += 2 + (int(b[p+2])<<8 | int(b[p+3]))
	}
	return 0, 0
}
