package mesh

// Signed distances from a surface to a truth mask, for colouring a prediction's surface in the
// 3D view: how far, in mm, each point of it lies outside (positive) or inside (negative) the truth.

import (
	"fmt"
	"math"

	"liverseg/scan"
)

// SignedDistance is, for each vertex of m (in LPS mm on v's grid, as Build makes them), its
// distance in mm to the surface of truth (a mask on v): positive outside the truth, negative
// inside. The truth's surface lies halfway between its boundary voxels and the unset voxels
// beside them (where Build puts it); the distance at a voxel centre is the mean of the exact
// Euclidean distances (Felzenszwalb-Huttenlocher, through the voxel spacing, on the truth's and
// the mesh's bounding box plus a margin) to the nearest truth voxel with an unset 6-neighbour and
// to the nearest unset voxel with a truth 6-neighbour, and at a vertex the trilinear interpolation
// of the eight voxel centres around it. So a vertex of the truth's own surface gets 0, and one
// a voxel outside it along a column gets that column's spacing. Like scan.CompareSurfaces it
// measures on the voxel grid: on a gantry-tilted series it ignores the shear. An empty truth is
// an error wrapping ErrEmpty (the view says there is no truth to compare with).
func SignedDistance(m *Mesh, truth *scan.Mask, v *scan.Volume) ([]float32, error) {
	if m == nil || truth == nil || v == nil {
		return nil, fmt.Errorf("mesh: signed distance: no mesh, truth or volume")
	}
	if err := v.CheckMask(truth); err != nil {
		return nil, fmt.Errorf("truth: %w", err)
	}
	tb, ok := maskBox(truth)
	if !ok {
		return nil, fmt.Errorf("truth: %w", ErrEmpty)
	}
	toVoxel, err := voxelMap(v)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(m.Vertices))
	if len(m.Vertices) == 0 {
		return out, nil
	}
	// The vertices in voxel indices, and the box: the truth's and theirs, with a margin of two
	// voxels so that every feature and every interpolation corner lies inside it, clamped to
	// that margin around the volume (a mesh built on v never leaves it).
	idx := make([][3]float32, len(m.Vertices))
	const margin = 2
	b := tb
	for a := range 3 {
		b.lo[a] -= margin
		b.hi[a] += margin
	}
	for i, p := range m.Vertices {
		q := toVoxel(p)
		for a := range 3 {
			idx[i][a] = float32(q[a])
			b.lo[a] = min(b.lo[a], int(math.Floor(q[a]))-margin)
			b.hi[a] = max(b.hi[a], int(math.Ceil(q[a]))+margin+1)
		}
	}
	for a := range 3 {
		b.lo[a] = max(b.lo[a], -margin)
		b.hi[a] = min(b.hi[a], v.Dims[a]+margin)
	}
	d := [3]int{b.hi[0] - b.lo[0], b.hi[1] - b.lo[1], b.hi[2] - b.lo[2]}
	// Boundary voxels on either side of the truth's surface, as offsets into the box. The
	// truth is read a row at a time (the row and its four neighbours), one column wider on
	// either side of the box.
	in := func(x, y, z int) bool {
		return x >= 0 && y >= 0 && z >= 0 && x < v.Dims[0] && y < v.Dims[1] && z < v.Dims[2] && truth.AtIJK(x, y, z) != 0
	}
	rows := [5][]uint8{}
	for r := range rows {
		rows[r] = make([]uint8, d[0]+2)
	}
	var inner, outer []int32 // a box holds fewer than 2^31 voxels (scan.MaxVoxels)
	for z := b.lo[2]; z < b.hi[2]; z++ {
		for y := b.lo[1]; y < b.hi[1]; y++ {
			boxRow(truth, b.lo[0]-1, y, z, rows[0])
			boxRow(truth, b.lo[0]-1, y-1, z, rows[1])
			boxRow(truth, b.lo[0]-1, y+1, z, rows[2])
			boxRow(truth, b.lo[0]-1, y, z-1, rows[3])
			boxRow(truth, b.lo[0]-1, y, z+1, rows[4])
			cur := rows[0]
			for i := 1; i <= d[0]; i++ {
				here := cur[i]
				if cur[i-1] == here && cur[i+1] == here && rows[1][i] == here &&
					rows[2][i] == here && rows[3][i] == here && rows[4][i] == here {
					continue
				}
				o := int32((i - 1) + d[0]*((y-b.lo[1])+d[1]*(z-b.lo[2])))
				if here != 0 {
					inner = append(inner, o)
				} else {
					outer = append(outer, o)
				}
			}
		}
	}
	// Each vertex's lower interpolation corner in the box and its weights there.
	base := make([][3]int, len(idx))
	frac := make([][3]float64, len(idx))
	for i, p := range idx {
		for a := range 3 {
			x := float64(p[a]) - float64(b.lo[a])
			base[i][a] = min(max(int(math.Floor(x)), 0), d[a]-2)
			frac[i][a] = min(max(x-float64(base[i][a]), 0), 1)
		}
	}
	// The vertices by the slice of their lower corners: the transform comes a slice at a time
	// (the box of a 1000-slice liver is 130-200 MB of float32, a slice a few hundred KB), and a
	// vertex is interpolated once its two slices have come.
	byZ := make([][]int32, d[2])
	for i := range base {
		byZ[base[i][2]] = append(byZ[base[i][2]], int32(i))
	}
	inside := func(at [3]int) bool { return in(at[0]+b.lo[0], at[1]+b.lo[1], at[2]+b.lo[2]) }
	prev := make([]float32, d[0]*d[1])
	acc := make([]float64, len(m.Vertices))
	for _, features := range [][]int32{inner, outer} {
		scan.SquaredDistanceSlices(features, d, v.Spacing, func(z int, sq []float32) {
			if z > 0 {
				for _, i := range byZ[z-1] {
					acc[i] += interpolate(prev, sq, base[i], frac[i], d, inside) / 2
				}
			}
			copy(prev, sq)
		})
	}
	for i, x := range acc {
		out[i] = float32(x)
	}
	return out, nil
}

// interpolate is the trilinear interpolation, at the corner base plus f, of the distance to a
// feature (the square root of the squared distances lower, of slice base[2], and upper, of the
// slice after it), negative at the corners inside the truth.
func interpolate(lower, upper []float32, base [3]int, f [3]float64, d [3]int, inside func([3]int) bool) float64 {
	var s float64
	for c := range 8 {
		w := 1.0
		at := base
		for a := range 3 {
			if c>>a&1 == 1 {
				w *= f[a]
				at[a]++
			} else {
				w *= 1 - f[a]
			}
		}
		if w == 0 {
			continue
		}
		sl := lower
		if at[2] > base[2] {
			sl = upper
		}
		dist := math.Sqrt(float64(sl[at[0]+d[0]*at[1]]))
		if inside(at) {
			dist = -dist
		}
		s += w * dist
	}
	return s
}

// voxelMap is the inverse of v.Position: LPS mm to fractional voxel indices.
func voxelMap(v *scan.Volume) (func([3]float32) [3]float64, error) {
	a := v.Affine()
	det := det3(a)
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return nil, fmt.Errorf("%w: the volume's axes (spacing %v, direction %v) span no space", scan.ErrGeometry, v.Spacing, v.Direction)
	}
	var inv [3][3]float64
	for r := range 3 {
		for c := range 3 {
			// The cofactor of (c, r) over the determinant.
			r1, r2 := (c+1)%3, (c+2)%3
			c1, c2 := (r+1)%3, (r+2)%3
			inv[r][c] = (a[r1][c1]*a[r2][c2] - a[r1][c2]*a[r2][c1]) / det
		}
	}
	return func(p [3]float32) [3]float64 {
		q := [3]float64{float64(p[0]) - a[0][3], float64(p[1]) - a[1][3], float64(p[2]) - a[2][3]}
		var out [3]float64
		for r := range 3 {
			out[r] = inv[r][0]*q[0] + inv[r][1]*q[1] + inv[r][2]*q[2]
		}
		return out
	}, nil
}

// boxRow writes into dst whether each voxel of row y of slice z, from column x0 on, is set (1)
// or not (0); voxels outside the volume are not.
func boxRow(m *scan.Mask, x0, y, z int, dst []uint8) {
	clear(dst)
	if y < 0 || z < 0 || y >= m.Dims[1] || z >= m.Dims[2] {
		return
	}
	rx, row := m.Row(z, y)
	lo, hi := max(x0, rx), min(x0+len(dst), rx+len(row))
	for x := lo; x < hi; x++ {
		dst[x-x0] = min(row[x-rx], 1)
	}
}
