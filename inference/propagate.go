package inference

// Propagation: after a click changed a slice, the change is carried to the neighbouring slices,
// one after the other, until it fades.

import (
	"context"
	"fmt"
)

// PropagationRule says how far a redrawn slice's change carries. Slice j beyond the clicked slice
// k (j = k+d, k+2d, ... for the direction d) is redrawn without clicks, with slice j-d's new label
// as its label channel; when its redrawn label differs from its current one Significantly, it
// replaces it and the walk goes on from j, else the walk stops there and slice j is left as it
// is. The walk also stops after MaxSlices slices and at the end of the volume. A click's own
// change starts a walk only when it is significant too.
type PropagationRule struct {
	// MinVoxels: a change of fewer voxels than this has faded.
	MinVoxels int
	// MinFraction: so has a change smaller than this fraction of the slice's liver (the larger
	// of its liver before and after).
	MinFraction float64
	// MaxSlices bounds the walk each way, and with it the time (a model run a slice).
	MaxSlices int
}

// DefaultPropagation is the rule the GUI and the benchmark use: a change fades below 20 voxels
// or 2 % of the slice's liver, and carries at most 5 slices each way: 10 model runs of about
// 75 ms for a 192 x 192 model on 2 CPU cores, so that a propagation ends within a second.
func DefaultPropagation() PropagationRule {
	return PropagationRule{MinVoxels: 20, MinFraction: 0.02, MaxSlices: 5}
}

// Significant says whether a slice whose label changes from old to new (slices of the same
// length, nonzero meaning liver) changed enough to carry on, with the number of voxels changed.
func (r PropagationRule) Significant(old, new []uint8) (bool, int) {
	changed, before, after := 0, 0, 0
	for i, o := range old {
		a, b := o != 0, new[i] != 0
		if a != b {
			changed++
		}
		if a {
			before++
		}
		if b {
			after++
		}
	}
	liver := max(before, after)
	return changed > 0 && changed >= r.MinVoxels && float64(changed) >= r.MinFraction*float64(liver), changed
}

// Propagate walks from slice k, whose new label is from, in direction dir (+1: superior, -1:
// inferior), as the rule says. current(j) gives slice j's label as it is now (SliceLen bytes);
// apply(j, mask) is called for each slice replaced, in walk order, and may stop the walk with
// an error, which Propagate returns. It returns the slices replaced; ctx stops it between and
// during model runs.
func (s *Interactive) Propagate(ctx context.Context, k int, from []uint8, dir int, rule PropagationRule,
	current func(j int) []uint8, apply func(j int, mask []uint8) error) (int, error) {
	if dir != 1 && dir != -1 {
		return 0, fmt.Errorf("propagation direction %d: want +1 or -1", dir)
	}
	done := 0
	prev := from
	for j := k + dir; j >= 0 && j < s.Slices() && done < rule.MaxSlices; j += dir {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		r, err := s.Redraw(ctx, j, prev, Clicks{})
		if err != nil {
			return done, err
		}
		if ok, _ := rule.Significant(current(j), r.Mask); !ok {
			break
		}
		if err := apply(j, r.Mask); err != nil {
			return done, err
		}
		done++
		prev = r.Mask
	}
	return done, nil
}
