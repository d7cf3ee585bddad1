package scan

import (
	"math"
)

// Canonical is a view of a volume turned by axis permutations and flips only (never resampled)
// so that its axes run toward the patient's left (columns), posterior (rows) and superior
// (slices): an axial slice then looks as a standard axial DICOM shows it, whatever order the
// scanner stored it in (slices head first, flipped rows, a sagittal acquisition).
type Canonical struct {
	Axis     [3]int     // the volume axis that canonical axis a runs along
	Flip     [3]bool    // whether canonical axis a runs against that volume axis
	Dims     [3]int     // canonical columns, rows, slices
	Spacing  [3]float64 // mm along the canonical axes
	MaxAngle float64    // degrees between a canonical axis and the patient axis it stands for
	stride   [3]int     // volume offset step along each canonical axis (negative when flipped)
	base     int        // volume offset of canonical voxel (0,0,0)
}

// NewCanonical finds the permutation and flips that best align a volume's axes (Direction, the
// unit LPS vectors of its column, row and slice axes) with L, P and S.
func NewCanonical(dims [3]int, spacing [3]float64, dir [3][3]float64) Canonical {
	perms := [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	best, bestScore := perms[0], -1.0
	for _, p := range perms {
		s := 0.0
		for a := 0; a < 3; a++ {
			s += math.Abs(dir[p[a]][a])
		}
		if s > bestScore+1e-9 {
			best, bestScore = p, s
		}
	}
	c := Canonical{Axis: best}
	volStride := [3]int{1, dims[0], dims[0] * dims[1]}
	for a := 0; a < 3; a++ {
		ax := best[a]
		cos := dir[ax][a]
		c.Flip[a] = cos < 0
		c.Dims[a] = dims[ax]
		c.Spacing[a] = spacing[ax]
		c.stride[a] = volStride[ax]
		if c.Flip[a] {
			c.stride[a] = -volStride[ax]
			c.base += (dims[ax] - 1) * volStride[ax]
		}
		angle := math.Acos(math.Min(1, math.Abs(cos))) * 180 / math.Pi
		c.MaxAngle = math.Max(c.MaxAngle, angle)
	}
	return c
}

// Offset is the volume voxel offset of canonical voxel (i, j, k).
func (c Canonical) Offset(i, j, k int) int {
	return c.base + i*c.stride[0] + j*c.stride[1] + k*c.stride[2]
}

// SliceOffsets fills dst (columns*rows long) with the volume offsets of canonical slice k, row
// by row: dst[j*cols+i] = Offset(i, j, k).
func (c Canonical) SliceOffsets(k int, dst []int) {
	cols, rows := c.Dims[0], c.Dims[1]
	for j := 0; j < rows; j++ {
		o := c.base + j*c.stride[1] + k*c.stride[2]
		row := dst[j*cols : (j+1)*cols]
		for i := range row {
			row[i] = o
			o += c.stride[0]
		}
	}
}
