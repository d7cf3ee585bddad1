package inference

// The runtime of an interactive model: one canonical axial slice redrawn from its image, a label
// (the slice's current one, or a neighbour's when a change propagates) and the annotator's clicks,
// in one model run of batch 1. The GUI's AI click tool and the robot annotator benchmark both
// call it, so that the benchmark measures what the annotator gets.

import (
	"context"
	"fmt"

	"liverseg/scan"
)

// Interactive redraws slices of one volume with an interactive model. It keeps its input, output
// and click buffers and the Preprocessor's cache of resized image slices between calls, so that a
// click costs the model run and little more. It is for one goroutine at a time.
type Interactive struct {
	m     *Model
	c     Contract
	pre   *Preprocessor
	geom  ClickGeometry
	input []float32 // [InputChannels, H, W]
	out   []float32 // logits, then probabilities, H x W
	dist2 []float64 // click map scratch
	clk   [][2]float64
	small []float32 // the label channel before its threshold
}

// NewInteractive prepares redrawing slices of v with m, which must be an interactive model (an
// automatic one is ErrKind, naming both kinds).
func NewInteractive(m *Model, v *scan.Volume) (*Interactive, error) {
	c := m.Contract()
	if err := c.CheckKind(KindInteractive, m.Path()); err != nil {
		return nil, err
	}
	pre, err := NewPreprocessor(c, v)
	if err != nil {
		return nil, err
	}
	hw := c.InputH * c.InputW
	can := pre.Canonical
	return &Interactive{
		m: m, c: c, pre: pre,
		geom:  NewClickGeometry(c, can.Dims[0], can.Dims[1], can.Spacing[0], can.Spacing[1]),
		input: make([]float32, c.InputChannels()*hw),
		out:   make([]float32, hw),
		dist2: make([]float64, hw),
		small: make([]float32, hw),
	}, nil
}

// Canonical is the axial view whose slices and pixels Redraw takes and returns.
func (s *Interactive) Canonical() scan.Canonical { return s.pre.Canonical }

// Model is the interactive model.
func (s *Interactive) Model() *Model { return s.m }

// Slices is the number of canonical axial slices.
func (s *Interactive) Slices() int { return s.pre.Slices() }

// SliceLen is the pixels of a canonical axial slice: columns x rows.
func (s *Interactive) SliceLen() int { return s.pre.Canonical.Dims[0] * s.pre.Canonical.Dims[1] }

// LabelSlice copies canonical axial slice k of a label mask (1 where the mask is nonzero) into a
// new slice of SliceLen bytes, row by row. It only reads: it may run beside Redraw.
func (s *Interactive) LabelSlice(label *scan.Mask, k int) []uint8 {
	out := make([]uint8, s.SliceLen())
	canonicalMaskSlice(label, s.pre.Canonical, k, out)
	return out
}

// Redrawn is a slice as the model redraws it, on the canonical axial slice (row by row, SliceLen
// pixels): Mask is the label given with the regions the clicks are on changed as the model says
// (1 where the probability reaches the contract's threshold, else 0; each click's own disk of
// the contract's radius on the click's side, stampClicks; keepClickedRegions: no
// largest component, no hole filling, nothing changed away from the clicks); Prob the model's
// probability of the whole slice scaled to 0..255, as inference stores it.
type Redrawn struct {
	Mask, Prob []uint8
}

// Redraw runs the model on canonical axial slice k with label as the label channel (SliceLen
// bytes, nonzero meaning liver) and clicks as the guidance maps, and returns the slice redrawn
// (new arrays, the caller's to keep). The channels are the contract's: the image as for the
// automatic model (2.5D, windowed, resized bilinearly), the label resized bilinearly and
// thresholded at one half (as the training target is), the clicks drawn at the input size
// (ClickGeometry.DrawClicks); the output goes through a sigmoid and is resized back as Segment
// does, then thresholded.
func (s *Interactive) Redraw(ctx context.Context, k int, label []uint8, clicks Clicks) (Redrawn, error) {
	return s.redraw(ctx, k, label, clicks, true)
}

// redraw is Redraw; stamp says whether each click's own disk (the contract's radius) takes the
// click's side whatever the model says (stampClicks): so for the annotator's clicks, which say
// what the pixels under them are, not for the clicks a propagation carries (Propagate), which
// only guess it.
func (s *Interactive) redraw(ctx context.Context, k int, label []uint8, clicks Clicks, stamp bool) (Redrawn, error) {
	var r Redrawn
	if k < 0 || k >= s.Slices() {
		return r, fmt.Errorf("%s: slice %d of %d", s.m.Path(), k, s.Slices())
	}
	if len(label) != s.SliceLen() {
		return r, fmt.Errorf("%s: a label slice of %d pixels for a slice of %d", s.m.Path(), len(label), s.SliceLen())
	}
	if n := clicks.Len(); n > MaxClicks {
		return r, fmt.Errorf("%w: %d (at most %d)", ErrTooManyClicks, n, MaxClicks)
	}
	c := s.c
	hw := c.InputH * c.InputW
	s.pre.Input(k, s.input[:c.Channels*hw])
	s.labelChannel(label, s.input[c.Channels*hw:(c.Channels+1)*hw])
	for i, list := range [][][2]float64{clicks.Positive, clicks.Negative} {
		s.clk = s.clk[:0]
		for _, p := range list {
			s.clk = append(s.clk, s.geom.ToInput(p))
		}
		ch := c.Channels + 1 + i
		if err := s.geom.DrawClicks(s.input[ch*hw:(ch+1)*hw], s.dist2, s.clk, c.ClickEncoding, c.ClickRadiusMM); err != nil {
			return r, fmt.Errorf("%s: %w", s.m.Path(), err)
		}
	}
	if err := s.m.RunInto(ctx, s.input, 1, s.out); err != nil {
		return r, err
	}
	for i, x := range s.out {
		s.out[i] = sigmoid(x)
	}
	prob := s.pre.restoreBytes(s.out)
	r.Prob = append([]uint8(nil), prob...)
	mask := make([]uint8, len(prob))
	q := ThresholdByte(c.Threshold)
	for i, p := range prob {
		if p >= q {
			mask[i] = 1
		}
	}
	can := s.pre.Canonical
	if stamp {
		stampClicks(mask, clicks, can.Dims[0], can.Dims[1], s.geom.CanonicalSpacing(), c.ClickRadiusMM)
	}
	r.Mask = keepClickedRegions(label, mask, clicks, can.Dims[0], can.Dims[1])
	return r, nil
}

// labelChannel writes a canonical label slice into dst at the input size: resized bilinearly
// (Resize) and thresholded at one half, as Preprocessor.MaskSlice makes the training target.
func (s *Interactive) labelChannel(label []uint8, dst []float32) {
	can := s.pre.Canonical
	plane := s.pre.plane
	for i, v := range label {
		plane[i] = float32(min(v, 1))
	}
	Resize(plane, can.Dims[0], can.Dims[1], s.small, s.c.InputW, s.c.InputH)
	for i, v := range s.small {
		dst[i] = 0
		if v >= 0.5 {
			dst[i] = 1
		}
	}
}

// RedrawSlice redraws canonical axial slice k of v from the label's slice k and the clicks, with
// an interactive model: Interactive.Redraw once. A caller that redraws more than one slice keeps
// an Interactive instead (its buffers and resized image slices are reused).
func RedrawSlice(ctx context.Context, m *Model, v *scan.Volume, label *scan.Mask, k int, clicks Clicks) (Redrawn, error) {
	s, err := NewInteractive(m, v)
	if err != nil {
		return Redrawn{}, err
	}
	if err := v.CheckMask(label); err != nil {
		return Redrawn{}, err
	}
	if k < 0 || k >= s.Slices() {
		return Redrawn{}, fmt.Errorf("%s: slice %d of %d", m.Path(), k, s.Slices())
	}
	return s.Redraw(ctx, k, s.LabelSlice(label, k), clicks)
}
