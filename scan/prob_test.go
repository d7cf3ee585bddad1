package scan

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"
)

// TestProbRoundTrip: a sparse map on volumes stored in every order comes back voxel for voxel,
// keeps only its nonzero rectangles, and Row reads any span of a row.
func TestProbRoundTrip(t *testing.T) {
	dirs := map[string][3][3]float64{
		"axial":         {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		"flipped":       {{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}},
		"sagittal":      {{0, 1, 0}, {0, 0, -1}, {1, 0, 0}},
		"coronal, flip": {{-1, 0, 0}, {0, 0, -1}, {0, -1, 0}},
	}
	dims := [3]int{9, 7, 6} // every turn keeps the blob below inside
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(len(name))))
			can := NewCanonical(dims, [3]float64{1, 1, 1}, dir)
			voxels := make([]uint8, dims[0]*dims[1]*dims[2])
			// a blob of nonzero bytes in canonical slices 1..3, columns 2..5, rows 1..4
			for k := 1; k <= 3; k++ {
				for j := 1; j <= 4; j++ {
					for i := 2; i <= 5; i++ {
						voxels[can.Offset(i, j, k)] = uint8(1 + rng.IntN(255))
					}
				}
			}
			p, err := ProbFromVoxels(dims, can, voxels)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Voxels(); string(got) != string(voxels) {
				t.Fatal("the map changed on its way through the sparse form")
			}
			sl := dims[0] * dims[1]
			for k := range dims[2] {
				if got := p.VolumeSlice(k, nil); string(got) != string(voxels[k*sl:(k+1)*sl]) {
					t.Fatalf("VolumeSlice(%d) differs from the volume's slice", k)
				}
			}
			if p.Bytes() != 3*4*4 {
				t.Errorf("holds %d bytes, want the 48 of three 4x4 rectangles", p.Bytes())
			}
			if s := p.Slice(0); !s.Rect.Empty() || s.Pix != nil {
				t.Errorf("an all-zero slice holds %v", s.Rect)
			}
			if r := p.Slice(2).Rect; r != image.Rect(2, 1, 6, 5) {
				t.Errorf("slice 2 keeps %v, want (2,1)-(6,5)", r)
			}
			cols := can.Dims[0]
			for k := 0; k < can.Dims[2]; k++ {
				for j := 0; j < can.Dims[1]; j++ {
					for x0 := 0; x0 < cols; x0++ {
						row := make([]uint8, cols-x0)
						for i := range row {
							row[i] = 99 // Row must overwrite what is there
						}
						p.Row(k, j, x0, row)
						for i, b := range row {
							if want := voxels[can.Offset(x0+i, j, k)]; b != want {
								t.Fatalf("Row(%d,%d,%d)[%d] = %d, want %d", k, j, x0, i, b, want)
							}
						}
					}
				}
			}
		})
	}
}

func TestProbWrongSize(t *testing.T) {
	dims := [3]int{4, 3, 2}
	can := NewCanonical(dims, [3]float64{1, 1, 1}, [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})
	if _, err := ProbFromVoxels(dims, can, make([]uint8, 23)); !errors.Is(err, ErrGeometry) {
		t.Fatalf("23 bytes for 24 voxels: %v, want ErrGeometry", err)
	}
}

// TestProbPlaneRow: on volumes stored in all 48 axis orders and directions, every row of every
// plane (from any first column, past either edge) reads the bytes of the voxels FromPlane names.
func TestProbPlaneRow(t *testing.T) {
	dims := [3]int{5, 4, 3}
	rng := rand.New(rand.NewPCG(22, 1))
	for _, dir := range storedDirections() {
		can := NewCanonical(dims, [3]float64{1, 2, 3}, dir)
		voxels := make([]uint8, dims[0]*dims[1]*dims[2])
		for o := range voxels {
			if rng.IntN(3) > 0 { // zeros too, so that the kept rectangles are not whole slices
				voxels[o] = uint8(1 + rng.IntN(255))
			}
		}
		p, err := ProbFromVoxels(dims, can, voxels)
		if err != nil {
			t.Fatal(err)
		}
		for _, pl := range Planes {
			pc := can.Plane(pl)
			cols := pc.Dims[0]
			for s := 0; s < pc.Dims[2]; s++ {
				for y := 0; y < pc.Dims[1]; y++ {
					for x0 := -2; x0 < cols; x0++ {
						row := make([]uint8, cols+2-x0)
						for i := range row {
							row[i] = 99 // PlaneRow must overwrite what is there
						}
						p.PlaneRow(pl, s, y, x0, row)
						for d, b := range row {
							x, want := x0+d, uint8(0)
							if x >= 0 && x < cols {
								want = voxels[can.Offset(can.FromPlane(pl, x, y, s))]
							}
							if b != want {
								t.Fatalf("dir %v %v: PlaneRow(%d,%d,%d)[%d] = %d, want %d",
									dir, pl, s, y, x0, d, b, want)
							}
						}
					}
				}
			}
		}
	}
}
