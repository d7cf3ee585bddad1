// Package scantest holds what the tests of scan's format packages (scan/nifti, scan/pngstack,
// scan/labels) and scan's external tests share: a small volume with a real, awkward geometry, a
// mask that no flip or permutation matches, and the guards for calls that must not block. Only tests
// import it.
package scantest

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liverseg/internal/testfiles"
	"liverseg/scan"
	"liverseg/scan/internal/vec3"
)

// Volume is a small volume with a non-trivial geometry when oblique: rotated about z by 30° and
// about x by 10°, with the slice axis pointing against the row × column normal (a left-handed
// frame, so a NIfTI qform needs qfac -1), anisotropic spacing and an origin away from zero.
func Volume(dims [3]int, oblique bool) *scan.Volume {
	v := &scan.Volume{
		Dims:      dims,
		Spacing:   [3]float64{0.75, 0.8, 2.5},
		Origin:    [3]float64{-180.25, -150.5, 42.125},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
	if oblique {
		cz, sz := math.Cos(math.Pi/6), math.Sin(math.Pi/6)
		cx, sx := math.Cos(math.Pi/18), math.Sin(math.Pi/18)
		// Rz * Rx, columns are the axes
		rz := [3][3]float64{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}
		rx := [3][3]float64{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}
		var r [3][3]float64
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				for k := 0; k < 3; k++ {
					r[i][j] += rz[i][k] * rx[k][j]
				}
			}
		}
		for ax := 0; ax < 3; ax++ {
			v.Direction[ax] = [3]float64{r[0][ax], r[1][ax], r[2][ax]}
		}
		v.Direction[2] = vec3.Scale(v.Direction[2], -1)
	}
	v.Voxels = make([]int16, v.Len())
	for i := range v.Voxels {
		v.Voxels[i] = int16((i*37)%3000 - 1024)
	}
	return v
}

// Mask is a deterministic blob plus scattered voxels, so that a flipped or permuted read-back
// cannot match by symmetry.
func Mask(dims [3]int) *scan.Mask {
	m := scan.NewMask(dims)
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				in := i < dims[0]/2 && j > dims[1]/3 && k >= 1
				if in || (i*7+j*13+k*31)%11 == 0 {
					m.SetIJK(i, j, k, scan.Liver)
				}
			}
		}
	}
	return m
}

// Count is the number of nonzero voxels.
func Count(b []uint8) int { return len(b) - bytes.Count(b, []byte{0}) }

// RefuseFIFO checks that each entry, given a FIFO (named ct, pred, pred.nii and pred.dcm in
// turn, so that no name makes it try a format first), refuses it at once with scan.ErrNotRegular
// naming the path.
func RefuseFIFO(t *testing.T, entries map[string]func(path string) error) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"ct", "pred", "pred.nii", "pred.dcm"} {
		fifo := testfiles.MkFIFO(t, filepath.Join(dir, name))
		for entry, f := range entries {
			t.Run(entry+" "+name, func(t *testing.T) {
				err := Within(t, 5*time.Second, fifo, func() error { return f(fifo) })
				if !errors.Is(err, scan.ErrNotRegular) || !strings.Contains(err.Error(), fifo) {
					t.Errorf("got %v, want ErrNotRegular naming %s", err, fifo)
				}
			})
		}
	}
}

// Within runs f and fails the test when it has not returned after d: a read that blocks (on a
// FIFO) must not hang the test (the goroutine is left behind, blocked, when it does).
func Within(t testing.TB, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %v", what, d)
		return nil
	}
}
