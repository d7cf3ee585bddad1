package scan

import (
	"fmt"
	"math"
	"sort"
)

// Confusion counts voxels of a prediction against a truth, with liver as the positive class.
type Confusion struct {
	TP, FP, FN, TN int64
}

// Add counts one voxel of the truth and the prediction (nonzero = liver).
func (c *Confusion) Add(truth, pred uint8) {
	t, p := truth != 0, pred != 0
	switch {
	case t && p:
		c.TP++
	case p:
		c.FP++
	case t:
		c.FN++
	default:
		c.TN++
	}
}

// Dice of the liver; 1 when truth and prediction are both empty.
func (c Confusion) Dice() float64 {
	if d := 2*c.TP + c.FP + c.FN; d > 0 {
		return float64(2*c.TP) / float64(d)
	}
	return 1
}

// IoU of the liver; 1 when truth and prediction are both empty.
func (c Confusion) IoU() float64 {
	if d := c.TP + c.FP + c.FN; d > 0 {
		return float64(c.TP) / float64(d)
	}
	return 1
}

// MIoU is the mean over the classes {background, liver} of their IoU, the standard definition:
// a class absent from both truth and prediction has no IoU and is left out of the mean.
func (c Confusion) MIoU() float64 {
	return nanMean(ratio(c.TN, c.TN+c.FP+c.FN), ratio(c.TP, c.TP+c.FP+c.FN))
}

// MPA is the mean over the classes of their pixel accuracy (recall); a class absent from the
// truth has no recall and is left out of the mean.
func (c Confusion) MPA() float64 {
	return nanMean(ratio(c.TN, c.TN+c.FP), ratio(c.TP, c.TP+c.FN))
}

// Accuracy is the fraction of voxels classified right.
func (c Confusion) Accuracy() float64 {
	return ratio(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func nanMean(v ...float64) float64 {
	s, n := 0.0, 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return 1
	}
	return s / float64(n)
}

// SliceMetrics are the figures of one slice.
type SliceMetrics struct {
	Slice      int     `json:"slice"`
	Dice       float64 `json:"dice"`
	IoU        float64 `json:"iou"`
	MIoU       float64 `json:"miou"`
	MPA        float64 `json:"mpa"`
	Accuracy   float64 `json:"accuracy"`
	TruthVoxel int64   `json:"truth_voxels"`
	PredVoxel  int64   `json:"pred_voxels"`
	FalsePos   int64   `json:"false_positive"`
	FalseNeg   int64   `json:"false_negative"`
}

// Metrics are the figures of a prediction against a truth (see DESIGN.md, Metrics). The volume
// figures come from all voxels at once, never from a mean of slices; StudyMIoU and StudyMPA are
// the original study's per-slice means, kept so that our figures stand beside its table.
type Metrics struct {
	Dice      float64        `json:"dice"`
	IoU       float64        `json:"iou"`
	MIoU      float64        `json:"miou"`
	MPA       float64        `json:"mpa"`
	StudyMIoU float64        `json:"study_miou"`
	StudyMPA  float64        `json:"study_mpa"`
	TruthML   float64        `json:"truth_ml"`
	PredML    float64        `json:"pred_ml"`
	Volume    Confusion      `json:"-"`
	Slices    []SliceMetrics `json:"slices,omitempty"`
	// The surface distances (CompareSurfaces), where they were measured: eval, segment --truth,
	// the review and a training report's whole-series figures measure them; figures at the
	// model's input size (no voxel size) do not.
	*SurfaceFigures
}

// SliceConfusion counts the voxels of slice k of truth and pred (same dims), reading only the
// rectangles the two keep: every voxel outside both is a true negative.
func SliceConfusion(truth, pred *Mask, k int) Confusion {
	var c Confusion
	r := truth.Bounds(k).Union(pred.Bounds(k))
	if n := r.Dx(); n > 0 {
		t, p := make([]uint8, n), make([]uint8, n)
		start := (k*truth.Dims[1]+r.Min.Y)*truth.Dims[0] + r.Min.X
		for j := r.Min.Y; j < r.Max.Y; j++ {
			truth.Read(start, t)
			pred.Read(start, p)
			for i := range t {
				c.Add(t[i], p[i])
			}
			start += truth.Dims[0]
		}
	}
	c.TN += int64(truth.SliceLen() - r.Dx()*r.Dy())
	return c
}

// SliceFigures are the figures of slice k whose voxels c counted.
func (c Confusion) SliceFigures(k int) SliceMetrics {
	return SliceMetrics{
		Slice: k, Dice: c.Dice(), IoU: c.IoU(), MIoU: c.MIoU(), MPA: c.MPA(), Accuracy: c.Accuracy(),
		TruthVoxel: c.TP + c.FN, PredVoxel: c.TP + c.FP, FalsePos: c.FP, FalseNeg: c.FN,
	}
}

// Compare scores pred against truth; voxelML is the volume of one voxel in millilitres.
func Compare(truth, pred *Mask, voxelML float64) (*Metrics, error) {
	if !truth.Valid() || !pred.Valid() || truth.Dims != pred.Dims {
		return nil, fmt.Errorf("%w: truth is %s, prediction is %s", ErrGeometry, DimsString(truth.Dims), DimsString(pred.Dims))
	}
	m := &Metrics{Slices: make([]SliceMetrics, truth.Dims[2])}
	var studyIoU, studyAcc float64
	for k := range m.Slices {
		c := SliceConfusion(truth, pred, k)
		m.Volume.TP += c.TP
		m.Volume.FP += c.FP
		m.Volume.FN += c.FN
		m.Volume.TN += c.TN
		m.Slices[k] = c.SliceFigures(k)
		studyIoU += c.IoU()
		studyAcc += c.Accuracy()
	}
	v := m.Volume
	m.Dice, m.IoU, m.MIoU, m.MPA = v.Dice(), v.IoU(), v.MIoU(), v.MPA()
	if n := float64(len(m.Slices)); n > 0 {
		m.StudyMIoU, m.StudyMPA = studyIoU/n, studyAcc/n
	}
	m.TruthML = float64(v.TP+v.FN) * voxelML
	m.PredML = float64(v.TP+v.FP) * voxelML
	return m, nil
}

// Disagreements returns the slices where truth and prediction differ, worst first (most voxels
// in disagreement), so that a reviewer goes straight to them.
func (m *Metrics) Disagreements() []SliceMetrics {
	var out []SliceMetrics
	for _, s := range m.Slices {
		if s.FalsePos+s.FalseNeg > 0 {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		return out[a].FalsePos+out[a].FalseNeg > out[b].FalsePos+out[b].FalseNeg
	})
	return out
}

// VolumeML is the liver volume of a mask in millilitres.
func VolumeML(m *Mask, voxelML float64) float64 {
	return float64(m.Count()) * voxelML
}
