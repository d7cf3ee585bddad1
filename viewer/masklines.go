package viewer

import "liverseg/scan"

// Masks are kept compactly (scan.Mask: each stored slice cut to the rectangle of its label), so
// the renderer and the editor read them through lines rather than index a dense volume: a row
// of a slice of any plane is a line of constant stride through the volume (one voxel, one row or
// one stored slice apart), which scan.Mask.Line gathers into a reusable buffer.

// offsLine gathers into dst the labels of m at the volume offsets offs[idx:idx+len(dst)]+shift,
// which must be consecutive pixels of one row of a plane's slice (offs: the plane's slice-0 table,
// shift: the slice's, as the Renderer and planeView keep them).
func offsLine(m *scan.Mask, offs []int32, shift int32, idx int, dst []uint8) {
	if len(dst) == 0 {
		return
	}
	start, stride := offs[idx], int32(1)
	if len(dst) > 1 {
		stride = offs[idx+1] - start
	}
	m.Line(int(start+shift), int(stride), dst)
}

// offsPlane gathers slice k of a plane of w-pixel rows (offs, shift as for offsLine) into dst,
// row by row, and returns it; dst is allocated when shorter than a slice.
func offsPlane(m *scan.Mask, offs []int32, shift int32, w int, dst []uint8) []uint8 {
	if len(dst) < len(offs) {
		dst = make([]uint8, len(offs))
	}
	dst = dst[:len(offs)]
	for idx := 0; idx < len(offs); idx += w {
		offsLine(m, offs, shift, idx, dst[idx:idx+w])
	}
	return dst
}
