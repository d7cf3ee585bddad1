package scan

import (
	"bytes"
	"fmt"
	"image"
	"io"
)

// Mask is a label aligned voxel for voxel with a Volume: 0 background, 1 liver.
//
// It is kept by stored slice (the volume's k), each slice as a rectangle of its columns and rows
// that holds every nonzero byte (0 outside it): a liver fills a few percent of a CT, so a
// 1000-slice mask costs what its liver does (about 25 MB for IRCAD case 7 resampled to 1000
// slices) instead of a byte a voxel (262 MB), and a review that holds truth, prediction and an
// edited label fits beside the HU volume. Offsets are volume offsets, k*cols*rows + j*cols + i,
// as for Volume.Voxels.
//
// Distinct slices may be read and written from different goroutines at once; one slice may not
// be written while it is read.
type Mask struct {
	Dims [3]int
	// Warnings are what a reader noticed and worked around (a stray file left out of a mask
	// folder, slices the folder's series left out), each naming its file: a command prints them.
	Warnings []string
	slices   []MaskSlice
}

// MaskSlice is one stored slice of a Mask: the bytes of Rect (columns i, rows j), row by row.
// An empty Rect is a slice of zeros.
type MaskSlice struct {
	Rect image.Rectangle
	Pix  []uint8
}

// Liver is the label value of the liver in a Mask.
const Liver uint8 = 1

// growMargin is how far past a write outside its rectangle a slice grows, so that a brush
// stroke painting its way out of the liver reallocates a slice a few times, not at every dab.
const growMargin = 16

// NewMask returns an empty mask of the given dimensions (a negative one counts as 0).
func NewMask(dims [3]int) *Mask {
	return &Mask{Dims: dims, slices: make([]MaskSlice, max(0, dims[2]))}
}

// MaskFromVoxels is the mask of voxels, a dense volume-ordered label of dims.
func MaskFromVoxels(dims [3]int, voxels []uint8) (*Mask, error) {
	n := int64(dims[0]) * int64(dims[1]) * int64(dims[2])
	if dims[0] < 0 || dims[1] < 0 || dims[2] < 0 || int64(len(voxels)) != n {
		return nil, fmt.Errorf("%w: mask of %d voxels for %s", ErrGeometry, len(voxels), DimsString(dims))
	}
	m := NewMask(dims)
	sl := m.SliceLen()
	for k := range m.slices {
		m.SetSlice(k, voxels[k*sl:(k+1)*sl])
	}
	return m, nil
}

// Len is the number of voxels.
func (m *Mask) Len() int { return max(0, m.Dims[0]) * max(0, m.Dims[1]) * len(m.slices) }

// SliceLen is the number of voxels in one slice.
func (m *Mask) SliceLen() int { return max(0, m.Dims[0]) * max(0, m.Dims[1]) }

// Valid says whether m is a mask of its Dims (a Mask{} literal with Dims set is not: use NewMask).
func (m *Mask) Valid() bool {
	return m != nil && m.Dims[0] >= 0 && m.Dims[1] >= 0 && m.Dims[2] >= 0 && len(m.slices) == m.Dims[2]
}

// split turns a volume offset into its column, row and slice.
func (m *Mask) split(o int) (i, j, k int) {
	sl := m.SliceLen()
	k = o / sl
	o -= k * sl
	j = o / m.Dims[0]
	return o - j*m.Dims[0], j, k
}

// At is the label at volume offset o.
func (m *Mask) At(o int) uint8 {
	i, j, k := m.split(o)
	return m.slices[k].at(i, j)
}

// AtIJK is the label of voxel (i, j, k).
func (m *Mask) AtIJK(i, j, k int) uint8 { return m.slices[k].at(i, j) }

func (s *MaskSlice) at(i, j int) uint8 {
	r := s.Rect
	if i < r.Min.X || i >= r.Max.X || j < r.Min.Y || j >= r.Max.Y {
		return 0
	}
	return s.Pix[(j-r.Min.Y)*r.Dx()+i-r.Min.X]
}

// Set writes v at volume offset o.
func (m *Mask) Set(o int, v uint8) {
	i, j, k := m.split(o)
	m.SetIJK(i, j, k, v)
}

// SetIJK writes v at voxel (i, j, k).
func (m *Mask) SetIJK(i, j, k int, v uint8) {
	s := &m.slices[k]
	if !(image.Point{i, j}).In(s.Rect) {
		if v == 0 {
			return
		}
		m.Grow(k, image.Rect(i, j, i+1, j+1))
	}
	r := s.Rect
	s.Pix[(j-r.Min.Y)*r.Dx()+i-r.Min.X] = v
}

// Grow makes slice k keep every voxel of r (clipped to the slice), so that writes there land
// without another reallocation. It grows past r by a margin on the sides it grows.
func (m *Mask) Grow(k int, r image.Rectangle) {
	s := &m.slices[k]
	all := image.Rect(0, 0, m.Dims[0], m.Dims[1])
	r = r.Intersect(all)
	if r.Empty() || r.In(s.Rect) {
		return
	}
	n := r
	if !s.Rect.Empty() {
		n = r.Union(s.Rect)
		if n.Min.X < s.Rect.Min.X {
			n.Min.X -= growMargin
		}
		if n.Min.Y < s.Rect.Min.Y {
			n.Min.Y -= growMargin
		}
		if n.Max.X > s.Rect.Max.X {
			n.Max.X += growMargin
		}
		if n.Max.Y > s.Rect.Max.Y {
			n.Max.Y += growMargin
		}
	} else {
		n = r.Inset(-growMargin)
	}
	n = n.Intersect(all)
	pix := make([]uint8, n.Dx()*n.Dy())
	for j := s.Rect.Min.Y; j < s.Rect.Max.Y; j++ {
		copy(pix[(j-n.Min.Y)*n.Dx()+s.Rect.Min.X-n.Min.X:], s.Pix[(j-s.Rect.Min.Y)*s.Rect.Dx():][:s.Rect.Dx()])
	}
	*s = MaskSlice{Rect: n, Pix: pix}
}

// Slice is stored slice k (shared, not copied: change it through the Mask's methods).
func (m *Mask) Slice(k int) MaskSlice { return m.slices[k] }

// Bounds is the rectangle slice k keeps (every nonzero voxel lies in it; it may hold zeros too).
func (m *Mask) Bounds(k int) image.Rectangle { return m.slices[k].Rect }

// SliceInto writes stored slice k, dense (cols x rows bytes, row by row), into dst and returns
// it; dst is allocated when it is shorter than a slice.
func (m *Mask) SliceInto(k int, dst []uint8) []uint8 {
	n := m.SliceLen()
	if len(dst) < n {
		dst = make([]uint8, n)
	}
	dst = dst[:n]
	clear(dst)
	s := m.slices[k]
	cols := m.Dims[0]
	for j := s.Rect.Min.Y; j < s.Rect.Max.Y; j++ {
		copy(dst[j*cols+s.Rect.Min.X:], s.Pix[(j-s.Rect.Min.Y)*s.Rect.Dx():][:s.Rect.Dx()])
	}
	return dst
}

// SetSlice stores slice k from plane (cols x rows bytes, row by row), keeping a copy of its
// nonzero rectangle only.
func (m *Mask) SetSlice(k int, plane []uint8) {
	m.slices[k] = cropSlice(plane, m.Dims[0], m.Dims[1])
}

// cropSlice is the slice of plane (cols x rows) cut to its nonzero rectangle.
func cropSlice(plane []uint8, cols, rows int) MaskSlice {
	r := nonzeroRect(plane, cols, rows)
	if r.Empty() {
		return MaskSlice{}
	}
	pix := make([]uint8, r.Dx()*r.Dy())
	for j := r.Min.Y; j < r.Max.Y; j++ {
		copy(pix[(j-r.Min.Y)*r.Dx():], plane[j*cols+r.Min.X:j*cols+r.Max.X])
	}
	return MaskSlice{Rect: r, Pix: pix}
}

// LiverBounds is the smallest rectangle that holds every nonzero voxel of slice k (empty: none).
func (m *Mask) LiverBounds(k int) image.Rectangle {
	s := m.slices[k]
	return nonzeroRect(s.Pix, s.Rect.Dx(), s.Rect.Dy()).Add(s.Rect.Min)
}

// nonzeroRect is the smallest rectangle of plane (cols x rows, row by row) that holds every
// nonzero byte (empty: none).
func nonzeroRect(plane []uint8, cols, rows int) image.Rectangle {
	r := image.Rectangle{Min: image.Pt(cols, rows)}
	for j := 0; j < rows; j++ {
		row := plane[j*cols : (j+1)*cols]
		lo := 0
		for lo < cols && row[lo] == 0 {
			lo++
		}
		if lo == cols {
			continue
		}
		hi := cols
		for row[hi-1] == 0 {
			hi--
		}
		r.Min.X, r.Max.X = min(r.Min.X, lo), max(r.Max.X, hi)
		r.Min.Y, r.Max.Y = min(r.Min.Y, j), j+1
	}
	if r.Empty() {
		return image.Rectangle{}
	}
	return r
}

// Row is row j of slice k as the mask keeps it: the bytes of columns x0 .. x0+len(row)-1
// (shared, not copied); every other column of the row is 0. row is nil when the row is all 0.
func (m *Mask) Row(k, j int) (x0 int, row []uint8) {
	s := &m.slices[k]
	if j < s.Rect.Min.Y || j >= s.Rect.Max.Y {
		return 0, nil
	}
	return s.Rect.Min.X, s.Pix[(j-s.Rect.Min.Y)*s.Rect.Dx():][:s.Rect.Dx()]
}

// Line writes into dst the labels at volume offsets start, start+stride, ... (len(dst) of them,
// all inside the volume): a row, a column or a line across slices of the volume, which is what a
// renderer's row of any plane is. Steps of 1, one row and one slice take no division a voxel.
func (m *Mask) Line(start, stride int, dst []uint8) {
	if len(dst) == 0 {
		return
	}
	cols, rows, sl := m.Dims[0], m.Dims[1], m.SliceLen()
	i, j, k := m.split(start)
	last := len(dst) - 1
	switch {
	case stride == 1:
		for n := 0; n < len(dst); {
			run := min(cols-i, len(dst)-n)
			m.readRow(k, j, i, dst[n:n+run])
			n += run
			i = 0
			if j++; j == rows {
				j, k = 0, k+1
			}
		}
	case stride == -1 && i >= last:
		s := &m.slices[k]
		for n := range dst {
			dst[n] = s.at(i-n, j)
		}
	case cols > 1 && (stride == cols || stride == -cols) && j+stride/cols*last >= 0 && j+stride/cols*last < rows:
		s, dj := &m.slices[k], stride/cols
		for n := range dst {
			dst[n] = s.at(i, j+n*dj)
		}
	case sl > 1 && (stride == sl || stride == -sl):
		dk := stride / sl
		for n := range dst {
			dst[n] = m.slices[k+n*dk].at(i, j)
		}
	default:
		for n := range dst {
			dst[n] = m.At(start + n*stride)
		}
	}
}

// readRow writes columns x0 .. x0+len(dst)-1 of row j of slice k into dst.
func (m *Mask) readRow(k, j, x0 int, dst []uint8) {
	clear(dst)
	rx, row := m.Row(k, j)
	lo, hi := max(x0, rx), min(x0+len(dst), rx+len(row))
	if lo < hi {
		copy(dst[lo-x0:hi-x0], row[lo-rx:hi-rx])
	}
}

// Read writes the labels at volume offsets o, o+1, ... into dst (a run; it may cross rows and
// slices). Write is its inverse.
func (m *Mask) Read(o int, dst []uint8) { m.Line(o, 1, dst) }

// Write writes vals at volume offsets o, o+1, ... (a run; it may cross rows and slices). Zeros
// outside a slice's rectangle write nothing.
func (m *Mask) Write(o int, vals []uint8) {
	if len(vals) == 0 {
		return
	}
	cols := m.Dims[0]
	i, j, k := m.split(o)
	for len(vals) > 0 {
		run := vals[:min(cols-i, len(vals))]
		if r := nonzeroRect(run, len(run), 1); !r.Empty() {
			m.Grow(k, r.Add(image.Pt(i, j)))
		}
		// Zeros outside the rectangle are there already; inside it they overwrite.
		s := &m.slices[k]
		if r := s.Rect; j >= r.Min.Y && j < r.Max.Y {
			lo, hi := max(i, r.Min.X), min(i+len(run), r.Max.X)
			if lo < hi {
				copy(s.Pix[(j-r.Min.Y)*r.Dx()+lo-r.Min.X:], run[lo-i:hi-i])
			}
		}
		vals = vals[len(run):]
		i = 0
		if j++; j == m.Dims[1] {
			j, k = 0, k+1
		}
	}
}

// Clear sets every voxel to 0.
func (m *Mask) Clear() { clear(m.slices) }

// CopyFrom makes m a copy of src's labels (same Dims; its Warnings are kept).
func (m *Mask) CopyFrom(src *Mask) error {
	if !m.Valid() || !src.Valid() || m.Dims != src.Dims {
		return fmt.Errorf("%w: mask is %s, copied from %s", ErrGeometry, DimsString(m.Dims), DimsString(src.Dims))
	}
	for k, s := range src.slices {
		m.slices[k] = MaskSlice{Rect: s.Rect, Pix: append([]uint8(nil), s.Pix...)}
	}
	return nil
}

// Clone is a copy of m that shares nothing with it.
func (m *Mask) Clone() *Mask {
	c := NewMask(m.Dims)
	c.Warnings = append([]string(nil), m.Warnings...)
	for k, s := range m.slices {
		c.slices[k] = MaskSlice{Rect: s.Rect, Pix: append([]uint8(nil), s.Pix...)}
	}
	return c
}

// Compact cuts every slice to its nonzero rectangle (an eraser leaves zeros inside it).
func (m *Mask) Compact() {
	for k, s := range m.slices {
		if s.Rect.Empty() {
			continue
		}
		c := cropSlice(s.Pix, s.Rect.Dx(), s.Rect.Dy())
		if c.Rect.Size() == s.Rect.Size() {
			continue
		}
		m.slices[k] = MaskSlice{Rect: c.Rect.Add(s.Rect.Min), Pix: c.Pix}
	}
}

// Count is the number of nonzero voxels.
func (m *Mask) Count() int64 {
	var n int64
	for _, s := range m.slices {
		n += int64(len(s.Pix) - bytes.Count(s.Pix, []byte{0}))
	}
	return n
}

// SliceCount is the number of nonzero voxels of slice k.
func (m *Mask) SliceCount(k int) int {
	s := m.slices[k].Pix
	return len(s) - bytes.Count(s, []byte{0})
}

// LiverSlices lists, in slice order, the stored slices that hold a nonzero voxel.
func (m *Mask) LiverSlices() []int {
	var ks []int
	for k := range m.slices {
		if m.SliceCount(k) > 0 {
			ks = append(ks, k)
		}
	}
	return ks
}

// Each calls f with the volume offset and label of every nonzero voxel, in offset order.
func (m *Mask) Each(f func(offset int, v uint8)) {
	cols, sl := m.Dims[0], m.SliceLen()
	for k, s := range m.slices {
		for j := s.Rect.Min.Y; j < s.Rect.Max.Y; j++ {
			row := s.Pix[(j-s.Rect.Min.Y)*s.Rect.Dx():][:s.Rect.Dx()]
			base := k*sl + j*cols + s.Rect.Min.X
			for i, v := range row {
				if v != 0 {
					f(base+i, v)
				}
			}
		}
	}
}

// Equal says whether m and o have the same dims and labels (however each keeps them).
func (m *Mask) Equal(o *Mask) bool {
	if m.Dims != o.Dims || len(m.slices) != len(o.slices) {
		return false
	}
	a, b := make([]uint8, m.SliceLen()), make([]uint8, m.SliceLen())
	for k := range m.slices {
		if m.SliceCount(k) != o.SliceCount(k) {
			return false
		}
		if !bytes.Equal(m.SliceInto(k, a), o.SliceInto(k, b)) {
			return false
		}
	}
	return true
}

// Dense is the mask as a new volume-ordered array, a byte a voxel: for small volumes and tests;
// a writer streams with WriteTo instead.
func (m *Mask) Dense() []uint8 {
	out := make([]uint8, m.Len())
	sl := m.SliceLen()
	for k := range m.slices {
		m.SliceInto(k, out[k*sl:(k+1)*sl])
	}
	return out
}

// Bytes is the memory the mask's slices hold.
func (m *Mask) Bytes() int64 {
	var n int64
	for _, s := range m.slices {
		n += int64(len(s.Pix))
	}
	return n
}

// WriteTo writes the mask dense, a byte a voxel in volume order, one slice at a time (one
// slice's buffer, whatever the volume's size).
func (m *Mask) WriteTo(w io.Writer) (int64, error) {
	buf := make([]uint8, m.SliceLen())
	var n int64
	for k := range m.slices {
		c, err := w.Write(m.SliceInto(k, buf))
		n += int64(c)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReadFrom reads the mask dense, a byte a voxel in volume order (what WriteTo wrote), one slice
// at a time. A short read leaves the slices read so far and fails with io.ErrUnexpectedEOF.
func (m *Mask) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]uint8, m.SliceLen())
	var n int64
	for k := range m.slices {
		c, err := io.ReadFull(r, buf)
		n += int64(c)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, fmt.Errorf("mask slice %d of %d: %w", k+1, len(m.slices), err)
		}
		m.SetSlice(k, buf)
	}
	return n, nil
}
