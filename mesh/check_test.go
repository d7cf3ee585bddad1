package mesh

import (
	"fmt"
	"math"
	"testing"
)

// surfaceFault says what keeps m from being a closed, consistently wound 2-manifold: every
// directed edge once and its reverse once (each edge in exactly two triangles, wound opposite
// ways), no triangle repeating a vertex, and the triangles around each vertex one single fan.
// "" when none.
func surfaceFault(m *Mesh) string {
	type edge struct{ a, b int32 }
	next := make(map[edge]int32, 3*len(m.Triangles))
	for ti, t := range m.Triangles {
		if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
			return fmt.Sprintf("triangle %d repeats a vertex: %v", ti, t)
		}
		for j := range 3 {
			e := edge{t[j], t[(j+1)%3]}
			if _, dup := next[e]; dup {
				return fmt.Sprintf("edge %d→%d in two triangles wound the same way", e.a, e.b)
			}
			// The third vertex: around vertex a, the fan goes from b to it.
			next[e] = t[(j+2)%3]
		}
	}
	for e := range next {
		if _, ok := next[edge{e.b, e.a}]; !ok {
			return fmt.Sprintf("edge %d→%d has no triangle on its other side", e.a, e.b)
		}
	}
	// Around each vertex v, the triangles (v, b, c) link b to c: one cycle through them all.
	ring := map[int32]map[int32]int32{}
	for e, c := range next {
		if ring[e.a] == nil {
			ring[e.a] = map[int32]int32{}
		}
		ring[e.a][e.b] = c
	}
	for v, r := range ring {
		var first int32
		for b := range r {
			first = b
			break
		}
		n := 0
		for b := first; ; {
			b = r[b]
			n++
			if b == first {
				break
			}
			if n > len(r) {
				return fmt.Sprintf("vertex %d: its fan does not close", v)
			}
		}
		if n != len(r) {
			return fmt.Sprintf("vertex %d: %d triangles in more than one fan (a pinch)", v, len(r))
		}
	}
	for v := range m.Vertices {
		if _, ok := ring[int32(v)]; !ok {
			return fmt.Sprintf("vertex %d is in no triangle", v)
		}
	}
	return ""
}

func checkSurface(t *testing.T, m *Mesh) {
	t.Helper()
	if f := surfaceFault(m); f != "" {
		t.Fatal(f)
	}
}

// euler is V - E + F (2 for each sphere-like piece).
func euler(m *Mesh) int { return len(m.Vertices) - 3*len(m.Triangles)/2 + len(m.Triangles) }

// winding is the winding number of the surface around p: the solid angle its triangles subtend,
// over 4π (Van Oosterom and Strackee). 1 inside an outward wound closed surface, 0 outside.
func winding(m *Mesh, p [3]float64) float64 {
	var sum float64
	for _, t := range m.Triangles {
		var r [3][3]float64
		var l [3]float64
		for j := range 3 {
			for a := range 3 {
				r[j][a] = float64(m.Vertices[t[j]][a]) - p[a]
			}
			l[j] = math.Sqrt(r[j][0]*r[j][0] + r[j][1]*r[j][1] + r[j][2]*r[j][2])
		}
		dot := func(u, v [3]float64) float64 { return u[0]*v[0] + u[1]*v[1] + u[2]*v[2] }
		cr := [3]float64{r[1][1]*r[2][2] - r[1][2]*r[2][1], r[1][2]*r[2][0] - r[1][0]*r[2][2], r[1][0]*r[2][1] - r[1][1]*r[2][0]}
		num := dot(r[0], cr)
		den := l[0]*l[1]*l[2] + dot(r[0], r[1])*l[2] + dot(r[0], r[2])*l[1] + dot(r[1], r[2])*l[0]
		sum += 2 * math.Atan2(num, den)
	}
	return sum / (4 * math.Pi)
}

// pointTriangle is the distance from p to the triangle abc (Ericson, Real-Time Collision
// Detection, 5.1.5: the closest point by the Voronoi regions of the triangle).
func pointTriangle(p, a, b, c [3]float64) float64 {
	sub := func(u, v [3]float64) [3]float64 { return [3]float64{u[0] - v[0], u[1] - v[1], u[2] - v[2]} }
	dot := func(u, v [3]float64) float64 { return u[0]*v[0] + u[1]*v[1] + u[2]*v[2] }
	at := func(u [3]float64, s float64, v [3]float64) [3]float64 {
		return [3]float64{u[0] + s*v[0], u[1] + s*v[1], u[2] + s*v[2]}
	}
	dist := func(q [3]float64) float64 { d := sub(p, q); return math.Sqrt(dot(d, d)) }
	ab, ac, ap := sub(b, a), sub(c, a), sub(p, a)
	d1, d2 := dot(ab, ap), dot(ac, ap)
	if d1 <= 0 && d2 <= 0 {
		return dist(a)
	}
	bp := sub(p, b)
	d3, d4 := dot(ab, bp), dot(ac, bp)
	if d3 >= 0 && d4 <= d3 {
		return dist(b)
	}
	vc := d1*d4 - d3*d2
	if vc <= 0 && d1 >= 0 && d3 <= 0 {
		return dist(at(a, d1/(d1-d3), ab))
	}
	cp := sub(p, c)
	d5, d6 := dot(ab, cp), dot(ac, cp)
	if d6 >= 0 && d5 <= d6 {
		return dist(c)
	}
	vb := d5*d2 - d1*d6
	if vb <= 0 && d2 >= 0 && d6 <= 0 {
		return dist(at(a, d2/(d2-d6), ac))
	}
	va := d3*d6 - d5*d4
	if va <= 0 && d4-d3 >= 0 && d5-d6 >= 0 {
		return dist(at(b, (d4-d3)/((d4-d3)+(d5-d6)), sub(c, b)))
	}
	den := 1 / (va + vb + vc)
	v, w := vb*den, vc*den
	return dist(at(at(a, v, ab), w, ac))
}

// surfaceDistance is the signed distance from p to the closed surface s by brute force: the
// nearest triangle, negative inside (winding number above one half).
func surfaceDistance(s *Mesh, p [3]float64) float64 {
	best := math.Inf(1)
	f := func(v [3]float32) [3]float64 { return [3]float64{float64(v[0]), float64(v[1]), float64(v[2])} }
	for _, t := range s.Triangles {
		best = min(best, pointTriangle(p, f(s.Vertices[t[0]]), f(s.Vertices[t[1]]), f(s.Vertices[t[2]])))
	}
	if winding(s, p) > 0.5 {
		return -best
	}
	return best
}
