// Package vec3 holds the few 3-vector operations scan and its format packages share: positions
// and directions in patient space (mm), as [3]float64.
package vec3

import (
	"fmt"
	"math"
)

// Dot is the dot product of a and b.
func Dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// Norm is the length of a.
func Norm(a [3]float64) float64 { return math.Sqrt(Dot(a, a)) }

// Sub is a - b.
func Sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// Scale is a times s.
func Scale(a [3]float64, s float64) [3]float64 { return [3]float64{a[0] * s, a[1] * s, a[2] * s} }

// Cross is the cross product a × b.
func Cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// Unit is a scaled to length 1; the zero vector stays zero.
func Unit(a [3]float64) [3]float64 {
	n := Norm(a)
	if n == 0 {
		return a
	}
	return [3]float64{a[0] / n, a[1] / n, a[2] / n}
}

// Finite reports whether every value is a number and not infinite.
func Finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// String prints a direction for a message, to 4 digits; adding 0 turns -0 (from negating a
// coordinate) into 0.
func String(u [3]float64) string { return fmt.Sprintf("(%.4g,%.4g,%.4g)", u[0]+0, u[1]+0, u[2]+0) }
