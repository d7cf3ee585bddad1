package mesh

// Building the surface of a mask: marching cubes between voxel centres (cases.go), one slab of
// two slices at a time over the mask's bounding box, so that memory follows the mask's extent
// and its surface, never the volume's size.

import (
	"errors"
	"fmt"
	"math"

	"liverseg/scan"
)

// ErrEmpty: the mask has no voxel set, so it has no surface.
var ErrEmpty = errors.New("the mask is empty: no surface")

// Options choose the resolution and smoothness of a built surface. The zero value is the export:
// full resolution, no smoothing, vertices exactly halfway between voxel centres.
type Options struct {
	// Step builds the surface on a grid Step voxels apart along every axis: each sample is the
	// share of a Step x Step x Step block of voxels that is set, and the surface passes where
	// that share crosses one half. About Step² times fewer triangles; 0 or 1 is full resolution.
	Step int
	// MaxTriangles, when Step is 0, picks the finest Step whose surface has at most this many
	// triangles (0: no limit). ForDisplay sets it.
	MaxTriangles int
	// Smooth is the number of Taubin passes (a λ step and a μ step each), which round the voxel
	// steps off without shrinking the surface (0: none).
	Smooth int
}

// ForDisplay is the surface for the 3D view: decimated to at most 150,000 triangles (IRCAD 7's
// liver: Step 2) and smoothed, so that a software renderer stays interactive.
func ForDisplay() Options { return Options{MaxTriangles: 150_000, Smooth: 10} }

// Build is the surface of m's nonzero voxels on v's grid (m must have v's Dims), in LPS mm through
// v.Position, so that it lies on the CT whatever the axis order, flips or gantry tilt. It is
// closed and 2-manifold (every edge belongs to exactly two triangles), its triangles are wound
// counter-clockwise seen from outside, and voxels outside the volume count as unset, so a mask
// touching the border is closed too. Voxels that touch only along an edge or at a corner get
// separate surfaces. ErrEmpty when no voxel is set; scan.ErrGeometry when the dims differ.
func Build(m *scan.Mask, v *scan.Volume, opts Options) (*Mesh, error) {
	if m == nil || v == nil {
		return nil, fmt.Errorf("mesh: no mask or no volume")
	}
	if err := v.CheckMask(m); err != nil {
		return nil, err
	}
	if opts.Step < 0 || opts.MaxTriangles < 0 || opts.Smooth < 0 {
		return nil, fmt.Errorf("mesh: negative option in %+v", opts)
	}
	box, ok := maskBox(m)
	if !ok {
		return nil, ErrEmpty
	}
	step := max(opts.Step, 1)
	if opts.Step == 0 && opts.MaxTriangles > 0 {
		step = stepFor(m, box, opts.MaxTriangles)
	}
	g := newGrid(m, v, box, step)
	var out *Mesh
	for {
		out = g.march()
		if len(out.Triangles) == 0 && g.step > 1 {
			// Too thin for this grid: no block is more than half set.
			g = newGrid(m, v, box, max(g.step/2, 1))
			continue
		}
		if opts.Step == 0 && opts.MaxTriangles > 0 && len(out.Triangles) > opts.MaxTriangles {
			// The estimate was low: the triangles fall with the square of the step.
			f := math.Sqrt(float64(len(out.Triangles)) / float64(opts.MaxTriangles))
			g = newGrid(m, v, box, max(g.step+1, int(math.Ceil(float64(g.step)*f))))
			continue
		}
		break
	}
	smooth(out, opts.Smooth)
	return out, nil
}

// voxelBox is a box of voxels: lo inclusive, hi exclusive.
type voxelBox struct{ lo, hi [3]int }

// maskBox is the smallest box holding every nonzero voxel of m; false when there is none. It
// reads each slice's liver bounds (what the mask keeps), not the volume.
func maskBox(m *scan.Mask) (voxelBox, bool) {
	b := voxelBox{lo: m.Dims}
	found := false
	for z := range m.Dims[2] {
		r := m.LiverBounds(z)
		if r.Empty() {
			continue
		}
		found = true
		b.lo = [3]int{min(b.lo[0], r.Min.X), min(b.lo[1], r.Min.Y), min(b.lo[2], z)}
		b.hi = [3]int{max(b.hi[0], r.Max.X), max(b.hi[1], r.Max.Y), max(b.hi[2], z+1)}
	}
	return b, found
}

// stepFor estimates the finest step whose surface keeps within budget triangles: at full
// resolution a surface makes about two triangles per exposed voxel face (one counted in each
// axis direction per face), and a step s divides that by s².
func stepFor(m *scan.Mask, b voxelBox, budget int) int {
	faces := 0
	at := func(x, y, z int) bool {
		return x >= 0 && y >= 0 && z >= 0 && x < m.Dims[0] && y < m.Dims[1] && z < m.Dims[2] && m.AtIJK(x, y, z) != 0
	}
	for z := b.lo[2]; z < b.hi[2]; z++ {
		for y := b.lo[1]; y < b.hi[1]; y++ {
			x0, row := m.Row(z, y)
			for i, val := range row {
				if val == 0 {
					continue
				}
				x := x0 + i
				// Only the faces toward +x, +y and +z and their opposites on the way in.
				if !at(x-1, y, z) {
					faces++
				}
				if !at(x+1, y, z) {
					faces++
				}
				if !at(x, y-1, z) {
					faces++
				}
				if !at(x, y+1, z) {
					faces++
				}
				if !at(x, y, z-1) {
					faces++
				}
				if !at(x, y, z+1) {
					faces++
				}
			}
		}
	}
	// A staircase of exposed faces is about 1.4 times the smooth area the triangles cover.
	est := float64(faces) * 2 / 1.4
	return max(1, int(math.Ceil(math.Sqrt(est/float64(budget)))))
}

// grid is the field the cubes march through: over box, samples step voxels apart, each the
// count of set voxels in its step³ block, with a ring of empty samples around.
type grid struct {
	m    *scan.Mask
	box  voxelBox
	step int
	n    [3]int // samples along each axis, without the empty ring
	// affine maps voxel indices to LPS mm; flip is set where it mirrors (a negative
	// determinant), which turns the winding of every triangle.
	affine [4][4]float64
	flip   bool
	// xcol maps a voxel column of the box to its sample's index in a padded layer row.
	xcol []int32
}

func newGrid(m *scan.Mask, v *scan.Volume, box voxelBox, step int) *grid {
	g := &grid{m: m, box: box, step: step, affine: v.Affine()}
	for a := range 3 {
		g.n[a] = (box.hi[a] - box.lo[a] + step - 1) / step
	}
	g.flip = det3(g.affine) < 0
	g.xcol = make([]int32, box.hi[0]-box.lo[0])
	for x := range g.xcol {
		g.xcol[x] = int32(x/step + 1)
	}
	return g
}

// fill sets layer (padded, (n[0]+2) x (n[1]+2)) to the counts of sample slice k (-1 and n[2]
// are the empty ring).
func (g *grid) fill(layer []uint16, k int) {
	clear(layer)
	if k < 0 || k >= g.n[2] {
		return
	}
	m := g.m
	w := g.n[0] + 2
	z0 := g.box.lo[2] + k*g.step
	z1 := min(z0+g.step, g.box.hi[2])
	for z := z0; z < z1; z++ {
		for y := g.box.lo[1]; y < g.box.hi[1]; y++ {
			x0, row := m.Row(z, y)
			if row == nil {
				continue
			}
			// The box holds every nonzero voxel: the row's columns outside it are 0.
			lo, hi := max(x0, g.box.lo[0]), min(x0+len(row), g.box.hi[0])
			out := layer[((y-g.box.lo[1])/g.step+1)*w:]
			for x := lo; x < hi; x++ {
				if row[x-x0] != 0 {
					out[g.xcol[x-g.box.lo[0]]]++
				}
			}
		}
	}
}

// march runs the cubes between consecutive sample slices and returns the surface in LPS mm.
func (g *grid) march() *Mesh {
	w, h := g.n[0]+2, g.n[1]+2
	size := w * h
	full := g.step * g.step * g.step
	// A sample is inside where more than half its block is set. The surface passes where the
	// count crosses half the block, nudged off an even block's half count (a count of its
	// own) so that no vertex falls on a sample.
	half := full / 2
	iso := float64(full) / 2
	if full%2 == 0 {
		iso += 1.0 / 16
	}

	counts := [2][]uint16{make([]uint16, size), make([]uint16, size)}
	// squares[l][i] holds the inside bits of the four samples i, i+1, i+w, i+w+1 of layer l.
	squares := [2][]uint8{make([]uint8, size), make([]uint8, size)}
	// Vertex numbers of the edges leaving each sample along x and y in either layer, and
	// along z from the lower layer; -1 where none yet.
	xy := [2][2][]int32{{make([]int32, size), make([]int32, size)}, {make([]int32, size), make([]int32, size)}}
	zs := make([]int32, size)
	for l := range 2 {
		fillNone(xy[l][0])
		fillNone(xy[l][1])
	}

	squareBits := func(c []uint16, sq []uint8) {
		for i := range size - w - 1 {
			b := uint8(0)
			if int(c[i]) > half {
				b |= 1
			}
			if int(c[i+1]) > half {
				b |= 2
			}
			if int(c[i+w]) > half {
				b |= 4
			}
			if int(c[i+w+1]) > half {
				b |= 8
			}
			sq[i] = b
		}
	}

	out := &Mesh{}
	// samplePos is where a sample point (padded layer index and layer) sits in voxel indices.
	samplePos := func(i, k int) [3]float64 {
		px, py := i%w-1, i/w-1
		off := float64(g.step-1) / 2
		return [3]float64{
			float64(g.box.lo[0]+px*g.step) + off,
			float64(g.box.lo[1]+py*g.step) + off,
			float64(g.box.lo[2]+k*g.step) + off,
		}
	}
	addVertex := func(p [3]float64) int32 {
		var q [3]float32
		for a := range 3 {
			q[a] = float32(g.affine[a][0]*p[0] + g.affine[a][1]*p[1] + g.affine[a][2]*p[2] + g.affine[a][3])
		}
		out.Vertices = append(out.Vertices, q)
		return int32(len(out.Vertices) - 1)
	}
	// edgePos is where the surface crosses the edge from sample i of layer (k+la) along axis: between its two samples, where the interpolated count reaches iso.
	edgePos := func(i, la, axis, k int) [3]float64 {
		lc := counts[la]
		c0 := float64(lc[i])
		var c1 float64
		switch axis {
		case 0:
			c1 = float64(lc[i+1])
		case 1:
			c1 = float64(lc[i+w])
		default:
			c1 = float64(counts[1][i])
		}
		t := (iso - c0) / (c1 - c0)
		p := samplePos(i, k+la)
		p[axis] += t * float64(g.step)
		return p
	}

	g.fill(counts[0], -1)
	squareBits(counts[0], squares[0])
	var ids [12]int32
	for k := -1; k < g.n[2]; k++ {
		g.fill(counts[1], k+1)
		squareBits(counts[1], squares[1])
		fillNone(zs)
		lo, hi := squares[0], squares[1]
		for py := range h - 1 {
			for px := range w - 1 {
				i := py*w + px
				c := lo[i] | hi[i]<<4
				if c == 0 || c == 255 {
					continue
				}
				cc := &cubeCases[c]
				for e := range 12 {
					if cc.edges>>e&1 == 0 {
						continue
					}
					a := edgeCorners[e][0]
					at := i + a&1 + (a>>1&1)*w
					axis := edgeAxis(e)
					var slot *int32
					la := a >> 2
					if axis == 2 {
						slot = &zs[at]
					} else {
						slot = &xy[la][axis][at]
					}
					if *slot < 0 {
						*slot = addVertex(edgePos(at, la, axis, k))
					}
					ids[e] = *slot
				}
				for _, t := range cc.triangles {
					tri := [3]int32{ids[t[0]], ids[t[1]], ids[t[2]]}
					if g.flip {
						tri[1], tri[2] = tri[2], tri[1]
					}
					out.Triangles = append(out.Triangles, tri)
				}
			}
		}
		// The upper layer becomes the lower one.
		counts[0], counts[1] = counts[1], counts[0]
		squares[0], squares[1] = squares[1], squares[0]
		xy[0], xy[1] = xy[1], xy[0]
		fillNone(xy[1][0])
		fillNone(xy[1][1])
	}
	return out
}

func fillNone(s []int32) {
	for i := range s {
		s[i] = -1
	}
}

// det3 is the determinant of an affine map's linear part: the volume of a voxel in mm³, negative
// where the map mirrors.
func det3(a [4][4]float64) float64 {
	return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
}
