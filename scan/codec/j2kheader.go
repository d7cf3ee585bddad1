package codec

import (
	"encoding/binary"
	"fmt"
)

// j2kInfo is what the SIZ marker of a JPEG 2000 codestream declares.
type j2kInfo struct {
	jp2           bool // wrapped in a JP2 file (boxes) rather than a raw codestream
	width, height int
	comps         int
	precision     int
	signed        bool
	tiles         int64
}

// maxJ2KTiles bounds the tiles a codestream may declare: OpenJPEG allocates a structure for each
// before it reads any.
const maxJ2KTiles = 4096

// readJ2KHeader finds and checks the SIZ marker segment, so that OpenJPEG is only given
// codestreams whose image is the frame the DICOM header expects.
func readJ2KHeader(src []byte) (j2kInfo, error) {
	var info j2kInfo
	cs := src
	if len(src) >= 12 && string(src[4:8]) == "jP  " {
		info.jp2 = true
		cs = nil
		for p := 0; p+8 <= len(src); {
			l := int64(binary.BigEndian.Uint32(src[p:]))
			typ := string(src[p+4 : p+8])
			hdr := int64(8)
			if l == 1 {
				if p+16 > len(src) {
					break
				}
				l, hdr = int64(binary.BigEndian.Uint64(src[p+8:])), 16
			} else if l == 0 {
				l = int64(len(src) - p)
			}
			if l < hdr || int64(p)+l > int64(len(src)) {
				return info, fmt.Errorf("%w: JP2 box %q of %d bytes", ErrCorrupt, typ, l)
			}
			if typ == "jp2c" {
				cs = src[p+int(hdr) : p+int(l)]
				break
			}
			p += int(l)
		}
		if cs == nil {
			return info, fmt.Errorf("%w: JP2 file without a codestream box", ErrCorrupt)
		}
	}
	if len(cs) < 4+38 || cs[0] != 0xFF || cs[1] != 0x4F || cs[2] != 0xFF || cs[3] != 0x51 {
		return info, fmt.Errorf("%w: not a JPEG 2000 codestream (no SOC and SIZ markers)", ErrCorrupt)
	}
	siz := cs[4:]
	lsiz := int(binary.BigEndian.Uint16(siz[0:]))
	u32 := func(o int) int64 { return int64(binary.BigEndian.Uint32(siz[o:])) }
	xsiz, ysiz, xo, yo := u32(4), u32(8), u32(12), u32(16)
	xt, yt, xto, yto := u32(20), u32(24), u32(28), u32(32)
	csiz := int(binary.BigEndian.Uint16(siz[36:]))
	if lsiz != 38+3*csiz || len(siz) < lsiz {
		return info, fmt.Errorf("%w: SIZ marker of %d bytes for %d components", ErrCorrupt, lsiz, csiz)
	}
	if xo >= xsiz || yo >= ysiz || xt == 0 || yt == 0 || xto > xo || yto > yo || xto+xt <= xo || yto+yt <= yo {
		return info, fmt.Errorf("%w: JPEG 2000 image and tile grid are inconsistent", ErrCorrupt)
	}
	info.width, info.height, info.comps = int(xsiz-xo), int(ysiz-yo), csiz
	info.tiles = ((xsiz - xto + xt - 1) / xt) * ((ysiz - yto + yt - 1) / yt)
	for c := 0; c < csiz; c++ {
		s := siz[38+3*c]
		prec, sgn := int(s&0x7F)+1, s&0x80 != 0
		if siz[39+3*c] != 1 || siz[40+3*c] != 1 {
			return info, fmt.Errorf("%w: JPEG 2000 component %d is subsampled", ErrUnsupported, c)
		}
		if c == 0 {
			info.precision, info.signed = prec, sgn
		} else if prec != info.precision {
			return info, fmt.Errorf("%w: JPEG 2000 components of different precision", ErrUnsupported)
		}
	}
	return info, nil
}

// checkJ2K compares a codestream header with the frame the DICOM header expects.
func checkJ2K(info j2kInfo, f Format) error {
	if info.width != f.Cols || info.height != f.Rows || info.comps != f.Samples {
		return fmt.Errorf("%w: JPEG 2000 image is %dx%d with %d components, the header says %dx%d with %d samples",
			ErrMismatch, info.width, info.height, info.comps, f.Cols, f.Rows, f.Samples)
	}
	if info.precision > 16 || info.precision > f.BitsAllocated {
		return fmt.Errorf("%w: JPEG 2000 precision %d for %d-bit samples", ErrMismatch, info.precision, f.BitsAllocated)
	}
	if info.tiles > maxJ2KTiles {
		return fmt.Errorf("%w: JPEG 2000 codestream declares %d tiles", ErrUnsupported, info.tiles)
	}
	return nil
}
