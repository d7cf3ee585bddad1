package view3d

import (
	"math"

	"liverseg/mesh"
)

// The tests' own surfaces: geodesic spheres (an icosahedron's faces split into freq² triangles
// each, 20·freq² in all, pushed onto the sphere) and liver-sized blobs made from them. They are
// closed and wound counter-clockwise seen from outside, as mesh.Build's are.

// icosahedron is the unit icosahedron: 12 vertices and 20 faces wound outward.
func icosahedron() ([][3]float64, [][3]int) {
	p := (1 + math.Sqrt(5)) / 2
	v := [][3]float64{
		{-1, p, 0}, {1, p, 0}, {-1, -p, 0}, {1, -p, 0},
		{0, -1, p}, {0, 1, p}, {0, -1, -p}, {0, 1, -p},
		{p, 0, -1}, {p, 0, 1}, {-p, 0, -1}, {-p, 0, 1},
	}
	f := [][3]int{
		{0, 11, 5}, {0, 5, 1}, {0, 1, 7}, {0, 7, 10}, {0, 10, 11},
		{1, 5, 9}, {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
		{3, 9, 4}, {3, 4, 2}, {3, 2, 6}, {3, 6, 8}, {3, 8, 9},
		{4, 9, 5}, {2, 4, 11}, {6, 2, 10}, {8, 6, 7}, {9, 8, 1},
	}
	for i, t := range f { // wind each face outward whatever the table says
		a, b, c := v[t[0]], v[t[1]], v[t[2]]
		n := cross(sub(b, a), sub(c, a))
		if dot(n, add(add(a, b), c)) < 0 {
			f[i][1], f[i][2] = t[2], t[1]
		}
	}
	return v, f
}

// geodesic is the unit sphere as 20·freq² triangles, vertices shared exactly: a point of a
// face is keyed by its integer weights on the icosahedron's vertices, the same from every
// face that holds it.
func geodesic(freq int) *mesh.Mesh {
	iv, faces := icosahedron()
	type key [3][2]int // (icosahedron vertex, weight) sorted, unused slots (-1, 0)
	index := map[key]int32{}
	m := &mesh.Mesh{}
	vertex := func(f [3]int, i, j int) int32 {
		w := [3][2]int{{f[0], freq - i - j}, {f[1], i}, {f[2], j}}
		var k key
		n := 0
		for _, x := range w {
			if x[1] != 0 {
				k[n] = x
				n++
			}
		}
		for ; n < 3; n++ {
			k[n] = [2]int{-1, 0}
		}
		for a := 0; a < 3; a++ { // sort by vertex so every face spells it alike
			for b := a + 1; b < 3; b++ {
				if k[b][0] >= 0 && (k[a][0] < 0 || k[b][0] < k[a][0]) {
					k[a], k[b] = k[b], k[a]
				}
			}
		}
		if id, ok := index[k]; ok {
			return id
		}
		var p [3]float64
		for _, x := range w {
			for c := 0; c < 3; c++ {
				p[c] += iv[x[0]][c] * float64(x[1]) / float64(freq)
			}
		}
		l := math.Sqrt(dot(p, p))
		m.Vertices = append(m.Vertices, [3]float32{float32(p[0] / l), float32(p[1] / l), float32(p[2] / l)})
		id := int32(len(m.Vertices) - 1)
		index[k] = id
		return id
	}
	for _, f := range faces {
		for i := 0; i < freq; i++ {
			for j := 0; i+j < freq; j++ {
				m.Triangles = append(m.Triangles, [3]int32{vertex(f, i, j), vertex(f, i+1, j), vertex(f, i, j+1)})
				if i+j < freq-1 {
					m.Triangles = append(m.Triangles, [3]int32{vertex(f, i+1, j), vertex(f, i+1, j+1), vertex(f, i, j+1)})
				}
			}
		}
	}
	return m
}

// sphere is a geodesic sphere of radius r mm around c.
func sphere(freq int, c [3]float64, r float64) *mesh.Mesh {
	return blob(freq, c, [3]float64{r, r, r}, 0, 0)
}

// blob is a geodesic sphere stretched to radii (mm) around c, its radius rippled by bump (a
// fraction) in a pattern turned by phase: a liver-sized lump whose two versions (phases) differ
// as a prediction and its truth do.
func blob(freq int, c, radii [3]float64, bump, phase float64) *mesh.Mesh {
	m := geodesic(freq)
	for i, v := range m.Vertices {
		x, y, z := float64(v[0]), float64(v[1]), float64(v[2])
		s := 1 + bump*math.Sin(3*x+phase)*math.Cos(2*y-phase)*math.Sin(2*z+1)
		m.Vertices[i] = [3]float32{
			float32(c[0] + radii[0]*s*x),
			float32(c[1] + radii[1]*s*y),
			float32(c[2] + radii[2]*s*z),
		}
	}
	return m
}

func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func add(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func dot(a, b [3]float64) float64    { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
