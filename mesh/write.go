package mesh

// Writing a mesh for 3D Slicer, printers and other viewers: binary STL, Wavefront OBJ and binary
// PLY, each saying in its header that the coordinates are LPS millimetres. 3D Slicer looks for
// "SPACE=LPS" (or "SPACE=RAS") in an STL header, an OBJ comment or a PLY comment and places the
// model on the CT accordingly; without it, Slicer 4.11 and later assume LPS as well.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"liverseg/internal/atomicfile"
)

// ErrFormat: a file name whose extension is not one of the mesh formats (.stl, .obj, .ply).
var ErrFormat = errors.New("not a mesh format")

// Space is the convention of the written coordinates as the file headers state it.
const Space = "SPACE=LPS"

// headerText opens every file's header: what the coordinates are, and Slicer's tag.
const headerText = "liverseg surface, LPS mm " + Space

// Format is the mesh format a file name asks for by its extension: "stl", "obj" or "ply"
// (case-insensitive); an error wrapping ErrFormat that names the file and the accepted ones.
func Format(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".stl", ".obj", ".ply":
		return ext[1:], nil
	}
	return "", fmt.Errorf("%s: %w: the extension must be .stl, .obj or .ply", path, ErrFormat)
}

// Write writes m to path in the format its extension names (Format), atomically: a reader
// never sees half a file, and a failure leaves none.
func Write(path string, m *Mesh) error {
	f, err := Format(path)
	if err != nil {
		return err
	}
	write := map[string]func(io.Writer, *Mesh) error{"stl": WriteSTL, "obj": WriteOBJ, "ply": WritePLY}[f]
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return write(w, m) })
}

// WriteSTL writes m as binary STL: an 80-byte header holding "SPACE=LPS", the triangle count,
// and per triangle its unit normal, its three corners (counter-clockwise seen from outside) and
// a zero attribute word.
func WriteSTL(out io.Writer, m *Mesh) error {
	if len(m.Triangles) > math.MaxUint32 {
		return fmt.Errorf("%d triangles: more than binary STL can count", len(m.Triangles))
	}
	w := bufio.NewWriterSize(out, 1<<16)
	var head [84]byte
	copy(head[:80], headerText)
	binary.LittleEndian.PutUint32(head[80:], uint32(len(m.Triangles)))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	var rec [50]byte
	put := func(at int, x float32) { binary.LittleEndian.PutUint32(rec[at:], math.Float32bits(x)) }
	for _, t := range m.Triangles {
		a, b, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
		n := unitNormal(a, b, c)
		for i, x := range [12]float32{n[0], n[1], n[2], a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]} {
			put(4*i, x)
		}
		if _, err := w.Write(rec[:]); err != nil {
			return err
		}
	}
	return w.Flush()
}

// unitNormal is the outward unit normal of the triangle abc (zero where it has no area).
func unitNormal(a, b, c [3]float32) [3]float32 {
	ux, uy, uz := float64(b[0]-a[0]), float64(b[1]-a[1]), float64(b[2]-a[2])
	vx, vy, vz := float64(c[0]-a[0]), float64(c[1]-a[1]), float64(c[2]-a[2])
	x, y, z := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
	l := math.Sqrt(x*x + y*y + z*z)
	if l == 0 {
		return [3]float32{}
	}
	return [3]float32{float32(x / l), float32(y / l), float32(z / l)}
}

// WriteOBJ writes m as Wavefront OBJ: a comment holding "SPACE=LPS", a "v x y z" line per vertex
// (the shortest decimals that read back as the same float32) and an "f a b c" line per triangle
// (1-based, counter-clockwise seen from outside).
func WriteOBJ(w io.Writer, m *Mesh) error {
	b := fmt.Appendf(nil, "# %s\n# %d vertices, %d triangles\n", headerText, len(m.Vertices), len(m.Triangles))
	flush := func() error {
		_, err := w.Write(b)
		b = b[:0]
		return err
	}
	for _, p := range m.Vertices {
		b = append(b, 'v')
		for _, x := range p {
			b = append(b, ' ')
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
		}
		b = append(b, '\n')
		if len(b) > 1<<16 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, t := range m.Triangles {
		b = append(b, 'f')
		for _, v := range t {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(v)+1, 10)
		}
		b = append(b, '\n')
		if len(b) > 1<<16 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// WritePLY writes m as binary little-endian PLY: a header with the comment "SPACE=LPS", float32
// x, y, z per vertex, and per face a count byte (3) and three int32 indices (counter-clockwise
// seen from outside).
func WritePLY(out io.Writer, m *Mesh) error {
	w := bufio.NewWriterSize(out, 1<<16)
	head := fmt.Sprintf("ply\nformat binary_little_endian 1.0\ncomment %s\nelement vertex %d\n"+
		"property float x\nproperty float y\nproperty float z\nelement face %d\n"+
		"property list uchar int vertex_indices\nend_header\n", headerText, len(m.Vertices), len(m.Triangles))
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	var rec [13]byte
	for _, p := range m.Vertices {
		for a, x := range p {
			binary.LittleEndian.PutUint32(rec[4*a:], math.Float32bits(x))
		}
		if _, err := w.Write(rec[:12]); err != nil {
			return err
		}
	}
	rec[0] = 3
	for _, t := range m.Triangles {
		for j, v := range t {
			binary.LittleEndian.PutUint32(rec[1+4*j:], uint32(v))
		}
		if _, err := w.Write(rec[:]); err != nil {
			return err
		}
	}
	return w.Flush()
}
