package scan

import "fmt"

// Plane is one of the three planes a radiologist reads a CT in. Each is a turn of the canonical
// axes (never a resampling), drawn the way the peers and the textbooks draw it:
//
//	Axial:    columns toward the patient's left (R on the screen's left), rows toward posterior
//	          (A at the top), slices toward superior.
//	Coronal:  columns toward the patient's left (R on the left), rows toward inferior (S at the
//	          top), slices toward posterior.
//	Sagittal: columns toward posterior (A on the left), rows toward inferior (S at the top),
//	          slices toward the patient's left.
type Plane uint8

const (
	Axial Plane = iota
	Coronal
	Sagittal
)

// Planes lists the planes in the order a four-pane review shows them.
var Planes = [3]Plane{Axial, Coronal, Sagittal}

// String is the plane's name: "axial", "coronal" or "sagittal".
func (p Plane) String() string {
	switch p {
	case Axial:
		return "axial"
	case Coronal:
		return "coronal"
	case Sagittal:
		return "sagittal"
	}
	return fmt.Sprintf("plane(%d)", uint8(p))
}

// ParsePlane is the plane a name (as String gives it) stands for.
func ParsePlane(s string) (Plane, error) {
	for _, p := range Planes {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown plane %q (axial, coronal or sagittal)", s)
}

// planeAxes says, for each plane, which canonical axis its columns, rows and slices run along
// and whether they run against it.
var planeAxes = [3]struct {
	axis [3]int
	rev  [3]bool
}{
	Axial:    {axis: [3]int{0, 1, 2}},
	Coronal:  {axis: [3]int{0, 2, 1}, rev: [3]bool{false, true, false}},
	Sagittal: {axis: [3]int{1, 2, 0}, rev: [3]bool{false, true, false}},
}

// Plane is the canonical view c turned to show plane p: its Dims, Spacing, Offset and
// SliceOffsets are then those of p's columns, rows and slices, so that code written for axial
// slices (a renderer, an edit tool) works in any plane. c must be the axial view NewCanonical
// gives; Plane(Axial) is c itself. Axis and Flip say which volume axis each of p's axes runs
// along and whether it runs against it.
func (c Canonical) Plane(p Plane) Canonical {
	if int(p) >= len(planeAxes) {
		panic(fmt.Sprintf("scan: %v", p))
	}
	pa := planeAxes[p]
	out := Canonical{MaxAngle: c.MaxAngle, base: c.base}
	for a := 0; a < 3; a++ {
		s := pa.axis[a]
		out.Axis[a] = c.Axis[s]
		out.Flip[a] = c.Flip[s] != pa.rev[a]
		out.Dims[a] = c.Dims[s]
		out.Spacing[a] = c.Spacing[s]
		out.stride[a] = c.stride[s]
		if pa.rev[a] {
			out.stride[a] = -c.stride[s]
			out.base += (c.Dims[s] - 1) * c.stride[s]
		}
	}
	return out
}

// ToPlane maps canonical (axial) voxel (i, j, k) of c to column x, row y and slice s of plane
// p; FromPlane is its inverse. c must be the axial view.
func (c Canonical) ToPlane(p Plane, i, j, k int) (x, y, s int) {
	v := [3]int{i, j, k}
	pa := planeAxes[p]
	var out [3]int
	for a := 0; a < 3; a++ {
		src := pa.axis[a]
		out[a] = v[src]
		if pa.rev[a] {
			out[a] = c.Dims[src] - 1 - v[src]
		}
	}
	return out[0], out[1], out[2]
}

// FromPlane maps column x, row y and slice s of plane p to canonical (axial) voxel (i, j, k) of
// c, the inverse of ToPlane.
func (c Canonical) FromPlane(p Plane, x, y, s int) (i, j, k int) {
	in := [3]int{x, y, s}
	pa := planeAxes[p]
	var v [3]int
	for a := 0; a < 3; a++ {
		src := pa.axis[a]
		v[src] = in[a]
		if pa.rev[a] {
			v[src] = c.Dims[src] - 1 - in[a]
		}
	}
	return v[0], v[1], v[2]
}

// FromVolume maps volume voxel (column, row, slice as stored) to canonical voxel (i, j, k) of c,
// the inverse of Offset.
func (c Canonical) FromVolume(vox [3]int) (i, j, k int) {
	var out [3]int
	for a := 0; a < 3; a++ {
		out[a] = vox[c.Axis[a]]
		if c.Flip[a] {
			out[a] = c.Dims[a] - 1 - out[a]
		}
	}
	return out[0], out[1], out[2]
}
