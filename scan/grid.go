package scan

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"liverseg/scan/internal/vec3"
)

// A NIfTI file has no slice positions: it puts slice k at Origin + k*Spacing[2]*Direction[2].
// Where a slice is missing or the steps are uneven, the slices of the series are not there, and a
// file written on that grid closes the gaps: every slice after a gap lands in the wrong place
// (the highdicom CT's 202 mm gap became 1.25 mm, its SEG 202 mm off). dcm2niix warns about such
// a series; liverseg refuses to write it on the grid unless told to (convert/segment --allow-gaps).

// ErrOffGrid: the slices of a series do not lie on the even grid of its volume.
var ErrOffGrid = errors.New("slices not on an even grid")

// gridTolerance is how far (mm) a slice may lie from its place on the grid: 1% of the step, and
// never less than 0.01 mm (positions are written with a few decimals).
func gridTolerance(step float64) float64 { return max(0.01, 0.01*step) }

// gridExamples is how many gaps or uneven steps an error names.
const gridExamples = 3

// CheckGrid says whether every slice of v lies where v's grid puts it, from the positions its
// headers gave (Series.Positions). The error wraps ErrOffGrid, names the series, and says which
// slices are missing or uneven: their numbers in the volume (from 0), files and positions along
// the slice axis. A volume without positions (none in the headers, or not from DICOM) has nothing
// to check and passes.
func (v *Volume) CheckGrid() error {
	pos := v.Series.Positions
	n := len(pos)
	if n < 2 || n != v.Dims[2] {
		return nil
	}
	step, axis := v.Spacing[2], v.Direction[2]
	tol := gridTolerance(step)
	at := func(k int) float64 { return vec3.Dot(pos[k], axis) }
	name := func(k int) string {
		if len(v.Series.Files) == n {
			return filepath.Base(v.Series.Files[k])
		}
		return "frame " + fmt.Sprint(k+1)
	}
	between := func(k int) string {
		return fmt.Sprintf("%.2f mm between slice %d (%s, at %.2f mm) and slice %d (%s, at %.2f mm)",
			at(k+1)-at(k), k, name(k), at(k), k+1, name(k+1), at(k+1))
	}
	missing := 0
	var gaps, uneven []string
	for k := 0; k+1 < n; k++ {
		d := at(k+1) - at(k)
		switch {
		case math.Abs(d-step) <= tol:
		case d > 1.5*step:
			missing += max(1, int(math.Round(d/step))-1)
			gaps = append(gaps, between(k))
		default:
			uneven = append(uneven, between(k))
		}
	}
	var parts []string
	if missing > 0 {
		parts = append(parts, fmt.Sprintf("about %d missing slices (%s)", missing, examples(gaps)))
	}
	if len(uneven) > 0 {
		parts = append(parts, fmt.Sprintf("uneven steps (%s)", examples(uneven)))
	}
	if len(parts) == 0 {
		// Every step within the tolerance can still drift off the grid, and a slice can lie off
		// to the side of it.
		worst, dev := -1, tol
		for k, p := range pos {
			g := [3]float64{}
			for i := range g {
				g[i] = v.Origin[i] + float64(k)*step*axis[i]
			}
			if d := vec3.Norm(vec3.Sub(p, g)); d > dev {
				worst, dev = k, d
			}
		}
		if worst < 0 {
			return nil
		}
		parts = append(parts, fmt.Sprintf("uneven: slice %d (%s) lies %.3f mm from its place on the grid", worst, name(worst), dev))
	}
	return fmt.Errorf("%s: %w of %.3f mm steps: %s", v.Series.Path, ErrOffGrid, step, strings.Join(parts, "; "))
}

// examples joins the first few of list, saying how many more there are.
func examples(list []string) string {
	if len(list) <= gridExamples {
		return strings.Join(list, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(list[:gridExamples], "; "), len(list)-gridExamples)
}
