package training

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"liverseg/inference"
	"liverseg/scan"
)

// CaseEval is a model's figures on one case of a dataset.
type CaseEval struct {
	Name  string `json:"name"`
	Split string `json:"split"`
	Kind  string `json:"kind"` // volume or slices
	// Level says what was scored: "slices" = the dataset's arrays at the model's input size,
	// threshold only; "volume" = the whole segmentation pipeline (inference.Segment: resize back,
	// largest component, holes filled) on the original series against its label.
	Level string `json:"level"`
	// The figures, under scan.Metrics' names (dice, iou, miou, ..., slices): at the "slices"
	// level TruthML and PredML are 0 and there are no surface distances, the arrays having no
	// voxel size; at the "volume" level the surface distances (hd95_mm, assd_mm, nsd_2mm) are
	// there, or surface_reason says why not.
	scan.Metrics
	Seconds float64 `json:"seconds,omitempty"`

	images *npyArray  // the dataset's images, for panels
	truth  *scan.Mask // [W, H, N] at model size
	pred   *scan.Mask
}

// evalDataset runs the model on every row of the dataset's cases of the given splits and scores
// the thresholded logits against the masks, per case and per slice.
func evalDataset(ctx context.Context, m *inference.Model, dsDir string, man *Manifest, splits map[string]bool) ([]*CaseEval, error) {
	c := m.Contract()
	if c.InputH != man.Contract.InputSize[0] || c.InputW != man.Contract.InputSize[1] || c.Channels != man.Contract.Channels {
		return nil, fmt.Errorf("%s: the model wants [%d,%d,%d], the dataset has [%d,%d,%d]", m.Path(), c.Channels, c.InputH, c.InputW,
			man.Contract.Channels, man.Contract.InputSize[0], man.Contract.InputSize[1])
	}
	hw := c.InputH * c.InputW
	chw := c.Channels * hw
	var out []*CaseEval
	for _, mc := range man.Cases {
		if !splits[mc.Split] {
			continue
		}
		img, err := readNPY(filepath.Join(dsDir, mc.Images))
		if err != nil {
			return nil, err
		}
		msk, err := readNPY(filepath.Join(dsDir, mc.Masks))
		if err != nil {
			return nil, err
		}
		n := mc.Slices
		if len(msk.U8) != n*hw || (len(img.F32) != n*chw && len(img.U8) != n*chw) {
			return nil, fmt.Errorf("%s: arrays of %s do not match the manifest", dsDir, mc.Name)
		}
		dims := [3]int{c.InputW, c.InputH, n}
		truth, err := scan.MaskFromVoxels(dims, msk.U8)
		if err != nil {
			return nil, fmt.Errorf("%s: masks of %s: %w", dsDir, mc.Name, err)
		}
		pred := scan.NewMask(dims)
		plane := make([]uint8, hw)
		batch := m.BatchSize()
		in := make([]float32, batch*chw)
		logits := make([]float32, batch*hw)
		for s := 0; s < n; s += batch {
			k := min(batch, n-s)
			if img.F32 != nil {
				copy(in, img.F32[s*chw:(s+k)*chw])
			} else {
				for i, v := range img.U8[s*chw : (s+k)*chw] {
					in[i] = float32(v) / 255
				}
			}
			if err := m.RunInto(ctx, in[:k*chw], k, logits[:k*hw]); err != nil {
				return nil, err
			}
			thr := logit(c.Threshold)
			for j := 0; j < k; j++ {
				for i, v := range logits[j*hw : (j+1)*hw] {
					plane[i] = 0
					if v > thr {
						plane[i] = 1
					}
				}
				pred.SetSlice(s+j, plane)
			}
		}
		met, err := scan.Compare(truth, pred, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, &CaseEval{Name: mc.Name, Split: mc.Split, Kind: mc.Kind, Level: "slices", Metrics: *met,
			images: img, truth: truth, pred: pred})
	}
	return out, nil
}

func logit(p float64) float32 {
	return float32(math.Log(p / (1 - p)))
}

// pooledDice is the Dice of all the cases' voxels at once (a mean of cases would weigh a small
// liver as much as a large one).
func pooledDice(cases []*CaseEval) float64 {
	var tp, fp, fn int64
	for _, c := range cases {
		for _, s := range c.Slices {
			inter := s.TruthVoxel - s.FalseNeg
			tp += inter
			fp += s.FalsePos
			fn += s.FalseNeg
		}
	}
	if d := 2*tp + fp + fn; d > 0 {
		return float64(2*tp) / float64(d)
	}
	return 1
}
