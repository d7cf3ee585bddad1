package inference

import (
	"math/rand"
	"testing"

	"liverseg/scan"
)

// TestPostProcessReference: PostProcess on random blobby probability maps, stored axially,
// head first, transposed and sagittally, gives what a plain dense flood fill gives: the largest
// 6-connected component, its axial holes filled. The compact mask's slice-by-slice passes must
// not change a voxel.
func TestPostProcessReference(t *testing.T) {
	dirs := map[string][3][3]float64{
		"axial":      {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		"head first": {{1, 0, 0}, {0, 1, 0}, {0, 0, -1}},
		"transposed": {{0, 1, 0}, {1, 0, 0}, {0, 0, 1}},
		"sagittal":   {{0, 1, 0}, {0, 0, -1}, {1, 0, 0}},
	}
	rng := rand.New(rand.NewSource(24))
	tried := 0
	for name, dir := range dirs {
		for trial := 0; trial < 12; trial++ {
			dims := [3]int{8 + rng.Intn(20), 8 + rng.Intn(20), 3 + rng.Intn(12)}
			can := scan.NewCanonical(dims, [3]float64{1, 1, 1}, dir)
			voxels := blobs(rng, dims)
			prob, err := scan.ProbFromVoxels(dims, can, voxels)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := densePostProcess(voxels, can)
			if !ok {
				continue // two largest components of one size: either may be kept
			}
			tried++
			got := PostProcess(prob, 0.5)
			if !got.Valid() || got.Dims != dims {
				t.Fatalf("%s %d: mask of %v for %v", name, trial, got.Dims, dims)
			}
			if d := got.Dense(); string(d) != string(want) {
				n := 0
				for i := range d {
					if d[i] != want[i] {
						n++
					}
				}
				t.Fatalf("%s %d (%v): %d voxels differ from the dense reference", name, trial, dims, n)
			}
		}
	}
	if tried < 30 {
		t.Fatalf("only %d maps compared", tried)
	}
}

// blobs is a probability map (0..255, volume order) of a few random balls and scattered voxels.
func blobs(rng *rand.Rand, dims [3]int) []uint8 {
	v := make([]uint8, dims[0]*dims[1]*dims[2])
	type ball struct {
		c [3]float64
		r float64
	}
	var bs []ball
	for n := 1 + rng.Intn(4); n > 0; n-- {
		bs = append(bs, ball{[3]float64{rng.Float64() * float64(dims[0]), rng.Float64() * float64(dims[1]), rng.Float64() * float64(dims[2])}, 1 + rng.Float64()*5})
	}
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				o := (k*dims[1]+j)*dims[0] + i
				for _, b := range bs {
					x, y, z := float64(i)-b.c[0], float64(j)-b.c[1], float64(k)-b.c[2]
					if x*x+y*y+z*z < b.r*b.r {
						v[o] = uint8(140 + rng.Intn(116))
					}
				}
				if rng.Intn(9) == 0 {
					v[o] = uint8(rng.Intn(256)) // noise: holes in the balls, specks outside
				}
			}
		}
	}
	return v
}

// densePostProcess is PostProcess done plainly on a dense array, in canonical space: threshold,
// a breadth-first 6-connected labelling that keeps the largest component, then a flood of each
// canonical slice's background from its border. ok is false when two components tie for largest.
func densePostProcess(voxels []uint8, can scan.Canonical) (out []uint8, ok bool) {
	nx, ny, nz := can.Dims[0], can.Dims[1], can.Dims[2]
	at := func(i, j, k int) int { return (k*ny+j)*nx + i }
	fg := make([]bool, nx*ny*nz)
	for k := 0; k < nz; k++ {
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				fg[at(i, j, k)] = voxels[can.Offset(i, j, k)] >= 128
			}
		}
	}
	label := make([]int, len(fg))
	var sizes []int
	for s := range fg {
		if !fg[s] || label[s] != 0 {
			continue
		}
		sizes = append(sizes, 0)
		id := len(sizes)
		label[s] = id
		queue := []int{s}
		for len(queue) > 0 {
			o := queue[0]
			queue = queue[1:]
			sizes[id-1]++
			i, j, k := o%nx, o/nx%ny, o/(nx*ny)
			for _, d := range [6][3]int{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}} {
				a, b, c := i+d[0], j+d[1], k+d[2]
				if a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz {
					continue
				}
				if n := at(a, b, c); fg[n] && label[n] == 0 {
					label[n] = id
					queue = append(queue, n)
				}
			}
		}
	}
	best := 0
	for id, n := range sizes {
		if n > sizes[best] {
			best = id
		}
	}
	for id, n := range sizes {
		if id != best && n == sizes[best] {
			return nil, false
		}
	}
	kept := make([]bool, len(fg))
	for o := range kept {
		kept[o] = len(sizes) > 0 && label[o] == best+1
	}
	for k := 0; k < nz; k++ {
		outside := make([]bool, nx*ny)
		var stack [][2]int
		push := func(i, j int) {
			if i >= 0 && j >= 0 && i < nx && j < ny && !outside[j*nx+i] && !kept[at(i, j, k)] {
				outside[j*nx+i] = true
				stack = append(stack, [2]int{i, j})
			}
		}
		for i := 0; i < nx; i++ {
			push(i, 0)
			push(i, ny-1)
		}
		for j := 0; j < ny; j++ {
			push(0, j)
			push(nx-1, j)
		}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			push(p[0]+1, p[1])
			push(p[0]-1, p[1])
			push(p[0], p[1]+1)
			push(p[0], p[1]-1)
		}
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				if !outside[j*nx+i] {
					kept[at(i, j, k)] = true
				}
			}
		}
	}
	out = make([]uint8, len(voxels))
	for k := 0; k < nz; k++ {
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				if kept[at(i, j, k)] {
					out[can.Offset(i, j, k)] = scan.Liver
				}
			}
		}
	}
	return out, true
}
