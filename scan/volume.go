// Package scan is the imaging core of liverseg: DICOM discovery and series assembly, HU volumes,
// the label formats (mask DICOM folders, PNG stacks, NIfTI-1, DICOM SEG) and the overlap metrics.
// It imports nothing else of ours, and nothing of Fyne or ONNX Runtime.
package scan

import (
	"fmt"
	"math"
)

// Series identifies where a Volume came from, so that labels written for it can point back at it.
type Series struct {
	Path              string // the folder, DICOMDIR or file it was loaded from
	PatientName       string
	PatientID         string
	StudyUID          string
	StudyDate         string
	StudyDescription  string
	SeriesUID         string
	SeriesDescription string
	SeriesNumber      int
	Modality          string
	Manufacturer      string
	FrameOfReference  string
	SOPClassUID       string   // of the image instances
	SOPInstanceUIDs   []string // one per slice, in volume order (for a multi-frame file: the same UID repeated)
	Files             []string // one per slice, in volume order
	FrameNumbers      []int    // one per slice: the 1-based frame in its file (1 for single-frame files)
	// Positions holds one ImagePositionPatient a slice, in volume order, as the headers say it
	// (nil when they have none). With uneven steps or gaps the volume's grid (Origin + k*Spacing[2])
	// is not where the slices were: a writer that places slices in the patient uses these.
	Positions      [][3]float64
	TransferSyntax string // UID
	// WindowCenter and WindowWidth are the display window the first file suggests, in HU
	// (WindowWidth 0: none).
	WindowCenter, WindowWidth float64
	// context holds the source's patient, study and site attributes as its first file has them
	// (sourceContext), for the objects derived from it; nil for a volume not read from DICOM.
	context elements
}

// Volume is a CT volume in Hounsfield units.
//
// Voxel (i, j, k) — column i, row j, slice k — sits at Voxels[k*cols*rows + j*cols + i] and at the
// patient position (LPS, mm) Origin + i*Spacing[0]*Direction[0] + j*Spacing[1]*Direction[1] +
// k*Spacing[2]*Direction[2].
type Volume struct {
	Voxels    []int16
	Dims      [3]int        // columns, rows, slices
	Spacing   [3]float64    // mm along the column, row and slice axes
	Origin    [3]float64    // LPS position of voxel (0,0,0), mm
	Direction [3][3]float64 // unit LPS vectors of the column, row and slice axes
	Series    Series
	Warnings  []string
}

// SliceLen is the number of voxels in one slice.
func (v *Volume) SliceLen() int { return v.Dims[0] * v.Dims[1] }

// Len is the number of voxels.
func (v *Volume) Len() int { return v.Dims[0] * v.Dims[1] * v.Dims[2] }

// Index is the offset of voxel (i, j, k) in Voxels.
func (v *Volume) Index(i, j, k int) int { return (k*v.Dims[1]+j)*v.Dims[0] + i }

// Slice returns slice k of the volume (shared, not copied).
func (v *Volume) Slice(k int) []int16 {
	n := v.SliceLen()
	return v.Voxels[k*n : (k+1)*n]
}

// Position is the LPS position (mm) of voxel (i, j, k); fractional indices are allowed.
func (v *Volume) Position(i, j, k float64) [3]float64 {
	var p [3]float64
	idx := [3]float64{i, j, k}
	for a := 0; a < 3; a++ {
		p[a] = v.Origin[a]
		for ax := 0; ax < 3; ax++ {
			p[a] += idx[ax] * v.Spacing[ax] * v.Direction[ax][a]
		}
	}
	return p
}

// Affine is the 4x4 matrix from voxel index (i, j, k, 1) to LPS position (mm).
func (v *Volume) Affine() [4][4]float64 {
	var m [4][4]float64
	for a := 0; a < 3; a++ {
		for ax := 0; ax < 3; ax++ {
			m[a][ax] = v.Spacing[ax] * v.Direction[ax][a]
		}
		m[a][3] = v.Origin[a]
	}
	m[3][3] = 1
	return m
}

// VoxelVolumeML is the volume of one voxel in millilitres.
func (v *Volume) VoxelVolumeML() float64 {
	return v.Spacing[0] * v.Spacing[1] * v.Spacing[2] / 1000
}

// CheckMask reports whether m has the volume's dimensions, with an error naming both when not.
func (v *Volume) CheckMask(m *Mask) error {
	if !m.Valid() || m.Dims != v.Dims {
		return fmt.Errorf("%w: mask is %s, volume is %s", ErrGeometry, DimsString(m.Dims), DimsString(v.Dims))
	}
	return nil
}

// DimsString prints voxel dimensions as messages give them: 512x512x129.
func DimsString(d [3]int) string { return fmt.Sprintf("%dx%dx%d", d[0], d[1], d[2]) }

// VoxelOf is the voxel index (fractional) at LPS position p (mm), the inverse of Position. ok is
// false when the geometry has no inverse (a zero spacing, parallel axes).
func (v *Volume) VoxelOf(p [3]float64) (idx [3]float64, ok bool) {
	a := v.Affine()
	// Solve M x = p - origin for the 3x3 part M by Cramer's rule.
	var m [3][3]float64
	var b [3]float64
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			m[r][c] = a[r][c]
		}
		b[r] = p[r] - a[r][3]
	}
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	if !(math.Abs(det) > 1e-12) {
		return idx, false
	}
	for c := 0; c < 3; c++ {
		mc := m
		for r := 0; r < 3; r++ {
			mc[r][c] = b[r]
		}
		idx[c] = (mc[0][0]*(mc[1][1]*mc[2][2]-mc[1][2]*mc[2][1]) - mc[0][1]*(mc[1][0]*mc[2][2]-mc[1][2]*mc[2][0]) + mc[0][2]*(mc[1][0]*mc[2][1]-mc[1][1]*mc[2][0])) / det
	}
	return idx, true
}
