package training

import (
	"context"
	"fmt"
	"os"
	"time"

	"liverseg/inference"
	"liverseg/scan"
	"liverseg/scan/labels"
)

// evalVolumes scores the volume cases of the given splits with the whole segmentation pipeline
// (inference.Segment, as `liverseg segment` and the GUI run it) on their original series and
// labels: the overlap figures and the surface distances. The paths of the manifest are expanded ($LIVERSEG_DATA);
// a case whose series cannot be found is an error, so that a report never silently lacks it.
func evalVolumes(ctx context.Context, m *inference.Model, man *Manifest, splits map[string]bool, progress Progress) ([]*CaseEval, error) {
	out, err := evalVolumesWith(ctx, []*inference.Model{m}, man, splits, progress)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// evalVolumesWith is evalVolumes for several models at once (a parent and its fine-tuned child):
// each series and label is read once and every model segments it. out[i] are model i's figures.
func evalVolumesWith(ctx context.Context, ms []*inference.Model, man *Manifest, splits map[string]bool, progress Progress) ([][]*CaseEval, error) {
	out := make([][]*CaseEval, len(ms))
	var todo []ManifestCase
	for _, mc := range man.Cases {
		if mc.Kind == "volume" && splits[mc.Split] {
			todo = append(todo, mc)
		}
	}
	for n, mc := range todo {
		if progress != nil {
			progress("segmenting "+mc.Name, n, len(todo))
		}
		series, label := os.ExpandEnv(mc.Series), os.ExpandEnv(mc.Label)
		v, err := scan.LoadVolume(ctx, series, mc.SeriesUID, nil)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", mc.Name, err)
		}
		truth, err := labels.Load(label, v, labels.Options{Reverse: mc.Reverse, Segment: mc.Segment})
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", mc.Name, err)
		}
		for i, m := range ms {
			t0 := time.Now()
			pred, _, _, err := inference.Segment(ctx, m, v, nil)
			if err != nil {
				return nil, fmt.Errorf("case %s: %w", mc.Name, err)
			}
			met, err := scan.Compare(truth, pred, v.VoxelVolumeML())
			if err != nil {
				return nil, fmt.Errorf("case %s: %w", mc.Name, err)
			}
			seconds := time.Since(t0).Seconds()
			// The surface distances as eval measures them: through the series' spacing.
			sf, err := scan.CompareSurfaces(truth, pred, v.Spacing)
			if err != nil {
				return nil, fmt.Errorf("case %s: %w", mc.Name, err)
			}
			met.SurfaceFigures = &sf
			out[i] = append(out[i], &CaseEval{Name: mc.Name, Split: mc.Split, Kind: "volume", Level: "volume",
				Metrics: *met, Seconds: seconds})
		}
	}
	if progress != nil && len(todo) > 0 {
		progress("segmented", len(todo), len(todo))
	}
	return out, nil
}
