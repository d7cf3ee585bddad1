package cli

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/labels"
)

// stlFile is a binary STL as read here, apart from the mesh package: the header, and each
// triangle's three corners.
type stlFile struct {
	header    string
	triangles [][3][3]float32
}

func readSTL(t *testing.T, path string) stlFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 84 {
		t.Fatalf("%s: %d bytes, shorter than an STL header", path, len(b))
	}
	n := int(binary.LittleEndian.Uint32(b[80:84]))
	if len(b) != 84+50*n {
		t.Fatalf("%s: %d bytes for %d triangles (want %d)", path, len(b), n, 84+50*n)
	}
	f := stlFile{header: strings.TrimRight(string(b[:80]), "\x00"), triangles: make([][3][3]float32, n)}
	for i := range n {
		rec := b[84+50*i:]
		// 12 bytes of facet normal, then the corners.
		for c := range 3 {
			for a := range 3 {
				f.triangles[i][c][a] = math.Float32frombits(binary.LittleEndian.Uint32(rec[12+12*c+4*a:]))
			}
		}
	}
	return f
}

// checkClosed welds the STL's corners by their exact coordinates and checks that every edge
// belongs to exactly two triangles, which run along it in opposite directions (a closed surface,
// consistently wound); it returns the enclosed volume in mm³ (positive: wound outward) and the
// number of distinct vertices.
func checkClosed(t *testing.T, f stlFile) (float64, int) {
	t.Helper()
	ids := map[[3]float32]int{}
	type edge struct{ from, to int }
	uses := map[edge]int{}
	var vol float64
	for i, tri := range f.triangles {
		var v [3]int
		for c, p := range tri {
			id, ok := ids[p]
			if !ok {
				id = len(ids)
				ids[p] = id
			}
			v[c] = id
		}
		if v[0] == v[1] || v[1] == v[2] || v[0] == v[2] {
			t.Fatalf("triangle %d has two corners at one point: %v", i, tri)
		}
		for c := range 3 {
			uses[edge{v[c], v[(c+1)%3]}]++
		}
		a, b, c := tri[0], tri[1], tri[2]
		// The signed volume of the tetrahedron the triangle makes with the origin.
		vol += (float64(a[0])*(float64(b[1])*float64(c[2])-float64(b[2])*float64(c[1])) -
			float64(a[1])*(float64(b[0])*float64(c[2])-float64(b[2])*float64(c[0])) +
			float64(a[2])*(float64(b[0])*float64(c[1])-float64(b[1])*float64(c[0]))) / 6
	}
	for e, n := range uses {
		if n != 1 {
			t.Fatalf("edge %d→%d runs the same way in %d triangles", e.from, e.to, n)
		}
		if uses[edge{e.to, e.from}] != 1 {
			t.Fatalf("edge %d→%d has no triangle running back along it: the surface is open or inconsistently wound", e.from, e.to)
		}
	}
	return vol, len(ids)
}

// liverseg mesh of IRCAD 7's liver: an STL whose every edge belongs to exactly two triangles,
// wound consistently, enclosing the mask's volume within 2 %, and lying on the CT in LPS.
func TestMeshIRCAD7(t *testing.T) {
	series := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	liver := testenv.IRCAD(t, 7, "MASKS_DICOM", "liver")
	out := filepath.Join(t.TempDir(), "liver.stl")
	stdout := mustRun(t, "mesh", "--series", series, "--in", liver, "--out", out)
	t.Logf("liverseg mesh:\n%s", stdout)
	for _, want := range []string{"triangles", "vertices", "enclosed", "LPS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	f := readSTL(t, out)
	if !strings.Contains(f.header, "SPACE=LPS") {
		t.Errorf("STL header %q lacks SPACE=LPS", f.header)
	}
	vol, nv := checkClosed(t, f)

	v, err := scan.LoadVolume(t.Context(), series, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := labels.Load(liver, v, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	maskML, meshML := scan.VolumeML(m, v.VoxelVolumeML()), vol/1000
	t.Logf("IRCAD 7 liver: %d triangles, %d vertices; enclosed %.2f ml, mask %.2f ml (%+.3f %%)",
		len(f.triangles), nv, meshML, maskML, 100*(meshML-maskML)/maskML)
	if math.Abs(meshML-maskML) > 0.02*maskML {
		t.Errorf("enclosed %.2f ml, mask %.2f ml: more than 2 %% apart", meshML, maskML)
	}
	// Every corner lies within the CT's extent in LPS (half a voxel beyond its outer centres).
	var lo, hi [3]float64
	for a := range 3 {
		lo[a], hi[a] = math.Inf(1), math.Inf(-1)
	}
	for _, c := range [][3]float64{{-0.5, -0.5, -0.5}, {float64(v.Dims[0]) - 0.5, float64(v.Dims[1]) - 0.5, float64(v.Dims[2]) - 0.5}} {
		for _, i := range []float64{c[0], -0.5, float64(v.Dims[0]) - 0.5} {
			for _, j := range []float64{c[1], -0.5, float64(v.Dims[1]) - 0.5} {
				for _, k := range []float64{c[2], -0.5, float64(v.Dims[2]) - 0.5} {
					p := v.Position(i, j, k)
					for a := range 3 {
						lo[a], hi[a] = min(lo[a], p[a]), max(hi[a], p[a])
					}
				}
			}
		}
	}
	for _, tri := range f.triangles {
		for _, p := range tri {
			for a := range 3 {
				if float64(p[a]) < lo[a]-0.01 || float64(p[a]) > hi[a]+0.01 {
					t.Fatalf("corner %v outside the CT's extent %v..%v", p, lo, hi)
				}
			}
		}
	}
}

// --smooth and the other formats; --json has the figures.
func TestMeshSmoothJSON(t *testing.T) {
	series := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	liver := testenv.IRCAD(t, 7, "MASKS_DICOM", "liver")
	out := filepath.Join(t.TempDir(), "liver.PLY")
	stdout := mustRun(t, "mesh", "--series", series, "--in", liver, "--out", out, "--smooth", "10", "--json")
	var r struct {
		Out       string   `json:"out"`
		Format    string   `json:"format"`
		Space     string   `json:"space"`
		Triangles int      `json:"triangles"`
		Vertices  int      `json:"vertices"`
		MeshML    float64  `json:"mesh_ml"`
		MaskML    float64  `json:"mask_ml"`
		Warnings  []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if r.Out != out || r.Format != "ply" || r.Space != "LPS" || r.Triangles == 0 || r.Vertices == 0 || r.Warnings == nil {
		t.Fatalf("%+v", r)
	}
	if math.Abs(r.MeshML-r.MaskML) > 0.02*r.MaskML {
		t.Fatalf("smoothed: enclosed %.2f ml, mask %.2f ml", r.MeshML, r.MaskML)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(b), "ply\nformat binary_little_endian 1.0\ncomment ") || !strings.Contains(string(b[:200]), "SPACE=LPS") {
		t.Fatalf("%s: %v, starts %q", out, err, b[:min(len(b), 200)])
	}
}

// Errors name the file and the reason: an unknown format, an unwritable path, an empty label, a
// label of another series.
func TestMeshErrors(t *testing.T) {
	series := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	liver := testenv.IRCAD(t, 7, "MASKS_DICOM", "liver")
	dir := t.TempDir()

	vtk := filepath.Join(dir, "liver.vtk")
	code, _, errOut := run(t, "mesh", "--series", series, "--in", liver, "--out", vtk)
	if code != ExitUsage || !strings.Contains(errOut, vtk) || !strings.Contains(errOut, ".stl, .obj or .ply") {
		t.Errorf("unknown format: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run(t, "mesh", "--series", series, "--in", liver); code != ExitUsage || !strings.Contains(errOut, "required") {
		t.Errorf("no --out: exit %d, stderr %q", code, errOut)
	}
	unwritable := filepath.Join(dir, "no", "such", "folder", "liver.stl")
	code, _, errOut = run(t, "mesh", "--series", series, "--in", liver, "--out", unwritable)
	if code != ExitFailure || !strings.HasPrefix(errOut, "liverseg: "+unwritable) {
		t.Errorf("unwritable path: exit %d, stderr %q", code, errOut)
	}

	v, err := scan.LoadVolume(t.Context(), series, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.nii.gz")
	if err := labels.Write(empty, labels.FormatNIfTI, v, scan.NewMask(v.Dims), scan.LabelMeta{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "liver.obj")
	code, _, errOut = run(t, "mesh", "--series", series, "--in", empty, "--out", out)
	if code != ExitFailure || !strings.Contains(errOut, empty) || !strings.Contains(errOut, "empty") {
		t.Errorf("empty label: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written for an empty label", out)
	}

	other := testenv.IRCAD(t, 1, "PATIENT_DICOM")
	code, _, errOut = run(t, "mesh", "--series", other, "--in", liver, "--out", out)
	if code != ExitFailure || !strings.Contains(errOut, "geometry does not match") || !strings.Contains(errOut, liver) {
		t.Errorf("label of another series: exit %d, stderr %q", code, errOut)
	}
}
