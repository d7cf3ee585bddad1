package view3d

import (
	"context"
	"path/filepath"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/mesh"
	"liverseg/scan"
)

// ircad7View is the review's 3D view of IRCAD case 7: the truth's display surface, translucent,
// and a prediction's (the truth moved 4 columns and 2 slices) coloured by its signed distance
// to the truth, built as the GUI builds them (mesh.ForDisplay, mesh.SignedDistance).
func ircad7View(tb testing.TB) *View {
	tb.Helper()
	dir := testenv.IRCAD(tb, 7)
	v, err := scan.LoadVolume(context.Background(), filepath.Join(dir, "PATIENT_DICOM"), "", nil)
	if err != nil {
		tb.Fatal(err)
	}
	truth, err := scan.ReadMaskFolder(filepath.Join(dir, "MASKS_DICOM", "liver"), v)
	if err != nil {
		tb.Fatal(err)
	}
	pred := scan.NewMask(v.Dims)
	for k := 2; k < v.Dims[2]; k++ {
		for j := 0; j < v.Dims[1]; j++ {
			for i := 4; i < v.Dims[0]; i++ {
				pred.Set(v.Index(i, j, k), truth.At(v.Index(i-4, j, k-2)))
			}
		}
	}
	tm, err := mesh.Build(truth, v, mesh.ForDisplay())
	if err != nil {
		tb.Fatal(err)
	}
	pm, err := mesh.Build(pred, v, mesh.ForDisplay())
	if err != nil {
		tb.Fatal(err)
	}
	dist, err := mesh.SignedDistance(pm, truth, v)
	if err != nil {
		tb.Fatal(err)
	}
	view := NewView(nil)
	if err := view.Scene.Set("truth", Surface{Mesh: tm, Normals: tm.Normals(), Color: NoDistance, Opacity: 0.35}); err != nil {
		tb.Fatal(err)
	}
	if err := view.Scene.Set("prediction", Surface{Mesh: pm, Normals: pm.Normals(), Colors: DistanceScale{}.Colors(nil, dist), Opacity: 1}); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("IRCAD 7 display surfaces: truth %d triangles, prediction %d", len(tm.Triangles), len(pm.Triangles))
	return view
}

// BenchmarkRender800IRCAD7Rotating draws case 7's truth and prediction surfaces at 800 x 800,
// turning them every frame as a drag does (the target: 20 frames a second on one core, 50 ms).
func BenchmarkRender800IRCAD7Rotating(b *testing.B) { benchRotating(b, ircad7View(b)) }
