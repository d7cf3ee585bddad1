package view3d

import (
	"fmt"

	"liverseg/scan"
)

// PlaneCorners is slice s of plane p of volume v as a rectangle in LPS mm: the slice's centre
// plane, out to the outer edges of its first and last columns and rows (half a voxel beyond
// their centres), so that the outline frames the slice image the plane's pane shows. The
// corners run top-left, top-right, bottom-right, bottom-left as that pane shows them. On a
// tilted (gantry) volume the rectangle is tilted with it.
func PlaneCorners(v *scan.Volume, p scan.Plane, s int) ([4][3]float64, error) {
	var out [4][3]float64
	if int(p) >= len(scan.Planes) {
		return out, fmt.Errorf("view3d: %v", p)
	}
	for a := 0; a < 3; a++ {
		if v.Dims[a] <= 0 {
			return out, fmt.Errorf("view3d: volume of %s voxels", scan.DimsString(v.Dims))
		}
	}
	pc := scan.NewCanonical(v.Dims, v.Spacing, v.Direction).Plane(p)
	if s < 0 || s >= pc.Dims[2] {
		return out, fmt.Errorf("view3d: %v slice %d of %d", p, s, pc.Dims[2])
	}
	cols, rows := float64(pc.Dims[0]), float64(pc.Dims[1])
	for i, c := range [4][2]float64{{-0.5, -0.5}, {cols - 0.5, -0.5}, {cols - 0.5, rows - 0.5}, {-0.5, rows - 0.5}} {
		out[i] = v.Position(planeToVoxel(pc, [3]float64{c[0], c[1], float64(s)}))
	}
	return out, nil
}

// planeToVoxel maps (fractional) column, row and slice of the plane view pc to volume voxel
// indices: each of pc's axes runs along volume axis pc.Axis[a], against it when pc.Flip[a].
func planeToVoxel(pc scan.Canonical, u [3]float64) (i, j, k float64) {
	var idx [3]float64
	for a := 0; a < 3; a++ {
		x := u[a]
		if pc.Flip[a] {
			x = float64(pc.Dims[a]-1) - x
		}
		idx[pc.Axis[a]] = x
	}
	return idx[0], idx[1], idx[2]
}
