package scan

import (
	"errors"
	"math"
	"testing"
)

func maskOf(dims [3]int, liver ...int) *Mask {
	m := NewMask(dims)
	for _, i := range liver {
		m.Set(i, 1)
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCompareFigures(t *testing.T) {
	dims := [3]int{2, 2, 2} // two slices of four voxels
	// slice 0: truth {0,1}, pred {1,2}: TP1 FP1 FN1 TN1; slice 1: both empty.
	truth := maskOf(dims, 0, 1)
	pred := maskOf(dims, 1, 2)
	m, err := Compare(truth, pred, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// Volume: TP1 FP1 FN1 TN5.
	checks := []struct {
		name      string
		got, want float64
	}{
		{"dice", m.Dice, 2.0 / 4},
		{"iou", m.IoU, 1.0 / 3},
		{"miou", m.MIoU, (5.0/7 + 1.0/3) / 2},
		{"mpa", m.MPA, (5.0/6 + 1.0/2) / 2},
		{"study_miou", m.StudyMIoU, (1.0/3 + 1) / 2},
		{"study_mpa", m.StudyMPA, (2.0/4 + 1) / 2},
		{"truth_ml", m.TruthML, 1},
		{"pred_ml", m.PredML, 1},
		{"slice0 dice", m.Slices[0].Dice, 0.5},
		{"slice1 dice (both empty)", m.Slices[1].Dice, 1},
		{"slice1 miou (background only)", m.Slices[1].MIoU, 1},
		{"slice1 mpa (background only)", m.Slices[1].MPA, 1},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if d := m.Disagreements(); len(d) != 1 || d[0].Slice != 0 {
		t.Errorf("disagreements %+v, want slice 0 only", d)
	}
}

func TestCompareIdentical(t *testing.T) {
	dims := [3]int{3, 3, 3}
	a := maskOf(dims, 4, 13, 14)
	m, err := Compare(a, a, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"dice": m.Dice, "iou": m.IoU, "miou": m.MIoU, "mpa": m.MPA, "study_miou": m.StudyMIoU, "study_mpa": m.StudyMPA} {
		if v != 1 {
			t.Errorf("%s = %v, want 1", name, v)
		}
	}
}

func TestCompareGeometryMismatch(t *testing.T) {
	_, err := Compare(NewMask([3]int{2, 2, 2}), NewMask([3]int{2, 2, 3}), 1)
	if !errors.Is(err, ErrGeometry) {
		t.Fatalf("err = %v, want ErrGeometry", err)
	}
}
