package scan

import "testing"

// storedDirections are the 48 ways a scanner may store a volume: every order of the axes, each
// run either way (the Direction of a volume whose axes are exact patient axes).
func storedDirections() [][3][3]float64 {
	perms := [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	var out [][3][3]float64
	for _, perm := range perms {
		for signs := 0; signs < 8; signs++ {
			var dir [3][3]float64
			for ax := 0; ax < 3; ax++ {
				dir[ax][perm[ax]] = 1
				if signs&(1<<ax) != 0 {
					dir[ax][perm[ax]] = -1
				}
			}
			out = append(out, dir)
		}
	}
	return out
}

// TestCanonicalEveryOrientation stores the same patient in all 48 axis orders and directions
// and checks that canonical indices always run toward left, posterior and superior.
func TestCanonicalEveryOrientation(t *testing.T) {
	dims := [3]int{4, 3, 2}
	for _, dir := range storedDirections() {
		c := NewCanonical(dims, [3]float64{1, 2, 3}, dir)
		pos := func(i, j, k int) [3]float64 {
			o := c.Offset(i, j, k)
			vi, vj, vk := o%dims[0], o/dims[0]%dims[1], o/(dims[0]*dims[1])
			var p [3]float64
			for a := 0; a < 3; a++ {
				p[a] = float64(vi)*dir[0][a] + float64(vj)*dir[1][a] + float64(vk)*dir[2][a]
			}
			return p
		}
		p0 := pos(0, 0, 0)
		for a, step := range [3][3]int{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} {
			if c.Dims[a] < 2 {
				continue
			}
			p1 := pos(step[0], step[1], step[2])
			if p1[a]-p0[a] <= 0 {
				t.Fatalf("dir %v: canonical axis %d does not run along +%c", dir, a, "LPS"[a])
			}
		}
		if c.MaxAngle != 0 {
			t.Fatalf("max angle %v for an exact permutation", c.MaxAngle)
		}
	}
}
