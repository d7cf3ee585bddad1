package inference

// Propagation: after a click changed a slice, the change is carried to the neighbouring slices,
// one after the other, until it fades.

import (
	"context"
	"fmt"

	"liverseg/viewer"
)

// PropagationRule says how far a redrawn slice's change carries. The change is carried as clicks:
// slice j beyond the clicked slice k (j = k+d, k+2d, ... for the direction d) is redrawn with its
// own current label and, where slice j-d gained liver that slice j lacks, a positive click at the
// centre of the largest such region (viewer.RegionCentre), where slice j-d lost liver that slice j
// still has, a negative click at the centre of the largest such region; a region of fewer than
// MinVoxels pixels gets no click. This is what the annotator would do on the next slice (click
// again on the same structure where it still looks wrong), so the model only ever answers clicks
// on a slice's own label, the one task it is trained for, and a slice the change does not reach
// (no such region) is left alone. When the redrawn label differs from slice j's current one
// Significantly, it replaces it and the walk goes on from j with j's change, else the walk stops
// there and slice j is left as it is. The walk also stops after MaxSlices slices and at the end
// of the volume. A click's own change starts a walk only when it is significant too.
type PropagationRule struct {
	// MinVoxels: a change of fewer voxels than this has faded; so has a region of the change
	// smaller than this.
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

// CarriedClicks are the clicks that carry a slice's change from before to after (SliceLen bytes
// each, nonzero meaning liver) to a neighbouring slice whose label is next, as the rule says:
// at most one positive and one negative click, in canonical slice image coordinates. None when
// the change does not reach the neighbour.
func (s *Interactive) CarriedClicks(before, after, next []uint8, rule PropagationRule) Clicks {
	can := s.pre.Canonical
	cols, rows := can.Dims[0], can.Dims[1]
	var c Clicks
	in := make([]bool, len(next))
	for _, positive := range []bool{true, false} {
		for p := range in {
			gained := after[p] != 0 && before[p] == 0
			lost := after[p] == 0 && before[p] != 0
			if positive {
				in[p] = gained && next[p] == 0
			} else {
				in[p] = lost && next[p] != 0
			}
		}
		region := viewer.LargestRegion(in, cols, rows)
		if len(region) == 0 || len(region) < rule.MinVoxels {
			continue
		}
		i, j := viewer.RegionCentre(region, cols, rows, can.Spacing[0], can.Spacing[1])
		c.Add([2]float64{float64(i) + 0.5, float64(j) + 0.5}, positive)
	}
	return c
}

// Propagate walks from slice k, whose label the click changed from before to after, in
// direction dir (+1: superior, -1: inferior), as the rule says. current(j) gives slice j's label
// as it is now (SliceLen bytes); apply(j, mask) is called for each slice replaced, in walk
// order, and may stop the walk with an error, which Propagate returns. It returns the slices
// replaced; ctx stops it between and during model runs.
func (s *Interactive) Propagate(ctx context.Context, k int, before, after []uint8, dir int, rule PropagationRule,
	current func(j int) []uint8, apply func(j int, mask []uint8) error) (int, error) {
	if dir != 1 && dir != -1 {
		return 0, fmt.Errorf("propagation direction %d: want +1 or -1", dir)
	}
	done := 0
	for j := k + dir; j >= 0 && j < s.Slices() && done < rule.MaxSlices; j += dir {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		cur := current(j)
		clicks := s.CarriedClicks(before, after, cur, rule)
		if clicks.Len() == 0 {
			break
		}
		r, err := s.redraw(ctx, j, cur, clicks, false)
		if err != nil {
			return done, err
		}
		if ok, _ := rule.Significant(cur, r.Mask); !ok {
			break
		}
		if err := apply(j, r.Mask); err != nil {
			return done, err
		}
		done++
		before, after = cur, r.Mask
	}
	return done, nil
}
