package scan

import (
	"fmt"
	"image"
)

// Prob is the model's liver probability, scaled to 0..255, one byte a voxel. It is kept by
// canonical axial slice, each slice as the smallest rectangle that holds its nonzero bytes (0
// outside it): away from the liver the sigmoid rounds to 0, so that the map of IRCAD case 7 keeps
// 8.8 % of its voxels (3.5 MB instead of 40). The review GUI holds a volume, two masks and this
// map; a dense map was a tenth of its memory.
//
// Every consumer (the renderer, the threshold, the writers) walks canonical slices, so a slice
// is the unit. Distinct slices may be set from different goroutines at once.
type Prob struct {
	Dims   [3]int    // the volume's columns, rows, slices
	Canon  Canonical // the turn from the volume to the slices the map is kept in
	slices []ProbSlice
}

// ProbSlice is one canonical slice of a Prob: the bytes of Rect (canonical columns and rows), row
// by row. An empty Rect is a slice of zeros.
type ProbSlice struct {
	Rect image.Rectangle
	Pix  []uint8
}

// NewProb is an all-zero map of a volume of dims, kept in canonical slices of can.
func NewProb(dims [3]int, can Canonical) *Prob {
	return &Prob{Dims: dims, Canon: can, slices: make([]ProbSlice, can.Dims[2])}
}

// ProbFromVoxels is the map of voxels, a dense volume-ordered probability (Dims voxels).
func ProbFromVoxels(dims [3]int, can Canonical, voxels []uint8) (*Prob, error) {
	if n := dims[0] * dims[1] * dims[2]; len(voxels) != n {
		return nil, fmt.Errorf("%w: probability map of %d voxels for a volume of %s", ErrGeometry, len(voxels), DimsString(dims))
	}
	p := NewProb(dims, can)
	offs := make([]int, can.Dims[0]*can.Dims[1])
	plane := make([]uint8, len(offs))
	for k := range p.slices {
		can.SliceOffsets(k, offs)
		for i, o := range offs {
			plane[i] = voxels[o]
		}
		p.SetSlice(k, plane)
	}
	return p, nil
}

// SetSlice stores canonical slice k from plane (canonical columns x rows bytes, row by row),
// keeping a copy of its nonzero rectangle only.
func (p *Prob) SetSlice(k int, plane []uint8) {
	c := cropSlice(plane, p.Canon.Dims[0], p.Canon.Dims[1])
	p.slices[k] = ProbSlice(c)
}

// Slice is canonical slice k (shared, not copied).
func (p *Prob) Slice(k int) ProbSlice { return p.slices[k] }

// Row writes the bytes of canonical row j of slice k, from column x0 on, into dst.
func (p *Prob) Row(k, j, x0 int, dst []uint8) { p.line(k, x0, j, false, dst) }

// PlaneRow writes the bytes of row y of slice s of plane pl (scan.Plane's columns, rows and
// slices of the axial view the map is kept in, p.Canon), from column x0 on, into dst: what a
// renderer of a coronal or sagittal slice blends. A coronal row is a row of an axial slice (a
// copy, as Row); a sagittal row is a column of one (read a byte at a time). s and y must lie in
// the plane; columns outside it read as 0.
func (p *Prob) PlaneRow(pl Plane, s, y, x0 int, dst []uint8) {
	i, j, k := p.Canon.FromPlane(pl, x0, y, s)
	switch pl {
	case Axial, Coronal: // the plane's columns run along the axial columns
		p.Row(k, j, i, dst)
	case Sagittal: // the plane's columns run along the axial rows, at axial column i
		p.line(k, i, j, true, dst)
	default:
		panic(fmt.Sprintf("scan: %v", pl))
	}
}

// line writes into dst the bytes of slice k from canonical column x, row y on: along the row
// (one column a byte), or down the column (one row a byte) when down. Bytes outside the kept
// rectangle, or outside the slice, are 0.
func (p *Prob) line(k, x, y int, down bool, dst []uint8) {
	clear(dst)
	sl := p.slices[k]
	r := sl.Rect
	// from runs along the line, at stays fixed.
	from, at, runMin, runMax, atMin, atMax, step := x, y, r.Min.X, r.Max.X, r.Min.Y, r.Max.Y, 1
	if down {
		from, at, runMin, runMax, atMin, atMax, step = y, x, r.Min.Y, r.Max.Y, r.Min.X, r.Max.X, r.Dx()
	}
	lo, hi := max(from, runMin), min(from+len(dst), runMax)
	if at < atMin || at >= atMax || lo >= hi {
		return
	}
	col, row := lo, at
	if down {
		col, row = at, lo
	}
	src := sl.Pix[(row-r.Min.Y)*r.Dx()+col-r.Min.X:]
	out := dst[lo-from : hi-from]
	if step == 1 {
		copy(out, src)
		return
	}
	for n := range out {
		out[n] = src[n*step]
	}
}

// Each calls f with the volume offset and byte of every voxel kept (the nonzero rectangles);
// every other voxel is 0.
func (p *Prob) Each(f func(offset int, b uint8)) {
	for k, s := range p.slices {
		for j := s.Rect.Min.Y; j < s.Rect.Max.Y; j++ {
			row := s.Pix[(j-s.Rect.Min.Y)*s.Rect.Dx():][:s.Rect.Dx()]
			for i, b := range row {
				f(p.Canon.Offset(s.Rect.Min.X+i, j, k), b)
			}
		}
	}
}

// Voxels is the map as a dense volume-ordered array (a new one, a byte a voxel).
func (p *Prob) Voxels() []uint8 {
	out := make([]uint8, p.Dims[0]*p.Dims[1]*p.Dims[2])
	p.Each(func(o int, b uint8) { out[o] = b })
	return out
}

// Bytes is the memory the map's slices hold.
func (p *Prob) Bytes() int {
	n := 0
	for _, s := range p.slices {
		n += len(s.Pix)
	}
	return n
}

// VolumeSlice writes slice k of the volume as stored (not canonical: cols x rows bytes of the
// volume's own slice k, row by row) into dst and returns it; dst is allocated when short. A
// writer that streams the map in the volume's order reads it slice by slice with this, instead
// of a dense copy of the whole map.
func (p *Prob) VolumeSlice(k int, dst []uint8) []uint8 {
	cols, rows := p.Dims[0], p.Dims[1]
	if len(dst) < cols*rows {
		dst = make([]uint8, cols*rows)
	}
	dst = dst[:cols*rows]
	for j := range rows {
		row := dst[j*cols : (j+1)*cols]
		for i := range row {
			ci, cj, ck := p.Canon.FromVolume([3]int{i, j, k})
			row[i] = p.slices[ck].at(ci, cj)
		}
	}
	return dst
}

func (s *ProbSlice) at(i, j int) uint8 { return (*MaskSlice)(s).at(i, j) }
