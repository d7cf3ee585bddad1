package nifti

// Aligning a label to its volume: the permutation and flips that carry the label's voxel grid onto
// the volume's, exactly, or the reason there are none.

import (
	"fmt"

	"liverseg/scan"
	"liverseg/scan/internal/vec3"
)

// mapping sends NIfTI voxel (i, j, k) to ref's Voxels[base + i*step[0] + j*step[1] + k*step[2]].
type mapping struct {
	base int
	step [3]int
}

// align finds the permutation and flips that carry the label's voxel grid onto ref's, or says why
// there is none.
func align(h *header, ref *scan.Volume) (mapping, error) {
	var mp mapping
	fail := func(why string, args ...any) (mapping, error) {
		return mp, fmt.Errorf("%w: %s; label %s; volume %s", scan.ErrGeometry, fmt.Sprintf(why, args...),
			labelGeometry(h), volumeGeometry(ref))
	}
	if ref == nil || ref.Len() <= 0 {
		return mp, fmt.Errorf("%w: no reference volume", scan.ErrGeometry)
	}
	l := h.lps()
	stride := [3]int{1, ref.Dims[0], ref.Dims[0] * ref.Dims[1]}
	var refDir [3][3]float64
	for b := 0; b < 3; b++ {
		refDir[b] = vec3.Unit(ref.Direction[b])
	}
	var used [3]bool
	var perm [3]int
	var flip [3]bool
	// The label's grid in the volume's axis order, for the check every label reader shares.
	grid := scan.LabelGrid{What: "label in the volume's axis order"}
	for a := 0; a < 3; a++ {
		col := [3]float64{l[0][a], l[1][a], l[2][a]}
		length := vec3.Norm(col)
		u := vec3.Scale(col, 1/length)
		found := false
		for b := 0; b < 3 && !found; b++ {
			for _, s := range []float64{1, -1} {
				if vec3.Norm(vec3.Sub(u, vec3.Scale(refDir[b], s))) <= scan.DirectionTolerance {
					if used[b] {
						return fail("label axes %d and another are both along volume axis %d", a, b)
					}
					used[b], perm[a], flip[a], found = true, b, s < 0, true
					grid.Dims[b], grid.Spacing[b], grid.Direction[b] = h.dims[a], length, vec3.Scale(u, s)
					break
				}
			}
		}
		if !found {
			return fail("label axis %d (%s) is parallel to no volume axis (oblique)", a, vec3.String(u))
		}
	}
	if err := grid.Check(ref); err != nil {
		return mp, fmt.Errorf("%w; label %s; volume %s", err, labelGeometry(h), volumeGeometry(ref))
	}
	// The corners must coincide, not just the axes: label voxel (0,0,0) and the opposite corner
	// must land on the ref voxels the permutation says. The origin tolerance is a hundredth of a
	// voxel (no less than 0.01 mm, about what float32 positions and DICOM's decimal strings keep);
	// the far corner may drift by a tenth of a voxel, what spacing rounding adds up to over the
	// grid — more would shift the label visibly at the far end.
	minSp := min(ref.Spacing[0], ref.Spacing[1], ref.Spacing[2])
	tol := max(0.01, 0.01*minSp)
	farTol := max(tol, 0.1*minSp)
	var near, far [3]float64 // ref indices of the label's corners
	for a := 0; a < 3; a++ {
		b := perm[a]
		last := ref.Dims[b] - 1
		if flip[a] {
			near[b], far[b] = float64(last), 0
			mp.base += last * stride[b]
			mp.step[a] = -stride[b]
		} else {
			near[b], far[b] = 0, float64(last)
			mp.step[a] = stride[b]
		}
	}
	labelNear := [3]float64{l[0][3], l[1][3], l[2][3]}
	if d := vec3.Norm(vec3.Sub(labelNear, ref.Position(near[0], near[1], near[2]))); d > tol {
		return fail("the label's first voxel is %.4g mm from the volume voxel it falls on", d)
	}
	var labelFar [3]float64
	for w := 0; w < 3; w++ {
		labelFar[w] = l[w][3]
		for a := 0; a < 3; a++ {
			labelFar[w] += l[w][a] * float64(h.dims[a]-1)
		}
	}
	if d := vec3.Norm(vec3.Sub(labelFar, ref.Position(far[0], far[1], far[2]))); d > farTol {
		return fail("the label's last voxel is %.4g mm from the volume voxel it falls on", d)
	}
	return mp, nil
}

// labelGeometry describes a label's grid in LPS, the way volumeGeometry does a volume.
func labelGeometry(h *header) string {
	v := &scan.Volume{Dims: h.dims}
	if err := setGeometry(v, h); err != nil {
		return scan.DimsString(h.dims) + " (degenerate " + h.rasSource + ")"
	}
	return volumeGeometry(v) + " from its " + h.rasSource
}

// volumeGeometry prints dims, spacing, LPS origin and axes, for geometry errors.
func volumeGeometry(v *scan.Volume) string {
	return fmt.Sprintf("%s voxels, spacing %.6gx%.6gx%.6g mm, origin (%.7g, %.7g, %.7g) LPS, axes %s %s %s",
		scan.DimsString(v.Dims), v.Spacing[0], v.Spacing[1], v.Spacing[2], v.Origin[0], v.Origin[1], v.Origin[2],
		vec3.String(v.Direction[0]), vec3.String(v.Direction[1]), vec3.String(v.Direction[2]))
}
