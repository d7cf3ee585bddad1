package cli

import (
	"context"
	"fmt"
	"io"

	"liverseg/internal/atomicfile"
	"liverseg/mesh"
	"liverseg/scan"
)

// Mesh is `liverseg mesh --series S --in LABEL --out FILE.stl|.obj|.ply [--smooth N]`: the
// closed surface of a label, in the series' patient coordinates (LPS mm), for 3D Slicer or a
// printer. It prints the triangles, the vertices, and the volume the surface encloses beside the
// label's own, the check that the file holds the label.
func Mesh(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("mesh", "--series S --in LABEL --out FILE.stl|.obj|.ply [--smooth N]", stderr)
	series := addSeriesFlag(fs)
	uid := addSeriesUIDFlag(fs)
	in := fs.String("in", "", "the label whose surface to write (any LABEL format)")
	out := fs.String("out", "", "the mesh: .stl (binary), .obj or .ply (binary), in LPS mm")
	smoothing := fs.Int("smooth", 0, "Taubin smoothing passes, which round the voxel steps off without shrinking (0: the voxels' surface)")
	asJSON := addJSONFlag(fs)
	lf := addLabelFlags(fs)
	if code, ok := parseOnlyFlags(fs, args, stderr); !ok {
		return code
	}
	if *series == "" || *in == "" || *out == "" {
		return usageError(stderr, fs, "--series, --in and --out are required")
	}
	if *smoothing < 0 {
		return usageError(stderr, fs, "--smooth %d: the passes cannot be negative", *smoothing)
	}
	format, err := mesh.Format(*out)
	if err != nil {
		return usageError(stderr, fs, "%v", err)
	}
	if err := checkInputs(*series, *in); err != nil {
		return fail(stderr, err)
	}
	if err := atomicfile.CheckWritable(*out, false); err != nil {
		return fail(stderr, err)
	}
	v, err := loadSeries(ctx, *series, *uid, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	m, err := loadLabel(*in, v, lf, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	s, err := mesh.Build(m, v, mesh.Options{Smooth: *smoothing})
	if err != nil {
		return fail(stderr, fmt.Errorf("%s: %w", *in, err))
	}
	if err := mesh.Write(*out, s); err != nil {
		return fail(stderr, err)
	}
	meshML, maskML := s.Volume()/1000, scan.VolumeML(m, v.VoxelVolumeML())
	if *asJSON {
		res := map[string]any{
			"out": *out, "format": format, "space": "LPS",
			"triangles": len(s.Triangles), "vertices": len(s.Vertices),
			"mesh_ml": meshML, "mask_ml": maskML, "smooth": *smoothing,
			"warnings": warnings(v),
		}
		if err := writeJSON(stdout, res); err != nil {
			return fail(stderr, err)
		}
		return ExitOK
	}
	fmt.Fprintf(stdout, "wrote %s (%s)\n", Printable(*out), format)
	fmt.Fprintf(stdout, "triangles   %d\n", len(s.Triangles))
	fmt.Fprintf(stdout, "vertices    %d\n", len(s.Vertices))
	fmt.Fprintf(stdout, "enclosed    %.1f ml   (%+.2f %% of the label's)\n", meshML, 100*(meshML-maskML)/maskML)
	fmt.Fprintf(stdout, "label       %.1f ml\n", maskML)
	fmt.Fprintf(stdout, "space       LPS mm, the series' patient coordinates (the header says %s, which 3D Slicer reads)\n", mesh.Space)
	return ExitOK
}
