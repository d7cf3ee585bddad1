package inference

import (
	"encoding/binary"
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
// map's nonzero rectangles are read; slices go to the workers in turn (they write distinct voxels).
func Threshold(prob *scan.Prob, t float64) *scan.Mask {
	m := scan.NewMask(prob.Dims)
	q := ThresholdByte(t)
	can := prob.Canon
	slices := can.Dims[2]
	workers := min(runtime.GOMAXPROCS(0), max(1, prob.Bytes()>>20))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < slices; k += workers {
				s := prob.Slice(k)
				dx := s.Rect.Dx()
				for j := s.Rect.Min.Y; j < s.Rect.Max.Y; j++ {
					row := s.Pix[(j-s.Rect.Min.Y)*dx:][:dx]
					for i, p := range row {
						if p >= q {
							m.Voxels[can.Offset(s.Rect.Min.X+i, j, k)] = scan.Liver
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	return m
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
// run of the row above or of the slice below; no recursion, and memory by the number of runs.
func KeepLargestComponent(m *scan.Mask) int {
	nx, ny, nz := m.Dims[0], m.Dims[1], m.Dims[2]
	v := m.Voxels
	rowsN := ny * nz
	type run struct{ x0, x1 int32 } // voxels [x0, x1) of a row
	var runs []run
	rowStart := make([]int32, rowsN+1)
	for r := 0; r < rowsN; r++ {
		rowStart[r] = int32(len(runs))
		row := v[r*nx : (r+1)*nx]
		first, last := nonzeroSpan(row)
		if first < 0 {
			continue
		}
		for x := first; x <= last; {
			if row[x] == 0 {
				x++
				continue
			}
			x0 := x
			for x <= last && row[x] != 0 {
				x++
			}
			runs = append(runs, run{int32(x0), int32(x)})
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
	clear(v)
	for r := 0; r < rowsN; r++ {
		row := v[r*nx : (r+1)*nx]
		for i := rowStart[r]; i < rowStart[r+1]; i++ {
			if find(i) == best {
				for x := runs[i].x0; x < runs[i].x1; x++ {
					row[x] = scan.Liver
				}
			}
		}
	}
	return int(size[best])
}

// FillHolesAxial fills, in every axial slice (canonical slice of can), the background regions
// that do not touch the slice's border (4-connected background), and returns the voxels filled.
// The flood runs in the bounding box of the slice's liver, one voxel wider: everything outside
// it is background that reaches the border anyway.
func FillHolesAxial(m *scan.Mask, can scan.Canonical) int {
	workers := min(runtime.GOMAXPROCS(0), can.Dims[2])
	if workers <= 1 {
		return fillHolesSlices(m, can, 0, can.Dims[2])
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	filled := 0
	for w := 0; w < workers; w++ {
		lo, hi := w*can.Dims[2]/workers, (w+1)*can.Dims[2]/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := fillHolesSlices(m, can, lo, hi)
			mu.Lock()
			filled += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return filled
}

// fillHolesSlices is FillHolesAxial for canonical slices [lo, hi): slices write disjoint voxels.
// Holes do not change under flips and transposes of a slice, so where the canonical slices are
// the volume's own slices (an axial series), the volume's slices are used as they are stored.
func fillHolesSlices(m *scan.Mask, can scan.Canonical, lo, hi int) int {
	direct := can.Axis[2] == 2
	cols, rows := can.Dims[0], can.Dims[1]
	var offsets []int
	if direct {
		cols, rows = m.Dims[0], m.Dims[1]
	} else {
		offsets = make([]int, cols*rows)
	}
	var box []uint8
	var stack []int32
	filled := 0
	const (
		bg      = 0
		fg      = 1
		outside = 2
	)
	for k := lo; k < hi; k++ {
		// index gives the voxel offset of slice pixel (x, y).
		var index func(x, y int) int
		x0, y0, x1, y1 := cols, rows, -1, -1
		if direct {
			base := k * cols * rows // volume slice k (the canonical one may be flipped: no matter)
			index = func(x, y int) int { return base + y*cols + x }
			for y := 0; y < rows; y++ {
				if f, l := nonzeroSpan(m.Voxels[base+y*cols : base+(y+1)*cols]); f >= 0 {
					x0, x1 = min(x0, f), max(x1, l)
					y0, y1 = min(y0, y), max(y1, y)
				}
			}
		} else {
			can.SliceOffsets(k, offsets)
			index = func(x, y int) int { return offsets[y*cols+x] }
			for y := 0; y < rows; y++ {
				row := offsets[y*cols : (y+1)*cols]
				for x, o := range row {
					if m.Voxels[o] != 0 {
						x0, x1 = min(x0, x), max(x1, x)
						y0, y1 = min(y0, y), max(y1, y)
					}
				}
			}
		}
		if x1 < 0 {
			continue
		}
		// The box with a ring of background around it: (w+2) x (h+2).
		w, h := x1-x0+3, y1-y0+3
		box = append(box[:0], make([]uint8, w*h)...)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				if m.Voxels[index(x, y)] != 0 {
					box[(y-y0+1)*w+x-x0+1] = fg
				}
			}
		}
		box[0] = outside
		stack = append(stack[:0], 0)
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			if x > 0 && box[i-1] == bg {
				box[i-1] = outside
				stack = append(stack, int32(i-1))
			}
			if x < w-1 && box[i+1] == bg {
				box[i+1] = outside
				stack = append(stack, int32(i+1))
			}
			if y > 0 && box[i-w] == bg {
				box[i-w] = outside
				stack = append(stack, int32(i-w))
			}
			if y < h-1 && box[i+w] == bg {
				box[i+w] = outside
				stack = append(stack, int32(i+w))
			}
		}
		for y := 1; y < h-1; y++ {
			for x := 1; x < w-1; x++ {
				if box[y*w+x] == bg {
					m.Voxels[index(x+x0-1, y+y0-1)] = scan.Liver
					filled++
				}
			}
		}
	}
	return filled
}
