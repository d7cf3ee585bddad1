package inference

import (
	"bytes"
	"strings"
	"testing"

	"liverseg/scan"
)

// maskFrom builds a mask from slices drawn as text: '#' is liver, '.' background.
func maskFrom(slices ...string) *scan.Mask {
	var rows [][]string
	for _, s := range slices {
		rows = append(rows, strings.Fields(s))
	}
	dims := [3]int{len(rows[0][0]), len(rows[0]), len(rows)}
	m := scan.NewMask(dims)
	for k, sl := range rows {
		for j, r := range sl {
			for i, ch := range r {
				if ch == '#' {
					m.Set((k*dims[1]+j)*dims[0]+i, 1)
				}
			}
		}
	}
	return m
}

func drawMask(m *scan.Mask) string {
	var b strings.Builder
	for k := 0; k < m.Dims[2]; k++ {
		for j := 0; j < m.Dims[1]; j++ {
			for i := 0; i < m.Dims[0]; i++ {
				if m.AtIJK(i, j, k) != 0 {
					b.WriteByte('#')
				} else {
					b.WriteByte('.')
				}
			}
			b.WriteByte(' ')
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func identityCanonical(dims [3]int) scan.Canonical {
	return scan.NewCanonical(dims, [3]float64{1, 1, 1}, [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})
}

// probOf is the probability map of dense volume-ordered voxels on an axial grid.
func probOf(t testing.TB, dims [3]int, voxels []uint8) *scan.Prob {
	t.Helper()
	p, err := scan.ProbFromVoxels(dims, identityCanonical(dims), voxels)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestThresholdByte(t *testing.T) {
	if q := ThresholdByte(0.5); q != 128 {
		t.Fatalf("ThresholdByte(0.5) = %d, want 128", q)
	}
	// Every probability p, stored as Restore stores it, passes exactly when p >= 0.5.
	for i := 0; i <= 1000; i++ {
		p := float32(i) / 1000
		stored := uint8(p*255 + 0.5)
		if (stored >= ThresholdByte(0.5)) != (p >= 0.5) {
			t.Fatalf("p=%v stored %d", p, stored)
		}
	}
	if ThresholdByte(0.001) != 1 || ThresholdByte(0.999) != 255 {
		t.Fatalf("extremes: %d %d", ThresholdByte(0.001), ThresholdByte(0.999))
	}
	prob := probOf(t, [3]int{4, 1, 1}, []uint8{0, 127, 128, 255})
	if got := Threshold(prob, 0.5).Dense(); string(got) != string([]uint8{0, 0, 1, 1}) {
		t.Fatalf("threshold %v", got)
	}
}

func TestKeepLargestComponent(t *testing.T) {
	// Two slices: a 5-voxel component that spans both slices through one face, a 4-voxel one,
	// and two voxels that touch the big one by an edge and a corner only (not 6-connected).
	m := maskFrom(
		"##..... ##..##. .......",
		"#...... ..#.##. ..#....",
	)
	n := KeepLargestComponent(m)
	want := maskFrom(
		"##..... ##..... .......",
		"#...... ....... .......",
	)
	if n != 5 || drawMask(m) != drawMask(want) {
		t.Fatalf("kept %d:\n%s\nwant 5:\n%s", n, drawMask(m), drawMask(want))
	}
	// Diagonal neighbours are separate components: the largest (the 3-voxel bar) stays.
	m = maskFrom("#.... .#... ..### .....")
	if n := KeepLargestComponent(m); n != 3 || drawMask(m) != drawMask(maskFrom("..... ..... ..### .....")) {
		t.Fatalf("diagonals: kept %d:\n%s", n, drawMask(m))
	}
	// Empty stays empty; labels other than 1 count as liver and come out as 1.
	e := scan.NewMask([3]int{3, 3, 3})
	if KeepLargestComponent(e) != 0 {
		t.Fatal("empty mask")
	}
	m = maskFrom("##. ... ...")
	m.Set(1, 7)
	KeepLargestComponent(m)
	if m.At(0) != 1 || m.At(1) != 1 {
		t.Fatalf("labels %v", m.Dense()[:3])
	}
	// A large component (a whole 64^3 cube) does not recurse or overflow.
	big := scan.NewMask([3]int{64, 64, 64})
	for k := 0; k < 64; k++ {
		big.SetSlice(k, bytes.Repeat([]uint8{1}, 64*64))
	}
	if n := KeepLargestComponent(big); n != 64*64*64 {
		t.Fatalf("cube: %d", n)
	}
}

func TestFillHolesAxial(t *testing.T) {
	m := maskFrom(
		"....... .#####. .#...#. .#.#.#. .#...#. .#####. .......",
		// An open ring (a gap at the bottom edge reaches the border): not a hole.
		"....... .#####. .#...#. .#...#. .#...#. .##.##. .......",
		// A hole that touches the slice's border is no hole either.
		"####### #...#.. #####.. ....... ....... ....... .......",
	)
	n := FillHolesAxial(m, identityCanonical(m.Dims))
	want := maskFrom(
		"....... .#####. .#####. .#####. .#####. .#####. .......",
		"....... .#####. .#...#. .#...#. .#...#. .##.##. .......",
		"####### #####.. #####.. ....... ....... ....... .......",
	)
	if drawMask(m) != drawMask(want) || n != 8+3 {
		t.Fatalf("filled %d:\n%s\nwant 11:\n%s", n, drawMask(m), drawMask(want))
	}
}

// TestFillHolesAxialSagittal: holes are filled in axial slices even when the volume is stored
// sagittally (its slice axis runs left to right): a tube along the volume's slice axis has
// holes in the volume's slices but none in the axial planes.
func TestFillHolesAxialSagittal(t *testing.T) {
	// Volume axes as a sagittal DICOM stores them: columns run posterior, rows toward the feet,
	// slices toward the left.
	dir := [3][3]float64{{0, 1, 0}, {0, 0, -1}, {1, 0, 0}}
	dims := [3]int{5, 5, 4}
	can := scan.NewCanonical(dims, [3]float64{1, 1, 1}, dir)
	m := scan.NewMask(dims)
	// In every volume slice, a ring: the hole in the middle is a hole of the sagittal plane.
	for k := 0; k < dims[2]; k++ {
		for j := 1; j <= 3; j++ {
			for i := 1; i <= 3; i++ {
				if i != 2 || j != 2 {
					m.Set((k*dims[1]+j)*dims[0]+i, 1)
				}
			}
		}
	}
	// The ring is a tube along the left-right axis: open at both ends in axial slices.
	if n := FillHolesAxial(m, can); n != 0 {
		t.Fatalf("filled %d voxels of a tube that is open in the axial planes", n)
	}
	// The same rings in a volume stored axially are holes of axial slices.
	axial := scan.NewCanonical(dims, [3]float64{1, 1, 1}, [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})
	if n := FillHolesAxial(m, axial); n != dims[2] {
		t.Fatalf("axial storage: filled %d, want %d", n, dims[2])
	}
}

func TestPostProcess(t *testing.T) {
	// Probabilities: a ring of 200 with a 100 hole (below threshold) and a far small blob.
	prob := probOf(t, [3]int{6, 6, 1}, []uint8{
		0, 0, 0, 0, 0, 0,
		0, 200, 200, 200, 0, 0,
		0, 200, 100, 200, 0, 0,
		0, 200, 200, 200, 0, 0,
		0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 250,
	})
	m := PostProcess(prob, 0.5)
	want := maskFrom("...... .###.. .###.. .###.. ...... ......")
	if drawMask(m) != drawMask(want) {
		t.Fatalf("post-processed:\n%s\nwant:\n%s", drawMask(m), drawMask(want))
	}
	if prob.Voxels()[14] != 100 {
		t.Fatal("the probability map changed")
	}
}

// BenchmarkPostProcess: a CT-sized probability map (512 x 512 x 151) with a liver-sized
// ellipsoid and scattered false positives.
func BenchmarkPostProcess(b *testing.B) {
	dims := [3]int{512, 512, 151}
	voxels := make([]uint8, dims[0]*dims[1]*dims[2])
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				x, y, z := float64(i-180)/120, float64(j-240)/100, float64(k-75)/60
				idx := (k*dims[1]+j)*dims[0] + i
				if x*x+y*y+z*z < 1 {
					voxels[idx] = 230
				}
				if (i*7+j*13+k*31)%997 == 0 {
					voxels[idx] = 200
				}
			}
		}
	}
	prob := probOf(b, dims, voxels)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		PostProcess(prob, 0.5)
	}
}

// BenchmarkPostProcessFull: a probability map that is liver nearly everywhere (an untrained
// model), the worst case of the largest component.
func BenchmarkPostProcessFull(b *testing.B) {
	dims := [3]int{512, 512, 151}
	voxels := make([]uint8, dims[0]*dims[1]*dims[2])
	for i := range voxels {
		if i%97 != 0 {
			voxels[i] = 200
		}
	}
	prob := probOf(b, dims, voxels)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		PostProcess(prob, 0.5)
	}
}

func TestNonzeroSpan(t *testing.T) {
	for n := 0; n < 40; n++ {
		for a := -1; a < n; a++ {
			for b := a; b < n; b += 3 {
				row := make([]uint8, n)
				wantF, wantL := -1, -1
				if a >= 0 {
					row[a] = 1
					row[max(b, a)] = 5
					wantF, wantL = a, max(b, a)
				}
				if f, l := nonzeroSpan(row); f != wantF || l != wantL {
					t.Fatalf("n %d, ones at %d and %d: span %d..%d", n, a, b, f, l)
				}
			}
		}
	}
}
