package mesh

import "fmt"

// The marching-cubes case table, derived by rule rather than typed in, so that every case obeys
// the same two rules that make the surface a closed 2-manifold:
//
//  1. On each face of a cube, the surface's segments depend on that face's four corners alone,
//     and where a face is ambiguous (inside corners on one diagonal, outside on the other) the
//     inside corners are cut off each by its own segment. Two cubes that share a face therefore
//     draw the same segments on it, so every segment is the edge of exactly one triangle on each
//     side. (Inside voxels that touch only along an edge or at a corner get separate surfaces:
//     the mask is taken 6-connected.)
//  2. The segments on a cube's faces join into closed loops; each loop is filled with a fan of
//     triangles whose inner edges (chords) never join two vertices on one face of the cube, so
//     that no chord can coincide with an edge drawn in a neighbouring cube. Every loop of the
//     256 cases has such a fan (buildCubeCases would panic at start-up otherwise), so every
//     vertex lies on a grid edge.
//
// The classic Lorensen-Cline table breaks rule 1 in its complemented cases, which leaves holes;
// marching tetrahedra obeys both but makes about four times the triangles on a flat face.
//
// Corner c of a cube is at (c&1, c>>1&1, c>>2&1); a case has bit c set where corner c is inside.

// edgeCorners are the 12 edges of a cube as (lower corner, upper corner): edges 0-3 run along x,
// 4-7 along y, 8-11 along z.
var edgeCorners = [12][2]int{
	{0, 1}, {2, 3}, {4, 5}, {6, 7},
	{0, 2}, {1, 3}, {4, 6}, {5, 7},
	{0, 4}, {1, 5}, {2, 6}, {3, 7},
}

// edgeAxis is the axis (0 x, 1 y, 2 z) an edge runs along.
func edgeAxis(e int) int { return e / 4 }

// cubeCase is what one configuration of inside corners draws.
type cubeCase struct {
	triangles [][3]int8 // the edges (0-11) the corners lie on, counter-clockwise seen from outside
	edges     uint16    // bit e set where edge e carries a vertex
}

// cubeCases is the table of all 256 cases; it is computed once and never changed.
var cubeCases = buildCubeCases()

func buildCubeCases() [256]cubeCase {
	var t [256]cubeCase
	for c := range 256 {
		t[c] = buildCubeCase(uint8(c))
	}
	return t
}

func corner(c int) [3]float64 {
	return [3]float64{float64(c & 1), float64(c >> 1 & 1), float64(c >> 2 & 1)}
}

func edgeMid(e int) [3]float64 {
	a, b := corner(edgeCorners[e][0]), corner(edgeCorners[e][1])
	return [3]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2}
}

// faceEdges is the four edges of face (axis, side) in order around it, and its four corners
// with corners[i] between edges i-1 and i.
func faceEdges(axis, side int) (edges [4]int, corners [4]int) {
	u, v := (axis+1)%3, (axis+2)%3
	bit := func(a, val int) int { return val << a }
	base := bit(axis, side)
	corners = [4]int{base, base | bit(u, 1), base | bit(u, 1) | bit(v, 1), base | bit(v, 1)}
	for i := range 4 {
		a, b := corners[i], corners[(i+1)%4]
		edges[i] = edgeBetween(a, b)
	}
	return edges, corners
}

func edgeBetween(a, b int) int {
	for e, ec := range edgeCorners {
		if (ec[0] == a && ec[1] == b) || (ec[0] == b && ec[1] == a) {
			return e
		}
	}
	panic("mesh: corners not joined by an edge")
}

// sharesFace says whether edges e and f lie on one face of the cube.
func sharesFace(e, f int) bool {
	for axis := range 3 {
		for side := range 2 {
			es, _ := faceEdges(axis, side)
			in := 0
			for _, x := range es {
				if x == e || x == f {
					in++
				}
			}
			if in == 2 {
				return true
			}
		}
	}
	return false
}

func buildCubeCase(c uint8) cubeCase {
	inside := func(k int) bool { return c>>k&1 == 1 }
	crosses := func(e int) bool { return inside(edgeCorners[e][0]) != inside(edgeCorners[e][1]) }
	next := map[int]int{}
	link := func(p, q, in int, normal [3]float64) {
		// Orient p→q so that the inside corner lies on the side that makes the loop run
		// counter-clockwise seen from outside the surface: (q-p)×(in-p) points into the cube.
		a, b, k := edgeMid(p), edgeMid(q), corner(in)
		d := [3]float64{b[0] - a[0], b[1] - a[1], b[2] - a[2]}
		w := [3]float64{k[0] - a[0], k[1] - a[1], k[2] - a[2]}
		x := [3]float64{d[1]*w[2] - d[2]*w[1], d[2]*w[0] - d[0]*w[2], d[0]*w[1] - d[1]*w[0]}
		if x[0]*normal[0]+x[1]*normal[1]+x[2]*normal[2] > 0 {
			p, q = q, p
		}
		if _, dup := next[p]; dup {
			panic("mesh: two segments leave one edge")
		}
		next[p] = q
	}
	for axis := range 3 {
		for side := range 2 {
			var normal [3]float64
			normal[axis] = float64(2*side - 1)
			es, cs := faceEdges(axis, side)
			var cross []int
			for _, e := range es {
				if crosses(e) {
					cross = append(cross, e)
				}
			}
			switch len(cross) {
			case 2:
				in := -1
				for _, k := range cs {
					if inside(k) {
						in = k
					}
				}
				link(cross[0], cross[1], in, normal)
			case 4:
				// Ambiguous: each inside corner is cut off by the segment of its two edges.
				for i, k := range cs {
					if inside(k) {
						link(es[(i+3)%4], es[i], k, normal)
					}
				}
			}
		}
	}
	var cc cubeCase
	for e := range 12 {
		if crosses(e) {
			cc.edges |= 1 << e
		}
	}
	seen := map[int]bool{}
	for e := range 12 {
		if !crosses(e) || seen[e] {
			continue
		}
		var loop []int
		for x := e; !seen[x]; x = next[x] {
			seen[x] = true
			loop = append(loop, x)
		}
		fillLoop(&cc, loop)
	}
	return cc
}

// fillLoop adds the triangles of one loop: a fan whose chords join no two vertices on one face
// of the cube.
func fillLoop(cc *cubeCase, loop []int) {
	n := len(loop)
	for s := range n {
		ok := true
		for i := 2; i <= n-2 && ok; i++ {
			ok = !sharesFace(loop[s], loop[(s+i)%n])
		}
		if !ok {
			continue
		}
		for i := 1; i+1 < n; i++ {
			cc.triangles = append(cc.triangles, [3]int8{int8(loop[s]), int8(loop[(s+i)%n]), int8(loop[(s+i+1)%n])})
		}
		return
	}
	panic(fmt.Sprintf("mesh: the loop through edges %v has no fan without a chord on a cube face", loop))
}
