package training

import (
	"context"
	"fmt"
	"os"
	"time"

	"liverseg/inference"
	"liverseg/scan"
)

// segmentVolume is the whole segmentation pipeline of a series: inference.Segment.
var segmentVolume = func(ctx context.Context, m *inference.Model, v *scan.Volume) (*scan.Mask, error) {
	mask, _, _, err := inference.Segment(ctx, m, v, nil)
	return mask, err
}

// evalVolumes scores the volume cases of the given splits with the whole segmentation pipeline
// on their original series and labels. The paths of the manifest are expanded ($LIVERSEG_DATA);
// a case whose series cannot be found is an error, so that a report never silently lacks it.
func evalVolumes(ctx context.Context, m *inference.Model, man *Manifest, splits map[string]bool, progress Progress) ([]*CaseEval, error) {
	var out []*CaseEval
	for _, mc := range man.Cases {
		if mc.Kind != "volume" || !splits[mc.Split] {
			continue
		}
		if progress != nil {
			progress("segmenting "+mc.Name, 0, 1)
		}
		series, label := os.ExpandEnv(mc.Series), os.ExpandEnv(mc.Label)
		v, err := scan.LoadVolume(ctx, series, mc.SeriesUID, nil)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", mc.Name, err)
		}
		truth, err := scan.LoadLabel(label, v, scan.LabelOptions{Reverse: mc.Reverse, Segment: mc.Segment})
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", mc.Name, err)
		}
		t0 := time.Now()
		pred, err := segmentVolume(ctx, m, v)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", mc.Name, err)
		}
		met, err := scan.Compare(truth, pred, v.VoxelVolumeML())
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", mc.Name, err)
		}
		ce := &CaseEval{Name: mc.Name, Split: mc.Split, Kind: "volume", Level: "volume", Seconds: time.Since(t0).Seconds()}
		ce.fill(met)
		out = append(out, ce)
	}
	return out, nil
}
