package mesh

// Taubin smoothing ("A signal processing approach to fair surface design", SIGGRAPH 1995): a
// Laplacian step that shrinks (λ) followed by one that inflates (μ, |μ| a little larger than λ),
// which together remove the voxel steps, high frequencies, while keeping the surface's size, so
// that the volume and the distances of a smoothed surface stay those of the mask.

const (
	taubinLambda = 0.5
	taubinMu     = -0.53
)

// smooth runs passes Taubin passes on m in place; the topology is left as it is.
func smooth(m *Mesh, passes int) {
	if passes <= 0 || len(m.Vertices) == 0 {
		return
	}
	start, nbr := neighbours(m)
	next := make([][3]float32, len(m.Vertices))
	step := func(f float32) {
		for v := range m.Vertices {
			ns := nbr[start[v]:start[v+1]]
			if len(ns) == 0 {
				next[v] = m.Vertices[v]
				continue
			}
			var s [3]float32
			for _, u := range ns {
				p := m.Vertices[u]
				s[0], s[1], s[2] = s[0]+p[0], s[1]+p[1], s[2]+p[2]
			}
			inv := 1 / float32(len(ns))
			p := m.Vertices[v]
			for a := range 3 {
				next[v][a] = p[a] + f*(s[a]*inv-p[a])
			}
		}
		m.Vertices, next = next, m.Vertices
	}
	for range passes {
		step(taubinLambda)
		step(taubinMu)
	}
}

// neighbours is the vertices joined to each vertex by an edge, as a compressed list: those of v
// are nbr[start[v]:start[v+1]]. A consistently wound closed surface has each edge once in each
// direction, so the edges leaving v name each neighbour once.
func neighbours(m *Mesh) (start []int32, nbr []int32) {
	start = make([]int32, len(m.Vertices)+1)
	for _, t := range m.Triangles {
		for _, v := range t {
			start[v+1]++
		}
	}
	for v := range m.Vertices {
		start[v+1] += start[v]
	}
	nbr = make([]int32, start[len(m.Vertices)])
	fill := make([]int32, len(m.Vertices))
	copy(fill, start)
	for _, t := range m.Triangles {
		for j := range 3 {
			v, u := t[j], t[(j+1)%3]
			nbr[fill[v]] = u
			fill[v]++
		}
	}
	return start, nbr
}
