package scan

import (
	"bytes"
	"errors"
	"image"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMaskMatchesDense drives a Mask and a dense array with the same random writes (voxels,
// runs across rows and slices, whole slices, growth past the kept rectangle, erasing) and checks
// every reader against the array after each step.
func TestMaskMatchesDense(t *testing.T) {
	for _, dims := range [][3]int{{7, 5, 4}, {1, 6, 3}, {9, 1, 5}, {40, 33, 6}, {3, 3, 1}} {
		r := rand.New(rand.NewPCG(uint64(dims[0]), uint64(dims[1]*100+dims[2])))
		m := NewMask(dims)
		want := make([]uint8, dims[0]*dims[1]*dims[2])
		n, sl := len(want), dims[0]*dims[1]
		for step := range 300 {
			switch r.IntN(5) {
			case 0:
				o, v := r.IntN(n), uint8(r.IntN(3))
				m.Set(o, v)
				want[o] = v
			case 1:
				o := r.IntN(n)
				vals := make([]uint8, r.IntN(n-o)+1)
				for i := range vals {
					if r.IntN(3) == 0 {
						vals[i] = Liver
					}
				}
				m.Write(o, vals)
				copy(want[o:], vals)
			case 2:
				k := r.IntN(dims[2])
				plane := make([]uint8, sl)
				for i := range plane {
					if r.IntN(4) == 0 {
						plane[i] = Liver
					}
				}
				m.SetSlice(k, plane)
				copy(want[k*sl:], plane)
			case 3:
				i, j, k := r.IntN(dims[0]), r.IntN(dims[1]), r.IntN(dims[2])
				m.SetIJK(i, j, k, 0)
				want[(k*dims[1]+j)*dims[0]+i] = 0
			case 4:
				m.Compact()
			}
			checkMask(t, m, want, step)
			if t.Failed() {
				t.Fatalf("%v after step %d", dims, step)
			}
		}
	}
}

// checkMask compares every reader of m against the dense labels want.
func checkMask(t *testing.T, m *Mask, want []uint8, step int) {
	t.Helper()
	if got := m.Dense(); !bytes.Equal(got, want) {
		t.Errorf("step %d: Dense differs", step)
		return
	}
	var count int64
	for o, v := range want {
		if m.At(o) != v {
			t.Errorf("step %d: At(%d) = %d, want %d", step, o, m.At(o), v)
			return
		}
		if v != 0 {
			count++
		}
	}
	if m.Count() != count {
		t.Errorf("step %d: Count %d, want %d", step, m.Count(), count)
	}
	var each []int
	m.Each(func(o int, v uint8) {
		if want[o] != v || v == 0 {
			t.Errorf("step %d: Each(%d) = %d, want %d", step, o, v, want[o])
		}
		each = append(each, o)
	})
	if int64(len(each)) != count {
		t.Errorf("step %d: Each visited %d voxels, want %d", step, len(each), count)
	}
	cols, rows, sl := m.Dims[0], m.Dims[1], m.SliceLen()
	for k := range m.Dims[2] {
		lb := m.LiverBounds(k)
		for j := range rows {
			for i := range cols {
				if want[k*sl+j*cols+i] != 0 && !(image.Point{i, j}).In(lb) {
					t.Errorf("step %d: LiverBounds(%d) %v leaves out (%d,%d)", step, k, lb, i, j)
				}
			}
		}
	}
	// Lines along each axis, both ways, from every voxel, of every length that stays inside.
	for _, stride := range []int{1, -1, cols, -cols, sl, -sl, cols + 1} {
		for start := range want {
			for length := 1; length <= 4; length++ {
				end := start + (length-1)*stride
				if end < 0 || end >= len(want) {
					break
				}
				dst := make([]uint8, length)
				m.Line(start, stride, dst)
				for n := range dst {
					if dst[n] != want[start+n*stride] {
						t.Errorf("step %d: Line(%d, %d)[%d] = %d, want %d", step, start, stride, n, dst[n], want[start+n*stride])
						return
					}
				}
			}
		}
	}
}

func TestMaskCloneCopyAndStream(t *testing.T) {
	dims := [3]int{6, 4, 3}
	dense := make([]uint8, 6*4*3)
	for _, o := range []int{0, 7, 30, 31, 55, 71} {
		dense[o] = Liver
	}
	m, err := MaskFromVoxels(dims, dense)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Clone()
	c.Set(1, Liver)
	if m.At(1) != 0 || !bytes.Equal(m.Dense(), dense) {
		t.Error("a clone shares voxels with its source")
	}
	if m.Equal(c) {
		t.Error("Equal misses a differing voxel")
	}
	c.SetSlice(1, make([]uint8, 24))
	if got := c.LiverSlices(); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("LiverSlices %v, want [0 2]", got)
	}
	other := NewMask(dims)
	if err := other.CopyFrom(m); err != nil || !other.Equal(m) {
		t.Errorf("CopyFrom: %v", err)
	}
	if err := other.CopyFrom(NewMask([3]int{6, 4, 2})); !errors.Is(err, ErrGeometry) {
		t.Errorf("CopyFrom of other dims: %v", err)
	}
	var buf bytes.Buffer
	if n, err := m.WriteTo(&buf); err != nil || n != int64(len(dense)) || !bytes.Equal(buf.Bytes(), dense) {
		t.Errorf("WriteTo: %d bytes, %v", n, err)
	}
	back := NewMask(dims)
	if _, err := back.ReadFrom(bytes.NewReader(buf.Bytes())); err != nil || !back.Equal(m) {
		t.Errorf("ReadFrom: %v", err)
	}
	if _, err := NewMask(dims).ReadFrom(bytes.NewReader(buf.Bytes()[:50])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadFrom a short stream: %v", err)
	}
	if _, err := MaskFromVoxels(dims, dense[:5]); !errors.Is(err, ErrGeometry) {
		t.Errorf("MaskFromVoxels of too few voxels: %v", err)
	}
	if m.Bytes() >= int64(len(dense)) {
		t.Errorf("a mask of 6 voxels keeps %d bytes of %d", m.Bytes(), len(dense))
	}
}

// TestMaskMemoryGrowsWithLiver: a 512x512x1000 mask holding a liver-sized blob keeps a few
// percent of a byte a voxel.
func TestMaskMemoryGrowsWithLiver(t *testing.T) {
	dims := [3]int{512, 512, 1000}
	m := NewMask(dims)
	plane := make([]uint8, 512*512)
	for k := 300; k < 800; k++ {
		clear(plane)
		for j := 150; j < 350; j++ {
			for i := 100; i < 330; i++ {
				plane[j*512+i] = Liver
			}
		}
		m.SetSlice(k, plane)
	}
	if got, dense := m.Bytes(), int64(512*512*1000); got > dense/10 {
		t.Errorf("mask keeps %d bytes, dense is %d", got, dense)
	}
	if m.Count() != 500*200*230 {
		t.Errorf("count %d", m.Count())
	}
}

func BenchmarkMaskLine(b *testing.B) {
	dims := [3]int{512, 512, 151}
	m := NewMask(dims)
	plane := make([]uint8, 512*512)
	for j := 150; j < 350; j++ {
		for i := 100; i < 330; i++ {
			plane[j*512+i] = Liver
		}
	}
	for k := range dims[2] {
		m.SetSlice(k, plane)
	}
	sl := 512 * 512
	// One plane's worth of lines: an axial slice's rows, a sagittal slice's columns, a coronal
	// slice's lines across the slices.
	for _, c := range []struct {
		name           string
		stride, length int
		start          func(n int) int
	}{
		{"axial-rows", 1, 512, func(j int) int { return 75*sl + j*512 }},
		{"sagittal-columns", 512, 512, func(k int) int { return (k%151)*sl + 200 }},
		{"coronal-across-slices", sl, 151, func(i int) int { return 250*512 + i }},
	} {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]uint8, c.length)
			for b.Loop() {
				for n := range 512 {
					m.Line(c.start(n), c.stride, dst)
				}
			}
		})
	}
}
