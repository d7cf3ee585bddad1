package mesh

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func testMesh(t *testing.T) *Mesh {
	t.Helper()
	v := unitVolume([3]int{12, 11, 10})
	v.Spacing = [3]float64{0.71, 0.83, 2.5}
	v.Origin = [3]float64{-172.3, -35.01, 1204.5}
	s, err := Build(ball(v.Dims, 4), v, Options{Smooth: 2})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameMesh(t *testing.T, got, want *Mesh) {
	t.Helper()
	if len(got.Vertices) != len(want.Vertices) || len(got.Triangles) != len(want.Triangles) {
		t.Fatalf("%d vertices, %d triangles read back; %d, %d written", len(got.Vertices), len(got.Triangles), len(want.Vertices), len(want.Triangles))
	}
	for i := range want.Vertices {
		if got.Vertices[i] != want.Vertices[i] {
			t.Fatalf("vertex %d read back as %v, written %v", i, got.Vertices[i], want.Vertices[i])
		}
	}
	for i := range want.Triangles {
		if got.Triangles[i] != want.Triangles[i] {
			t.Fatalf("triangle %d read back as %v, written %v", i, got.Triangles[i], want.Triangles[i])
		}
	}
}

// The STL holds the header tag, the count, and each triangle's corners and outward unit normal.
func TestSTL(t *testing.T) {
	m := testMesh(t)
	var buf bytes.Buffer
	if err := WriteSTL(&buf, m); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if len(b) != 84+50*len(m.Triangles) {
		t.Fatalf("%d bytes for %d triangles", len(b), len(m.Triangles))
	}
	if head := string(b[:80]); !strings.Contains(head, "SPACE=LPS") || strings.HasPrefix(head, "solid") {
		t.Fatalf("header %q: wants SPACE=LPS, and no leading \"solid\" (the mark of ASCII STL)", head)
	}
	if n := binary.LittleEndian.Uint32(b[80:]); int(n) != len(m.Triangles) {
		t.Fatalf("count %d, %d triangles", n, len(m.Triangles))
	}
	var recs = make([]struct {
		Normal, A, B, C [3]float32
		Attr            uint16
	}, len(m.Triangles))
	if err := binary.Read(bytes.NewReader(b[84:]), binary.LittleEndian, recs); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		tr := m.Triangles[i]
		if r.A != m.Vertices[tr[0]] || r.B != m.Vertices[tr[1]] || r.C != m.Vertices[tr[2]] {
			t.Fatalf("triangle %d: %v %v %v, written %v", i, r.A, r.B, r.C, tr)
		}
		n := unitNormal(r.A, r.B, r.C)
		if r.Normal != n || math.Abs(float64(n[0]*n[0]+n[1]*n[1]+n[2]*n[2])-1) > 1e-5 {
			t.Fatalf("triangle %d: normal %v, want unit %v", i, r.Normal, n)
		}
	}
}

// readOBJ parses the v and f lines of an OBJ written by WriteOBJ, and its leading comment.
func readOBJ(t *testing.T, r io.Reader) (*Mesh, string) {
	t.Helper()
	m := &Mesh{}
	var comment string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "#":
			comment += sc.Text() + "\n"
		case "v", "f":
			if len(f) != 4 {
				t.Fatalf("line %q", sc.Text())
			}
			if f[0] == "v" {
				var p [3]float32
				for a := range 3 {
					x, err := strconv.ParseFloat(f[a+1], 32)
					if err != nil {
						t.Fatal(err)
					}
					p[a] = float32(x)
				}
				m.Vertices = append(m.Vertices, p)
			} else {
				var tr [3]int32
				for j := range 3 {
					x, err := strconv.Atoi(f[j+1])
					if err != nil || x < 1 || x > len(m.Vertices) {
						t.Fatalf("face %q: index %q", sc.Text(), f[j+1])
					}
					tr[j] = int32(x - 1)
				}
				m.Triangles = append(m.Triangles, tr)
			}
		default:
			t.Fatalf("unexpected line %q", sc.Text())
		}
	}
	return m, comment
}

func TestOBJRoundTrip(t *testing.T) {
	m := testMesh(t)
	var buf bytes.Buffer
	if err := WriteOBJ(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, comment := readOBJ(t, &buf)
	if !strings.Contains(comment, "SPACE=LPS") {
		t.Fatalf("comment %q lacks SPACE=LPS", comment)
	}
	sameMesh(t, got, m)
}

// readPLY parses the binary little-endian PLY that WritePLY writes, and its comments.
func readPLY(t *testing.T, b []byte) (*Mesh, []string) {
	t.Helper()
	end := bytes.Index(b, []byte("end_header\n"))
	if end < 0 {
		t.Fatal("no end_header")
	}
	var nv, nf int
	var comments []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b[:end]), "\n"), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "element" && f[1] == "vertex":
			nv, _ = strconv.Atoi(f[2])
		case len(f) == 3 && f[0] == "element" && f[1] == "face":
			nf, _ = strconv.Atoi(f[2])
		case len(f) > 0 && f[0] == "comment":
			comments = append(comments, line)
		case line == "format binary_little_endian 1.0", line == "ply", strings.HasPrefix(line, "property "):
		default:
			t.Fatalf("header line %q", line)
		}
	}
	body := bytes.NewReader(b[end+len("end_header\n"):])
	m := &Mesh{Vertices: make([][3]float32, nv)}
	if err := binary.Read(body, binary.LittleEndian, m.Vertices); err != nil {
		t.Fatal(err)
	}
	for range nf {
		var face struct {
			N uint8
			I [3]int32
		}
		if err := binary.Read(body, binary.LittleEndian, &face); err != nil {
			t.Fatal(err)
		}
		if face.N != 3 {
			t.Fatalf("a face of %d corners", face.N)
		}
		m.Triangles = append(m.Triangles, face.I)
	}
	if body.Len() != 0 {
		t.Fatalf("%d bytes after the faces", body.Len())
	}
	return m, comments
}

func TestPLYRoundTrip(t *testing.T) {
	m := testMesh(t)
	var buf bytes.Buffer
	if err := WritePLY(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, comments := readPLY(t, buf.Bytes())
	if len(comments) != 1 || !strings.Contains(comments[0], "SPACE=LPS") {
		t.Fatalf("comments %q: want one with SPACE=LPS", comments)
	}
	sameMesh(t, got, m)
}

// Write picks the format by extension (any case); an unknown one, or a folder that is not
// there, is an error naming the file.
func TestWrite(t *testing.T) {
	m := testMesh(t)
	dir := t.TempDir()
	for _, name := range []string{"liver.STL", "liver.obj", "liver.ply"} {
		p := filepath.Join(dir, name)
		if err := Write(p, m); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var got *Mesh
		switch filepath.Ext(name) {
		case ".STL":
			if len(b) != 84+50*len(m.Triangles) {
				t.Fatalf("%s: %d bytes", name, len(b))
			}
			continue
		case ".obj":
			got, _ = readOBJ(t, bytes.NewReader(b))
		case ".ply":
			got, _ = readPLY(t, b)
		}
		sameMesh(t, got, m)
	}
	bad := filepath.Join(dir, "liver.vtk")
	err := Write(bad, m)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), ".stl, .obj or .ply") {
		t.Fatalf("unknown extension: %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("%s written anyway", bad)
	}
	missing := filepath.Join(dir, "no", "such", "liver.stl")
	if err := Write(missing, m); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("unwritable path: %v", err)
	}
}
