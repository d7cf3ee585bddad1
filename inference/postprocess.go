package inference

import (
	"encoding/binary"
	"image"
	"math"
	"runtime"
	"sync"

	"liverseg/scan"
)

// ThresholdByte is the smallest stored probability (0..255, as Restore rounds p*255) that counts
// as liver for a threshold t on the probability: a byte q was rounded from p >= (q-0.5)/255, so
// q >= ThresholdByte(t) exactly when p >= t up to that rounding (exactly, for t = 0.5).
func ThresholdByte(t float64) uint8 {
	q := math.Ceil(t*255 + 0.5)
	switch {
	case q < 1:
		return 1
	case q > 255:
		return 255
	}
	return uint8(q)
}

// PostProcess turns a probability map into the liver mask: threshold, keep the largest 3D
// 6-connected component, fill the holes of every axial slice (the map's canonical slices). The
// probability map is left as it is.
func PostProcess(prob *scan.Prob, threshold float64) *scan.Mask {
	m := Threshold(prob, threshold)
	KeepLargestComponent(m)
	FillHolesAxial(m, prob.Canon)
	return m
}

// Threshold is the mask of voxels whose probability reaches t (see ThresholdByte). Only the
// map's nonzero rectangles are read. Where the map's canonical slices are the volume's own slices
// (an axial series), slices go to the workers in turn, each thresholded into a plane of its own
// and stored cropped (Mask.SetSlice); otherwise a canonical slice cuts across the volume's slices
// and the voxels are set one by one, in one goroutine.
func Threshold(prob *scan.Prob, t float64) *scan.Mask {
	m := scan.NewMask(prob.Dims)
	q := ThresholdByte(t)
	can := prob.Canon
	slices := can.Dims[2]
	if can.Axis[2] != 2 {
		thresholdAcross(m, prob, q)
		return m
	}
	sl := m.SliceLen()
	step := can.Offset(1, 0, 0) - can.Offset(0, 0, 0) // along a canonical row
	workers := min(runtime.GOMAXPROCS(0), max(1, prob.Bytes()>>20))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var plane []uint8 // volume slice kv, dense; all 0 between slices
			for k := w; k < slices; k += workers {
				s := prob.Slice(k)
				if s.Rect.Empty() {
					continue
				}
				if plane == nil {
					plane = make([]uint8, sl)
				}
				kv := can.Offset(0, 0, k) / sl
				base := kv * sl
				dx := s.Rect.Dx()
				liver := 0
				for j := s.Rect.Min.Y; j < s.Rect.Max.Y; j++ {
					row := s.Pix[(j-s.Rect.Min.Y)*dx:][:dx]
					o := can.Offset(s.Rect.Min.X, j, k) - base
					for _, p := range row {
						if p >= q {
							plane[o] = scan.Liver
							liver++
						}
						o += step
					}
				}
				if liver > 0 {
					m.SetSlice(kv, plane)
					clear(plane)
				}
			}
		}()
	}
	wg.Wait()
	return m
}

// thresholdAcross is Threshold for a map whose canonical slices cut across the volume's slices
// (a sagittal or coronal series): the voxels are set one by one, and the slices cropped at the end
// (a slice grows by a margin as it is written).
func thresholdAcross(m *scan.Mask, prob *scan.Prob, q uint8) {
	prob.Each(func(o int, p uint8) {
		if p >= q {
			m.Set(o, scan.Liver)
		}
	})
	m.Compact()
}

// nonzeroSpan is the first and last index of a nonzero byte of row, or -1, -1; it skips zero
// bytes eight at a time.
func nonzeroSpan(row []uint8) (int, int) {
	first := -1
	i := 0
	for ; i+8 <= len(row); i += 8 {
		if binary.LittleEndian.Uint64(row[i:]) != 0 {
			break
		}
	}
	for ; i < len(row); i++ {
		if row[i] != 0 {
			first = i
			break
		}
	}
	if first < 0 {
		return -1, -1
	}
	j := len(row)
	for ; j-8 >= first; j -= 8 {
		if binary.LittleEndian.Uint64(row[j-8:]) != 0 {
			break
		}
	}
	for j--; j > first && row[j] == 0; j-- {
	}
	return first, j
}

// KeepLargestComponent keeps the largest 6-connected component of the nonzero voxels of m (set
// to Liver) and clears the rest; it returns the size of the component kept. It labels runs of
// voxels along rows rather than voxels: a union-find over the runs, joined where they overlap a
// run of the row above or of the slice below; no recursion, and memory by the number of runs (the
// rows read are those the mask keeps, so that the volume's empty slices cost nothing).
func KeepLargestComponent(m *scan.Mask) int {
	nx, ny, nz := m.Dims[0], m.Dims[1], m.Dims[2]
	rowsN := ny * nz
	type run struct{ x0, x1 int32 } // voxels [x0, x1) of a row
	var runs []run
	rowStart := make([]int32, rowsN+1)
	for k := 0; k < nz; k++ {
		for j := 0; j < ny; j++ {
			r := k*ny + j
			rowStart[r] = int32(len(runs))
			x0, row := m.Row(k, j)
			first, last := nonzeroSpan(row)
			if first < 0 {
				continue
			}
			for x := first; x <= last; {
				if row[x] == 0 {
					x++
					continue
				}
				a := x
				for x <= last && row[x] != 0 {
					x++
				}
				runs = append(runs, run{int32(x0 + a), int32(x0 + x)})
			}
		}
	}
	rowStart[rowsN] = int32(len(runs))
	if len(runs) == 0 {
		return 0
	}
	parent := make([]int32, len(runs))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int32) {
		ra, rb := find(a), find(b)
		if ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	// join unites the overlapping runs of rows r and o.
	join := func(r, o int) {
		a, aEnd := rowStart[r], rowStart[r+1]
		b, bEnd := rowStart[o], rowStart[o+1]
		for a < aEnd && b < bEnd {
			ra, rb := runs[a], runs[b]
			if ra.x0 < rb.x1 && rb.x0 < ra.x1 {
				union(a, b)
			}
			if ra.x1 < rb.x1 {
				a++
			} else {
				b++
			}
		}
	}
	for r := 0; r < rowsN; r++ {
		if rowStart[r] == rowStart[r+1] {
			continue
		}
		if r%ny > 0 {
			join(r, r-1)
		}
		if r >= ny {
			join(r, r-ny)
		}
	}
	size := make([]int64, len(runs))
	best := int32(0)
	for i := range runs {
		root := find(int32(i))
		size[root] += int64(runs[i].x1 - runs[i].x0)
		if size[root] > size[best] {
			best = root
		}
	}
	// Every run is rewritten in place (inside the slice's rectangle, so that no slice grows):
	// the kept ones as Liver, the others as 0; the slices are cropped to what is left after.
	fill := [2][]uint8{make([]uint8, nx), make([]uint8, nx)}
	for i := range fill[1] {
		fill[1][i] = scan.Liver
	}
	for r := 0; r < rowsN; r++ {
		base := r * nx
		for i := rowStart[r]; i < rowStart[r+1]; i++ {
			ru := runs[i]
			v := fill[0]
			if find(i) == best {
				v = fill[1]
			}
			m.Write(base+int(ru.x0), v[:ru.x1-ru.x0])
		}
	}
	m.Compact()
	return int(size[best])
}

// FillHolesAxial fills, in every axial slice (canonical slice of can), the background regions
// that do not touch the slice's border (4-connected background), and returns the voxels filled.
// The flood runs in the bounding box of the slice's liver, one voxel wider: everything outside
// it is background that reaches the border anyway. A hole lies inside its slice's liver bounds,
// so filling it never grows a slice of the mask.
func FillHolesAxial(m *scan.Mask, can scan.Canonical) int {
	if can.Axis[2] != 2 {
		// A canonical slice cuts across the volume's slices: one goroutine (a rare storage).
		return fillHolesAcross(m, can)
	}
	slices := m.Dims[2]
	workers := min(runtime.GOMAXPROCS(0), slices)
	if workers <= 1 {
		return fillHolesSlices(m, 0, slices)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	filled := 0
	for w := 0; w < workers; w++ {
		lo, hi := w*slices/workers, (w+1)*slices/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := fillHolesSlices(m, lo, hi)
			mu.Lock()
			filled += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return filled
}

// fillHolesSlices is FillHolesAxial for the volume's slices [lo, hi) of an axial series (its
// canonical slices are the volume's, perhaps flipped or transposed: holes do not change under
// either). Distinct slices are written: workers may run it on distinct ranges at once.
func fillHolesSlices(m *scan.Mask, lo, hi int) int {
	var f holeFiller
	filled := 0
	for k := lo; k < hi; k++ {
		b := m.LiverBounds(k)
		if b.Empty() {
			continue
		}
		box := f.box(b.Dx(), b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			rx, row := m.Row(k, y)
			f.setRow(y-b.Min.Y, row[b.Min.X-rx:b.Max.X-rx])
		}
		for _, h := range f.flood(box) {
			m.SetIJK(b.Min.X+h.X, b.Min.Y+h.Y, k, scan.Liver)
			filled++
		}
	}
	return filled
}

// fillHolesAcross is FillHolesAxial where a canonical slice cuts across the volume's slices:
// each canonical slice is read a row at a time (Mask.Line) and its holes set voxel by voxel.
func fillHolesAcross(m *scan.Mask, can scan.Canonical) int {
	cols, rows := can.Dims[0], can.Dims[1]
	plane := make([]uint8, cols*rows)
	var f holeFiller
	filled := 0
	for k := 0; k < can.Dims[2]; k++ {
		canonicalMaskSlice(m, can, k, plane)
		b := nonzeroBounds(plane, cols, rows)
		if b.Empty() {
			continue
		}
		box := f.box(b.Dx(), b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			f.setRow(y-b.Min.Y, plane[y*cols+b.Min.X:y*cols+b.Max.X])
		}
		for _, h := range f.flood(box) {
			m.Set(can.Offset(b.Min.X+h.X, b.Min.Y+h.Y, k), scan.Liver)
			filled++
		}
	}
	return filled
}

// nonzeroBounds is the smallest rectangle of plane (cols x rows) holding its nonzero bytes.
func nonzeroBounds(plane []uint8, cols, rows int) image.Rectangle {
	var b image.Rectangle
	for y := 0; y < rows; y++ {
		if f, l := nonzeroSpan(plane[y*cols : (y+1)*cols]); f >= 0 {
			b = b.Union(image.Rect(f, y, l+1, y+1))
		}
	}
	return b
}

// holeFiller floods the background of a liver's bounding box from a ring around it; what the
// flood does not reach is a hole. Its buffers are kept from slice to slice.
type holeFiller struct {
	cells []uint8 // (w+2) x (h+2): the box and its ring
	w, h  int     // the ring's width and height
	stack []int32
	holes []image.Point
}

const (
	holeBG      = 0
	holeFG      = 1
	holeOutside = 2
)

// box starts a box of w x h voxels, all background; it returns the ring's size for flood.
func (f *holeFiller) box(w, h int) image.Point {
	f.w, f.h = w+2, h+2
	f.cells = append(f.cells[:0], make([]uint8, f.w*f.h)...)
	return image.Pt(w, h)
}

// setRow marks the nonzero voxels of row y of the box (w bytes) as liver.
func (f *holeFiller) setRow(y int, row []uint8) {
	line := f.cells[(y+1)*f.w+1:][:len(row)]
	for x, v := range row {
		if v != 0 {
			line[x] = holeFG
		}
	}
}

// flood returns the holes of the box: its background voxels (box coordinates) that the
// background around it does not reach (4-connected), row by row.
func (f *holeFiller) flood(box image.Point) []image.Point {
	w, h, c := f.w, f.h, f.cells
	c[0] = holeOutside
	f.stack = append(f.stack[:0], 0)
	for len(f.stack) > 0 {
		i := int(f.stack[len(f.stack)-1])
		f.stack = f.stack[:len(f.stack)-1]
		x, y := i%w, i/w
		if x > 0 && c[i-1] == holeBG {
			c[i-1] = holeOutside
			f.stack = append(f.stack, int32(i-1))
		}
		if x < w-1 && c[i+1] == holeBG {
			c[i+1] = holeOutside
			f.stack = append(f.stack, int32(i+1))
		}
		if y > 0 && c[i-w] == holeBG {
			c[i-w] = holeOutside
			f.stack = append(f.stack, int32(i-w))
		}
		if y < h-1 && c[i+w] == holeBG {
			c[i+w] = holeOutside
			f.stack = append(f.stack, int32(i+w))
		}
	}
	f.holes = f.holes[:0]
	for y := 0; y < box.Y; y++ {
		for x := 0; x < box.X; x++ {
			if c[(y+1)*w+x+1] == holeBG {
				f.holes = append(f.holes, image.Pt(x, y))
			}
		}
	}
	return f.holes
}
