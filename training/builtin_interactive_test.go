package training

import (
	"context"
	"testing"

	"liverseg/assets"
	"liverseg/inference"
)

// TestBuiltInInteractiveKeepsAutomatic (issue 23, "must show"): without clicks, given the
// automatic model's mask as the label, the built-in interactive model redraws IRCAD case 17
// (held out of its training) as the built-in automatic model segments it: Dice >= 0.999 over all
// the slices at the models' input size, through ONNX Runtime. And a positive click is used: on
// the slice where the automatic mask misses most liver, a click at the missed pixel farthest
// from any mask pixel of the automatic model adds liver there.
func TestBuiltInInteractiveKeepsAutomatic(t *testing.T) {
	if _, ok := assets.InteractiveModel(); !ok {
		t.Skip("this build has no assets/" + assets.InteractiveModelName)
	}
	ortOpt := ortOptions(t)
	ctx := context.Background()
	v, truth := loadIRCAD(t, 17)
	cache := t.TempDir()
	autoPath, err := assets.DefaultModelFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	clickPath, err := assets.InteractiveModelFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	am, err := inference.OpenModel(ctx, autoPath, ortOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer am.Close()
	im, err := inference.OpenModel(ctx, clickPath, ortOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	c := im.Contract()
	if !c.Interactive() || c.Parent != BuiltIn || c.InputH != am.Contract().InputH || c.Channels != am.Contract().Channels {
		t.Fatalf("interactive contract %+v", c)
	}
	p, err := inference.NewPreprocessor(am.Contract(), v)
	if err != nil {
		t.Fatal(err)
	}
	hw := c.InputH * c.InputW
	img := make([]float32, c.Channels*hw)
	in := make([]float32, c.InputChannels()*hw)
	want := make([]uint8, hw)
	tr := make([]uint8, hw)
	var tp, fp, fn int
	worst, worstMissed := -1, 0
	for s := 0; s < p.Slices(); s++ {
		p.Input(s, img)
		logits, err := am.Run(ctx, img, 1)
		if err != nil {
			t.Fatal(err)
		}
		clear(in)
		copy(in, img)
		for i, l := range logits {
			want[i] = 0
			if l > 0 {
				want[i] = 1
				in[c.Channels*hw+i] = 1
			}
		}
		got, err := im.Run(ctx, in, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range got {
			switch g := l > 0; {
			case g && want[i] == 1:
				tp++
			case g:
				fp++
			case want[i] == 1:
				fn++
			}
		}
		p.MaskSlice(truth, s, tr)
		missed := 0
		for i := range tr {
			if tr[i] == 1 && want[i] == 0 {
				missed++
			}
		}
		if missed > worstMissed {
			worst, worstMissed = s, missed
		}
	}
	dice := float64(2*tp) / float64(2*tp+fp+fn)
	t.Logf("IRCAD 17, %d slices: the interactive model without clicks against the automatic model: Dice %.5f (%d voxels apart)", p.Slices(), dice, fp+fn)
	if dice < 0.999 {
		t.Errorf("without clicks the interactive model's mask differs from the automatic one: Dice %.5f < 0.999", dice)
	}

	// a positive click on the slice the automatic model misses most of
	if worst < 0 {
		t.Fatal("the automatic model misses no liver on IRCAD 17")
	}
	p.Input(worst, img)
	logits, err := am.Run(ctx, img, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.MaskSlice(truth, worst, tr)
	clear(in)
	copy(in, img)
	best, bx, by := -1, 0, 0
	for i, l := range logits {
		if l > 0 {
			in[c.Channels*hw+i] = 1
			continue
		}
		if tr[i] == 0 {
			continue
		}
		// the missed pixel farthest from the automatic mask's and the background's pixels
		x, y := i%c.InputW, i/c.InputW
		d := nearestOther(logits, tr, c.InputW, c.InputH, x, y)
		if d > best {
			best, bx, by = d, x, y
		}
	}
	before, err := im.Run(ctx, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	sp := [2]float64{p.Canonical.Spacing[0] * float64(p.Canonical.Dims[0]) / float64(c.InputW), p.Canonical.Spacing[1] * float64(p.Canonical.Dims[1]) / float64(c.InputH)}
	pos := in[(c.Channels+1)*hw : (c.Channels+2)*hw]
	for y := 0; y < c.InputH; y++ {
		for x := 0; x < c.InputW; x++ {
			dx, dy := float64(x-bx)*sp[0], float64(y-by)*sp[1]
			if dx*dx+dy*dy <= c.ClickRadiusMM*c.ClickRadiusMM {
				pos[y*c.InputW+x] = 1
			}
		}
	}
	after, err := im.Run(ctx, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	gained := 0
	for i := range after {
		if after[i] > 0 && before[i] <= 0 && tr[i] == 1 {
			gained++
		}
	}
	t.Logf("slice %d: the automatic model misses %d liver pixels; a positive click at (%d, %d) adds %d of them", worst, worstMissed, bx, by, gained)
	if after[by*c.InputW+bx] <= 0 || gained == 0 {
		t.Errorf("a positive click at (%d, %d) of slice %d added no liver (logit there %g)", bx, by, worst, after[by*c.InputW+bx])
	}
}

// nearestOther is the chessboard distance from (x, y) to the nearest pixel that is in the
// automatic mask (logit > 0) or not liver in the truth.
func nearestOther(logits []float32, truth []uint8, w, h, x, y int) int {
	for r := 1; r < w+h; r++ {
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				if max(abs(dx), abs(dy)) != r {
					continue
				}
				xx, yy := x+dx, y+dy
				if xx < 0 || yy < 0 || xx >= w || yy >= h {
					return r
				}
				if i := yy*w + xx; logits[i] > 0 || truth[i] == 0 {
					return r
				}
			}
		}
	}
	return w + h
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
