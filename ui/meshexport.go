package ui

// Exporting the liver's surface from the review, as `liverseg mesh` does: the label being edited
// (else the truth, else the prediction) as a closed mesh in the series' LPS millimetres.

import (
	"context"
	"errors"
	"fmt"

	"liverseg/mesh"
	"liverseg/scan"
)

// meshSmoothing is the Taubin passes of an export from the GUI: the voxel steps rounded off
// without shrinking (the enclosed volume stays the label's), as a model for 3D Slicer or a
// printer is wanted; the CLI's --smooth chooses.
const meshSmoothing = 10

// exportMesh asks where to write the surface of the mask shown as the truth (the label being
// edited, or the loaded truth), else of the prediction.
func (r *review) exportMesh() {
	m, what := r.truth, "truth"
	if r.editor != nil {
		what = "label"
	}
	if m == nil {
		m, what = r.pred, "prediction"
	}
	if m == nil {
		r.s.showError(errors.New("no mask to export: load a label (L) or run the model (M) first"))
		return
	}
	if r.editor != nil && m == r.editor.ed.Mask() {
		m = m.Clone() // the editor changes its mask while the export runs
	}
	name := r.caseID
	if name == "" {
		name = "liver"
	}
	r.s.askSavePath(name+"-"+what+".stl", func(path string) { r.exportMeshTo(path, m, what) })
}

// exportMeshTo writes m's surface to path (.stl, .obj or .ply) in the background.
func (r *review) exportMeshTo(path string, m *scan.Mask, what string) {
	vol := r.vol
	var tris int
	var ml float64
	r.start("exporting the "+what+"'s surface", func(ctx context.Context, _ func(int, int)) error {
		if _, err := mesh.Format(path); err != nil {
			return err
		}
		s, err := mesh.Build(m, vol, mesh.Options{Smooth: meshSmoothing})
		if err != nil {
			return fmt.Errorf("%s: the %s: %w", path, what, err)
		}
		tris, ml = len(s.Triangles), s.Volume()/1000
		return namePath(path, mesh.Write(path, s))
	}, func() {
		r.modelNote = fmt.Sprintf("%s surface written to %s: %d triangles, %.1f ml, LPS mm", what, path, tris, ml)
		r.main.RefreshStatus()
	})
}
