package scan

import (
	"fmt"
	"math"

	"liverseg/scan/internal/vec3"
)

// Every label reader (here, in scan/nifti and in scan/pngstack) checks what its file states of the
// voxel grid against the volume through LabelGrid.Check, and places a slice that carries its own
// position through labelSlice, so that a mask folder, a PNG stack, a NIfTI file and a SEG refuse
// the same mismatch alike: a mask of another patient, at another pixel spacing, must not be scored
// as if it fitted.

// Tolerances of a label's grid against the volume's. Directions are unit vectors, so 1e-3 is about
// 0.06°; spacings compare relatively, since NIfTI keeps them in float32 and writers recompute them
// from positions.
const (
	// DirectionTolerance is how far (the length of the difference of unit vectors) a label's axis
	// may lie from the volume's and still be the same axis.
	DirectionTolerance = 1e-3
	labelSpacingTol    = 1e-3
)

// LabelGrid is the voxel grid a label file states, in the volume's axis order (columns, rows,
// slices). A zero field is one the format does not state and is not checked: a PNG stack states
// no spacing, a mask folder or a SEG no slice count (their slices are placed one by one).
type LabelGrid struct {
	What      string        // the part of the label the errors speak of: "PNG files", "frame 3"
	Dims      [3]int        // columns, rows, slices
	Spacing   [3]float64    // mm along the columns, rows and slices
	Direction [3][3]float64 // LPS directions of the column, row and slice axes
}

// Check refuses a label whose grid is not ref's. The error wraps ErrGeometry and says both
// values; the caller names the file.
func (g LabelGrid) Check(ref *Volume) error {
	if ref == nil || ref.Dims[0] <= 0 || ref.Dims[1] <= 0 || ref.Dims[2] <= 0 {
		return fmt.Errorf("%w: no valid volume to align the label to", ErrGeometry)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrGeometry, g.What, fmt.Sprintf(format, args...))
	}
	if (g.Dims[0] != 0 || g.Dims[1] != 0) && (g.Dims[0] != ref.Dims[0] || g.Dims[1] != ref.Dims[1]) {
		return fail("%dx%d pixels, the volume's slices are %dx%d", g.Dims[0], g.Dims[1], ref.Dims[0], ref.Dims[1])
	}
	if g.Dims[2] != 0 && g.Dims[2] != ref.Dims[2] {
		return fail("%d slices, the volume has %d", g.Dims[2], ref.Dims[2])
	}
	for a := 0; a < 2; a++ {
		// NaN fails the comparison too.
		if s := g.Spacing[a]; s != 0 && !(math.Abs(s-ref.Spacing[a]) <= labelSpacingTol*ref.Spacing[a]) {
			return fail("pixel spacing %sx%s mm (columns x rows), the volume's %.6gx%.6g mm",
				spacingString(g.Spacing[0]), spacingString(g.Spacing[1]), ref.Spacing[0], ref.Spacing[1])
		}
	}
	if s := g.Spacing[2]; s != 0 && !(math.Abs(s-ref.Spacing[2]) <= labelSpacingTol*ref.Spacing[2]) {
		return fail("slice spacing %.6g mm, the volume's %.6g mm", s, ref.Spacing[2])
	}
	axes := [3]string{"columns", "rows", "slices"}
	for a, d := range g.Direction {
		if d == ([3]float64{}) {
			continue
		}
		if !vec3.Finite(d[:]...) || !(vec3.Norm(vec3.Sub(vec3.Unit(d), vec3.Unit(ref.Direction[a]))) <= DirectionTolerance) {
			return fail("%s run along %s, the volume's along %s", axes[a], vec3.String(vec3.Unit(d)), vec3.String(ref.Direction[a]))
		}
	}
	return nil
}

// spacingString prints a stated spacing, or says that it is not stated.
func spacingString(s float64) string {
	if s == 0 {
		return "?"
	}
	return fmt.Sprintf("%.6g", s)
}

// labelSlice is the slice of ref whose plane holds pos, the ImagePositionPatient of a label's
// slice: its corner must lie within half the smallest voxel side of that slice's corner. The
// error wraps ErrGeometry; what names the label's slice ("frame 3").
func labelSlice(ref *Volume, pos [3]float64, what string) (int, error) {
	if !vec3.Finite(pos[:]...) {
		return 0, fmt.Errorf("%w: %s: position %v is not a number", ErrGeometry, what, pos)
	}
	k := math.Round(vec3.Dot(vec3.Sub(pos, ref.Origin), ref.Direction[2]) / ref.Spacing[2])
	if len(ref.Series.Positions) == ref.Dims[2] {
		// The slices' own positions, where the headers gave them: on a series with uneven steps
		// or a gap the even grid is not where the slices are (the writer places frames there).
		k = float64(nearestSlice(ref, pos))
	}
	if !(k >= 0 && k < float64(ref.Dims[2])) {
		return 0, fmt.Errorf("%w: %s at (%.2f, %.2f, %.2f) mm is outside the volume's %d slices", ErrGeometry,
			what, pos[0], pos[1], pos[2], ref.Dims[2])
	}
	tol := 0.5 * min(ref.Spacing[0], ref.Spacing[1], ref.Spacing[2])
	if d := vec3.Norm(vec3.Sub(pos, slicePosition(ref, int(k)))); !(d <= tol) {
		return 0, fmt.Errorf("%w: %s at (%.2f, %.2f, %.2f) mm is %.2f mm from slice %d of the volume, on no slice",
			ErrGeometry, what, pos[0], pos[1], pos[2], d, int(k))
	}
	return int(k), nil
}

// nearestSlice is the slice of ref whose own position (Series.Positions) is nearest to pos along
// the slice axis; -1 when pos lies beyond the first or last slice by more than a step.
func nearestSlice(ref *Volume, pos [3]float64) int {
	best, bestD := -1, math.Inf(1)
	for k, p := range ref.Series.Positions {
		if d := math.Abs(vec3.Dot(vec3.Sub(pos, p), ref.Direction[2])); d < bestD {
			best, bestD = k, d
		}
	}
	if bestD > ref.Spacing[2] {
		return -1
	}
	return best
}
