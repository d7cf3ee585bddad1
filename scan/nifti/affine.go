package nifti

// The affine: the sform, the qform (a quaternion, its offsets and the pixdims) or the pixdims
// alone, in NIfTI's RAS; and the step to and from a Volume's LPS geometry.

import (
	"fmt"
	"math"

	"liverseg/scan"
	"liverseg/scan/internal/vec3"
)

// affineOf is a header's voxel→RAS affine: the sform when its code is set, else the qform, else
// the standard's "method 1", a diagonal of the pixdims. It refuses one that is not finite or that
// is degenerate; source names the one used, for messages.
func affineOf(r *rawHeader) (ras [3][4]float64, source string, err error) {
	switch {
	case r.SformCode > 0:
		source = "sform"
		for row := 0; row < 3; row++ {
			for c := 0; c < 4; c++ {
				ras[row][c] = float64(r.Srow[row][c])
			}
		}
	case r.QformCode > 0:
		source = "qform"
		q := [6]float64{float64(r.Quatern[0]), float64(r.Quatern[1]), float64(r.Quatern[2]),
			float64(r.Qoffset[0]), float64(r.Qoffset[1]), float64(r.Qoffset[2])}
		if !vec3.Finite(q[:]...) {
			return ras, source, fmt.Errorf("%w: qform has a non-finite value %v", scan.ErrGeometry, q)
		}
		sp, err := pixdimSpacing(r.Pixdim)
		if err != nil {
			return ras, source, err
		}
		qfac := 1.0
		if r.Pixdim[0] < 0 {
			qfac = -1
		}
		rot := quaternToRotation(q[0], q[1], q[2])
		for row := 0; row < 3; row++ {
			ras[row][0] = rot[row][0] * sp[0]
			ras[row][1] = rot[row][1] * sp[1]
			ras[row][2] = rot[row][2] * sp[2] * qfac
			ras[row][3] = q[3+row]
		}
	default:
		source = "pixdim"
		sp, err := pixdimSpacing(r.Pixdim)
		if err != nil {
			return ras, source, err
		}
		for row := 0; row < 3; row++ {
			ras[row][row] = sp[row]
		}
	}
	for row := 0; row < 3; row++ {
		if !vec3.Finite(ras[row][:]...) {
			return ras, source, fmt.Errorf("%w: %s has a non-finite value", scan.ErrGeometry, source)
		}
	}
	if math.Abs(det(ras)) < 1e-12 {
		return ras, source, fmt.Errorf("%w: %s is degenerate (an axis of length 0 or axes in one plane)", scan.ErrGeometry, source)
	}
	return ras, source, nil
}

// pixdimSpacing is the voxel size pixdim[1..3], each finite and nonzero.
func pixdimSpacing(pixdim [8]float32) ([3]float64, error) {
	var sp [3]float64
	for i := 0; i < 3; i++ {
		v := math.Abs(float64(pixdim[i+1])) // nibabel also reads negative pixdims as their magnitude
		if !vec3.Finite(v) || v == 0 {
			return sp, fmt.Errorf("%w: pixdim[%d] = %g", scan.ErrGeometry, i+1, float64(pixdim[i+1]))
		}
		sp[i] = v
	}
	return sp, nil
}

// quaternToRotation is nifti_quatern_to_mat44 without the scaling: the rotation whose quaternion
// is (a, b, c, d), a computed so that the quaternion has unit length.
func quaternToRotation(b, c, d float64) [3][3]float64 {
	a := 1 - (b*b + c*c + d*d)
	if a < 1e-7 {
		// b, c, d already (almost) a unit vector: a 180° rotation; renormalise as nifti1_io does.
		n := math.Sqrt(b*b + c*c + d*d)
		b, c, d, a = b/n, c/n, d/n, 0
	} else {
		a = math.Sqrt(a)
	}
	return [3][3]float64{
		{a*a + b*b - c*c - d*d, 2 * (b*c - a*d), 2 * (b*d + a*c)},
		{2 * (b*c + a*d), a*a + c*c - b*b - d*d, 2 * (c*d - a*b)},
		{2 * (b*d - a*c), 2 * (c*d + a*b), a*a + d*d - c*c - b*b},
	}
}

// qformOf splits a voxel→RAS affine into what a qform stores: the voxel size along each axis and
// the quaternion (b, c, d, with qfac) of the axes' rotation.
func qformOf(ras [3][4]float64) (spacing [3]float64, b, c, d, qfac float64) {
	var rot [3][3]float64
	for ax := 0; ax < 3; ax++ {
		col := [3]float64{ras[0][ax], ras[1][ax], ras[2][ax]}
		spacing[ax] = vec3.Norm(col)
		for w := 0; w < 3; w++ {
			if spacing[ax] > 0 {
				rot[w][ax] = col[w] / spacing[ax]
			}
		}
	}
	b, c, d, qfac = rotationToQuatern(rot)
	return spacing, b, c, d, qfac
}

// rotationToQuatern is nifti_mat44_to_quatern for an orthonormal matrix whose columns are the
// voxel axes: it returns b, c, d and qfac (-1 when the frame is left-handed, in which case the
// third column is negated to make a rotation first). A matrix that is not orthonormal (a sheared
// grid) is orthonormalised first; the sform, which liverseg also writes, stays exact.
func rotationToQuatern(m [3][3]float64) (b, c, d, qfac float64) {
	cols := [3][3]float64{}
	for ax := 0; ax < 3; ax++ {
		cols[ax] = [3]float64{m[0][ax], m[1][ax], m[2][ax]}
	}
	// Gram-Schmidt, keeping the first two axes' directions (the in-plane axes matter most).
	cols[0] = vec3.Unit(cols[0])
	cols[1] = vec3.Unit(vec3.Sub(cols[1], vec3.Scale(cols[0], vec3.Dot(cols[0], cols[1]))))
	n := vec3.Cross(cols[0], cols[1])
	qfac = 1
	if vec3.Dot(n, cols[2]) < 0 {
		qfac = -1
	}
	cols[2] = n // right-handed third axis; qfac carries the sign
	var r [3][3]float64
	for ax := 0; ax < 3; ax++ {
		for w := 0; w < 3; w++ {
			r[w][ax] = cols[ax][w]
		}
	}
	var a float64
	if t := r[0][0] + r[1][1] + r[2][2] + 1; t > 0.5 {
		a = 0.5 * math.Sqrt(t)
		b = 0.25 * (r[2][1] - r[1][2]) / a
		c = 0.25 * (r[0][2] - r[2][0]) / a
		d = 0.25 * (r[1][0] - r[0][1]) / a
	} else {
		xd := 1 + r[0][0] - (r[1][1] + r[2][2])
		yd := 1 + r[1][1] - (r[0][0] + r[2][2])
		zd := 1 + r[2][2] - (r[0][0] + r[1][1])
		switch {
		case xd > 1:
			b = 0.5 * math.Sqrt(xd)
			c = 0.25 * (r[0][1] + r[1][0]) / b
			d = 0.25 * (r[0][2] + r[2][0]) / b
			a = 0.25 * (r[2][1] - r[1][2]) / b
		case yd > 1:
			c = 0.5 * math.Sqrt(yd)
			b = 0.25 * (r[0][1] + r[1][0]) / c
			d = 0.25 * (r[1][2] + r[2][1]) / c
			a = 0.25 * (r[0][2] - r[2][0]) / c
		default:
			d = 0.5 * math.Sqrt(zd)
			b = 0.25 * (r[0][2] + r[2][0]) / d
			c = 0.25 * (r[1][2] + r[2][1]) / d
			a = 0.25 * (r[1][0] - r[0][1]) / d
		}
		if a < 0 {
			// The stored quaternion has a >= 0 implied; (−a,−b,−c,−d) is the same rotation.
			b, c, d = -b, -c, -d
		}
	}
	return b, c, d, qfac
}

// flipRAS turns an RAS affine into an LPS one, or back: the first two rows negated.
func flipRAS(m [3][4]float64) [3][4]float64 {
	for c := 0; c < 4; c++ {
		m[0][c], m[1][c] = -m[0][c], -m[1][c]
	}
	return m
}

// rasOf is v's voxel→RAS affine.
func rasOf(v *scan.Volume) [3][4]float64 {
	a := v.Affine()
	return flipRAS([3][4]float64{a[0], a[1], a[2]})
}

// setGeometry fills the volume's LPS Origin, Spacing and Direction from the header's affine.
func setGeometry(v *scan.Volume, h *header) error {
	l := h.lps()
	for ax := 0; ax < 3; ax++ {
		col := [3]float64{l[0][ax], l[1][ax], l[2][ax]}
		s := vec3.Norm(col)
		if s == 0 || !vec3.Finite(s) {
			return fmt.Errorf("%w: %s axis %d has length %g", scan.ErrGeometry, h.rasSource, ax, s)
		}
		v.Spacing[ax] = s
		v.Direction[ax] = vec3.Scale(col, 1/s)
	}
	for a := 0; a < 3; a++ {
		v.Origin[a] = l[a][3]
	}
	const orthoTol = 1e-3
	if math.Abs(vec3.Dot(v.Direction[0], v.Direction[1])) > orthoTol ||
		math.Abs(vec3.Dot(v.Direction[0], v.Direction[2])) > orthoTol ||
		math.Abs(vec3.Dot(v.Direction[1], v.Direction[2])) > orthoTol {
		v.Warnings = append(v.Warnings, fmt.Sprintf("the %s axes are not orthogonal (a sheared grid)", h.rasSource))
	}
	return nil
}

// det is the determinant of the 3x3 part of an affine.
func det(m [3][4]float64) float64 {
	return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
}
