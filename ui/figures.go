package ui

// The review's figures of a truth against a prediction: the overlap figures and the surface
// distances, computed together in the review's background job (the surfaces take about a
// second on a 512² x 151 series: never on the Fyne goroutine), and their text.

import (
	"fmt"

	"liverseg/scan"
	"liverseg/viewer"
)

// scoreVolume is what the review shows of pred against truth: the overlap figures, per slice
// numbered as the viewer shows them (Renderer.Compare), and the surface distances of the whole
// volume (HD95, ASSD, NSD at 2 mm, as eval reports them) through the series' voxel spacing.
// It is slow on a large series: call it off the Fyne goroutine.
func scoreVolume(rd *viewer.Renderer, truth, pred *scan.Mask) (*scan.Metrics, error) {
	m, err := rd.Compare(truth, pred)
	if err != nil {
		return nil, err
	}
	sf, err := scan.CompareSurfaces(truth, pred, rd.Volume().Spacing)
	if err != nil {
		return nil, err
	}
	m.SurfaceFigures = &sf
	return m, nil
}

// surfaceFiguresText is the surface distances' lines of the volume figures: the figures, or why
// there are none (an empty mask on either side); "" where they were not measured.
func surfaceFiguresText(sf *scan.SurfaceFigures) string {
	switch {
	case sf == nil:
		return ""
	case sf.HD95 == nil || sf.ASSD == nil || sf.NSD2mm == nil:
		return "surface distances: none\n(" + sf.Reason + ")"
	}
	return fmt.Sprintf("HD95 %.2f mm   ASSD %.2f mm\nNSD@%gmm %.4f", *sf.HD95, *sf.ASSD, scan.NSDTolerance, *sf.NSD2mm)
}
