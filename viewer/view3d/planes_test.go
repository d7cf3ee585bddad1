package view3d

import (
	"math"
	"testing"

	"liverseg/scan"
)

// TestPlaneCorners checks each plane's rectangle by what it means in the patient, on a plain
// volume and on a sagittal acquisition stored with its rows and slices reversed: the axial
// slice is a constant height, the coronal one a constant depth, the sagittal one a constant
// side; each spans the volume's extent (to the voxels' outer edges) in its two directions; the
// top-left corner is the one its pane shows there (axial: right-anterior, coronal:
// right-superior, sagittal: anterior-superior).
func TestPlaneCorners(t *testing.T) {
	plain := &scan.Volume{
		Dims:      [3]int{40, 30, 20},
		Spacing:   [3]float64{0.8, 0.8, 2.5},
		Origin:    [3]float64{-16, -12, 100},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
	// columns run toward posterior, rows toward inferior, slices toward the patient's right
	sagittal := &scan.Volume{
		Dims:      [3]int{30, 20, 40},
		Spacing:   [3]float64{0.8, 2.5, 0.8},
		Origin:    [3]float64{15.2, -12, 147.5},
		Direction: [3][3]float64{{0, 1, 0}, {0, 0, -1}, {-1, 0, 0}},
	}
	// both cover x in [-16.4, 15.6] mm, y in [-12.4, 11.6], z in [98.75, 148.75]
	lo, hi := [3]float64{-16.4, -12.4, 98.75}, [3]float64{15.6, 11.6, 148.75}
	for name, v := range map[string]*scan.Volume{"plain": plain, "sagittal acquisition": sagittal} {
		for _, c := range []struct {
			plane  scan.Plane
			slice  int
			axis   int     // the patient axis the plane is constant along
			at     float64 // where, mm
			tl     [3]float64
			across [2]int // the patient axes of its columns and rows
		}{
			{scan.Axial, 3, 2, 100 + 3*2.5, [3]float64{lo[0], lo[1], 0}, [2]int{0, 1}},
			{scan.Coronal, 7, 1, -12 + 7*0.8, [3]float64{lo[0], 0, hi[2]}, [2]int{0, 2}},
			{scan.Sagittal, 11, 0, -16 + 11*0.8, [3]float64{0, lo[1], hi[2]}, [2]int{1, 2}},
		} {
			got, err := PlaneCorners(v, c.plane, c.slice)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range got {
				if math.Abs(p[c.axis]-c.at) > 1e-9 {
					t.Errorf("%s %v: corner %d %v, want %c = %v", name, c.plane, i, p, "xyz"[c.axis], c.at)
				}
			}
			for _, a := range c.across {
				if math.Abs(got[0][a]-c.tl[a]) > 1e-9 {
					t.Errorf("%s %v: top-left corner %v, want %v along %c", name, c.plane, got[0], c.tl[a], "xyz"[a])
				}
				if math.Abs(math.Abs(got[2][a]-got[0][a])-(hi[a]-lo[a])) > 1e-9 {
					t.Errorf("%s %v: corners %v and %v do not span the volume along %c", name, c.plane, got[0], got[2], "xyz"[a])
				}
			}
		}
	}
	if _, err := PlaneCorners(plain, scan.Axial, 20); err == nil {
		t.Error("axial slice 20 of 20")
	}
	if _, err := PlaneCorners(plain, scan.Coronal, -1); err == nil {
		t.Error("coronal slice -1")
	}
	if _, err := PlaneCorners(plain, scan.Plane(3), 0); err == nil {
		t.Error("plane 3")
	}
	if _, err := PlaneCorners(&scan.Volume{}, scan.Axial, 0); err == nil {
		t.Error("a volume of no voxels")
	}
}

// TestPlaneCornersTilted: on a gantry-tilted volume (slices stepping 20° off the axial
// normal) the rectangles follow the voxel grid: an axial slice is still flat in z but shifted
// along y with its slice number, a sagittal one is a parallelogram sheared by the tilt, and
// every outline spans its slice's columns and rows.
func TestPlaneCornersTilted(t *testing.T) {
	s, c := math.Sincos(20 * math.Pi / 180)
	v := &scan.Volume{
		Dims:      [3]int{30, 20, 10},
		Spacing:   [3]float64{1, 1.5, 3},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, s, c}},
	}
	for _, k := range []int{0, 9} {
		ax, err := PlaneCorners(v, scan.Axial, k)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range ax {
			if math.Abs(p[2]-float64(k)*3*c) > 1e-9 {
				t.Errorf("axial %d corner %d %v, want z %v", k, i, p, float64(k)*3*c)
			}
		}
		if want := -0.75 + float64(k)*3*s; math.Abs(ax[0][1]-want) > 1e-9 {
			t.Errorf("axial %d top-left %v, want y %v", k, ax[0], want)
		}
	}
	sag, err := PlaneCorners(v, scan.Sagittal, 4)
	if err != nil {
		t.Fatal(err)
	}
	for a := 0; a < 3; a++ {
		if d := sag[0][a] + sag[2][a] - sag[1][a] - sag[3][a]; math.Abs(d) > 1e-9 {
			t.Fatalf("sagittal corners %v are not a parallelogram", sag)
		}
	}
	// columns: 20 rows of 1.5 mm toward posterior; rows: 10 slices of 3 mm along the tilt
	if l := math.Sqrt(dot(sub(sag[1], sag[0]), sub(sag[1], sag[0]))); math.Abs(l-30) > 1e-9 {
		t.Errorf("sagittal width %v mm, want 30", l)
	}
	if l := math.Sqrt(dot(sub(sag[3], sag[0]), sub(sag[3], sag[0]))); math.Abs(l-30) > 1e-9 {
		t.Errorf("sagittal height %v mm, want 30", l)
	}
	if e := sub(sag[3], sag[0]); math.Abs(e[1]/e[2]-s/c) > 1e-9 {
		t.Errorf("sagittal rows run along %v, not the tilted slice axis", e)
	}
}
