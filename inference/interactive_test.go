package inference_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"liverseg/inference"
	"liverseg/inference/onnxtest"
	"liverseg/scan"
)

// clickVolume is a small axial volume (canonical = stored: LPS directions) of 0.8 x 1.2 mm pixels,
// with a label disc of radius 8 pixels on slices 3 to 8.
func clickVolume() (*scan.Volume, *scan.Mask) {
	dims := [3]int{48, 40, 12}
	v := &scan.Volume{Voxels: make([]int16, dims[0]*dims[1]*dims[2]), Dims: dims,
		Spacing: [3]float64{0.8, 1.2, 2.5}, Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	for i := range v.Voxels {
		v.Voxels[i] = int16(i%97) - 40
	}
	m := scan.NewMask(dims)
	for k := 3; k <= 8; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				if (i-20)*(i-20)+(j-18)*(j-18) <= 64 {
					m.SetIJK(i, j, k, scan.Liver)
				}
			}
		}
	}
	return v, m
}

// rulesModel is onnxtest.Rules at the volume's own slice size, so that resizing is the identity
// and the model's answer is exactly computable: the label, plus positive disks, minus negative
// ones (radius 3 mm).
func rulesModel(t *testing.T, v *scan.Volume) *inference.Model {
	c := inference.DefaultContract()
	c.InputW, c.InputH = v.Dims[0], v.Dims[1]
	c.ClickEncoding, c.ClickRadiusMM = inference.ClickDisk, 3
	data, _ := onnxtest.Rules(c)
	return onnxtest.Open(t, data)
}

// inDisk says whether pixel (i, j)'s centre lies within r mm of p on 0.8 x 1.2 mm pixels.
func inDisk(i, j int, p [2]float64, r float64) bool {
	dx, dy := (float64(i)+0.5-p[0])*0.8, (float64(j)+0.5-p[1])*1.2
	return dx*dx+dy*dy <= r*r
}

// TestRedrawRules: without clicks the slice comes back as its label; a positive click adds
// exactly its disk, a negative one removes exactly its disk, and nothing else changes.
func TestRedrawRules(t *testing.T) {
	v, label := clickVolume()
	m := rulesModel(t, v)
	s, err := inference.NewInteractive(m, v)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	k := 5
	cur := s.LabelSlice(label, k)
	r, err := s.Redraw(ctx, k, cur, inference.Clicks{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cur {
		if r.Mask[i] != cur[i] {
			t.Fatalf("no clicks: pixel %d is %d, the label %d", i, r.Mask[i], cur[i])
		}
	}
	pos, neg := [2]float64{36.5, 30.5}, [2]float64{20.5, 18.5}
	r, err = s.Redraw(ctx, k, cur, inference.Clicks{Positive: [][2]float64{pos}, Negative: [][2]float64{neg}})
	if err != nil {
		t.Fatal(err)
	}
	added, removed := 0, 0
	for j := 0; j < v.Dims[1]; j++ {
		for i := 0; i < v.Dims[0]; i++ {
			p := j*v.Dims[0] + i
			want := cur[p]
			if inDisk(i, j, pos, 3) {
				want = 1
			}
			if inDisk(i, j, neg, 3) {
				want = 0
			}
			if r.Mask[p] != want {
				t.Fatalf("pixel (%d, %d) = %d, want %d", i, j, r.Mask[p], want)
			}
			if want == 1 && cur[p] == 0 {
				added++
			}
			if want == 0 && cur[p] == 1 {
				removed++
			}
		}
	}
	if added == 0 || removed == 0 {
		t.Errorf("the clicks added %d and removed %d pixels: the test proves nothing", added, removed)
	}
	if r.Prob[int(pos[1])*v.Dims[0]+int(pos[0])] < 250 {
		t.Errorf("probability under the positive click %d", r.Prob[int(pos[1])*v.Dims[0]+int(pos[0])])
	}

	// RedrawSlice is the same, read from the mask.
	one, err := inference.RedrawSlice(ctx, m, v, label, k, inference.Clicks{Positive: [][2]float64{pos}, Negative: [][2]float64{neg}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range one.Mask {
		if one.Mask[i] != r.Mask[i] || one.Prob[i] != r.Prob[i] {
			t.Fatalf("RedrawSlice differs from Redraw at pixel %d", i)
		}
	}
	if _, err := s.Redraw(ctx, 12, cur, inference.Clicks{}); err == nil {
		t.Error("slice 12 of 12: no error")
	}
	if _, err := s.Redraw(ctx, 0, cur[:5], inference.Clicks{}); err == nil {
		t.Error("a short label slice: no error")
	}
}

// TestRedrawManyClicks: a thousand clicks on one slice are answered in bounded time; beyond
// MaxClicks the slice is refused.
func TestRedrawManyClicks(t *testing.T) {
	v, label := clickVolume()
	s, err := inference.NewInteractive(rulesModel(t, v), v)
	if err != nil {
		t.Fatal(err)
	}
	var c inference.Clicks
	for n := 0; n < 1000; n++ {
		c.Positive = append(c.Positive, [2]float64{float64(n % 48), float64(n % 40)})
	}
	start := time.Now()
	if _, err := s.Redraw(t.Context(), 4, s.LabelSlice(label, 4), c); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("1000 clicks took %v", d)
	}
	c.Negative = make([][2]float64, inference.MaxClicks)
	if _, err := s.Redraw(t.Context(), 4, s.LabelSlice(label, 4), c); !errors.Is(err, inference.ErrTooManyClicks) {
		t.Errorf("%d clicks: %v, want ErrTooManyClicks", c.Len(), err)
	}
}

// TestRedrawRefusesAutomatic: an automatic model given for clicks is ErrKind, naming both kinds.
func TestRedrawRefusesAutomatic(t *testing.T) {
	v, label := clickVolume()
	c := inference.DefaultContract()
	c.InputW, c.InputH = 32, 32
	data, _ := onnxtest.Bright(c)
	m := onnxtest.Open(t, data)
	_, err := inference.RedrawSlice(t.Context(), m, v, label, 4, inference.Clicks{})
	if !errors.Is(err, inference.ErrKind) || !strings.Contains(err.Error(), inference.KindAutomatic) ||
		!strings.Contains(err.Error(), inference.KindInteractive) {
		t.Errorf("automatic model: %v, want ErrKind naming both kinds", err)
	}
	// And the other way round: Segment refuses the interactive one.
	_, _, _, err = inference.Segment(t.Context(), rulesModel(t, v), v, nil)
	if !errors.Is(err, inference.ErrKind) {
		t.Errorf("Segment with an interactive model: %v, want ErrKind", err)
	}
}

// TestPropagationRule: a change is significant from MinVoxels voxels and MinFraction of the
// slice's liver (the larger of before and after) on.
func TestPropagationRule(t *testing.T) {
	r := inference.PropagationRule{MinVoxels: 20, MinFraction: 0.02, MaxSlices: 8}
	slice := func(liver, extra int) []uint8 {
		s := make([]uint8, 4000)
		for i := 0; i < liver+extra; i++ {
			s[i] = 1
		}
		return s
	}
	for _, c := range []struct {
		liver, extra int
		want         bool
	}{
		{100, 19, false}, {100, 20, true}, // MinVoxels decides on a small liver
		{2000, 40, false}, {2000, 41, true}, // 2 % of the larger liver: 40.8 of 2040, 40.82 of 2041
		{0, 0, false},
	} {
		ok, n := r.Significant(slice(c.liver, 0), slice(c.liver, c.extra))
		if ok != c.want || n != c.extra {
			t.Errorf("liver %d + %d: significant %v (%d changed), want %v", c.liver, c.extra, ok, n, c.want)
		}
	}
	if ok, _ := r.Significant(slice(2000, 42), slice(2000, 0)); !ok {
		t.Error("42 removed of 2042: not significant (42 >= 40.84)")
	}
}

// TestPropagate: a change carries as clicks at its centre. With the rules model a carried
// positive click adds its disk to the next slice, which carries it on until MaxSlices or the end
// of the volume; a carried negative click removes its disk; a change the neighbour already has,
// or one smaller than MinVoxels, carries nothing; apply's error and a cancel stop the walk.
func TestPropagate(t *testing.T) {
	v, label := clickVolume()
	s, err := inference.NewInteractive(rulesModel(t, v), v)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cols := v.Dims[0]
	current := func(j int) []uint8 { return s.LabelSlice(label, j) }
	before := s.LabelSlice(label, 5)
	p := [2]float64{40.5, 30.5} // outside the liver's disc
	after := append([]uint8(nil), before...)
	for i := range after {
		if inDisk(i%cols, i/cols, p, 3) {
			after[i] = 1
		}
	}
	rule := inference.PropagationRule{MinVoxels: 20, MinFraction: 0.02, MaxSlices: 3}
	var got []int
	n, err := s.Propagate(ctx, 5, before, after, 1, rule, current, func(j int, mask []uint8) error {
		got = append(got, j)
		cur := current(j)
		for i := range mask {
			want := cur[i]
			if inDisk(i%cols, i/cols, p, 3) {
				want = 1
			}
			if mask[i] != want {
				t.Fatalf("slice %d pixel %d: %d, want its label and the carried disk", j, i, mask[i])
			}
		}
		return nil
	})
	if err != nil || n != 3 || len(got) != 3 || got[0] != 6 || got[2] != 8 {
		t.Errorf("propagated %d slices %v (%v), want 6, 7, 8", n, got, err)
	}
	// Downward, the end of the volume stops it: slices 4..0 are 5 slices, MaxSlices 8.
	rule.MaxSlices = 8
	got = got[:0]
	n, err = s.Propagate(ctx, 5, before, after, -1, rule, current, func(j int, _ []uint8) error { got = append(got, j); return nil })
	if err != nil || n != 5 || got[4] != 0 {
		t.Errorf("downward: %d slices %v (%v), want 4 to 0", n, got, err)
	}
	// A negative change inside the liver: the next slice loses the same disk.
	q := [2]float64{20.5, 18.5}
	cut := append([]uint8(nil), before...)
	for i := range cut {
		if inDisk(i%cols, i/cols, q, 3) {
			cut[i] = 0
		}
	}
	rule.MaxSlices = 1
	n, err = s.Propagate(ctx, 5, before, cut, 1, rule, current, func(j int, mask []uint8) error {
		cur := current(j)
		for i := range mask {
			want := cur[i]
			if inDisk(i%cols, i/cols, q, 3) {
				want = 0
			}
			if mask[i] != want {
				t.Fatalf("slice %d pixel %d: %d, want its label less the carried disk", j, i, mask[i])
			}
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("negative: %d slices, %v", n, err)
	}
	// The neighbour already has the change: no click, nothing applied.
	has := func(j int) []uint8 { return after }
	n, err = s.Propagate(ctx, 5, before, after, 1, rule, has, func(j int, _ []uint8) error {
		t.Errorf("slice %d applied for a change it already has", j)
		return nil
	})
	if err != nil || n != 0 {
		t.Errorf("change already there: %d slices, %v", n, err)
	}
	// 10 voxels more: a region under MinVoxels carries no click.
	small := append([]uint8(nil), before...)
	for i := 0; i < 10; i++ {
		small[i] = 1
	}
	n, err = s.Propagate(ctx, 5, before, small, 1, rule, current, func(j int, _ []uint8) error {
		t.Errorf("slice %d applied for a change of 10 voxels", j)
		return nil
	})
	if err != nil || n != 0 {
		t.Errorf("small change: %d slices, %v", n, err)
	}
	stop := errors.New("stop")
	n, err = s.Propagate(ctx, 5, before, after, 1, rule, current, func(int, []uint8) error { return stop })
	if !errors.Is(err, stop) || n != 0 {
		t.Errorf("apply's error: %d, %v", n, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Propagate(cctx, 5, before, after, 1, rule, current, func(int, []uint8) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := s.Propagate(ctx, 5, before, after, 0, rule, current, nil); err == nil {
		t.Error("direction 0: no error")
	}
}
