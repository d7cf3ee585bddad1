package viewer

import (
	"math/rand/v2"
	"testing"

	"liverseg/scan"
)

// TestLabelledVoxelsFollowsEveryTool applies every tool, Undo and Redo in random order and planes
// on a volume stored turned, and checks after each that the count the editor keeps is the
// label's count taken afresh.
func TestLabelledVoxelsFollowsEveryTool(t *testing.T) {
	v := permutedVol(t)
	rng := rand.New(rand.NewPCG(24, 1))
	for o := range v.Voxels {
		v.Voxels[o] = int16(rng.IntN(200))
	}
	start := scan.NewMask(v.Dims)
	for o := range start.Len() {
		if rng.IntN(4) == 0 {
			start.Set(o, 1)
		}
	}
	start.Set(3, 2) // another structure's voxel
	pred := scan.NewMask(v.Dims)
	for o := range pred.Len() {
		pred.Set(o, uint8(rng.IntN(2)))
	}
	e := mustEditor(t, v, start)
	if got, want := e.LabelledVoxels(), int64(countNonzero(start)); got != want {
		t.Fatalf("new editor counts %d voxels, label has %d", got, want)
	}
	var step *Edit // the latest ApplySlice, for ExtendStep
	for n := 0; n < 400; n++ {
		if err := e.SetPlane(scan.Planes[rng.IntN(len(scan.Planes))]); err != nil {
			t.Fatal(err)
		}
		w, h := e.Size()
		k := rng.IntN(e.Slices())
		pt := Point{rng.Float64() * float64(w), rng.Float64() * float64(h)}
		var err error
		switch tool := rng.IntN(12); tool {
		case 0:
			_, err = e.Stamp(k, Brush{RadiusMM: rng.Float64() * 3, Erase: rng.IntN(2) == 0}, pt)
		case 1:
			_, err = e.Stamp(k, Brush{RadiusMM: 2, Limit: &HURange{50, 150}}, pt)
		case 2:
			_, err = e.LassoFill(k, []Point{pt, {pt.X + 4, pt.Y + 1}, {pt.X + 1, pt.Y + 5}})
		case 3:
			_, err = e.LassoCut(k, []Point{pt, {pt.X + 4, pt.Y + 1}, {pt.X + 1, pt.Y + 5}})
		case 4:
			_, err = e.FloodFill(k, int(pt.X), int(pt.Y), FloodOptions{Erase: rng.IntN(2) == 0})
		case 5:
			_, err = e.AcceptPrediction(pred, []int{k, -1}[rng.IntN(2)])
		case 6:
			_, err = e.KeepLargest()
		case 7:
			_, err = e.RemoveIslands(rng.IntN(6))
		case 8:
			if k+2 < e.Slices() {
				_, err = e.Interpolate([]int{k, k + 2})
			}
		case 9:
			slice := make([]uint8, w*h)
			for p := range slice {
				slice[p] = uint8(rng.IntN(2))
			}
			if step != nil && step.Plane == e.Plane() {
				step, _, err = e.ExtendStep(step, k, slice)
				if err == ErrNotLatest {
					step, err = nil, nil
				}
			} else {
				step, err = e.ApplySlice(k, slice, ToolAIClickPositive)
			}
		case 10:
			_, err = e.Undo()
		case 11:
			_, err = e.Redo()
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, want := e.LabelledVoxels(), int64(countNonzero(e.Mask())); got != want {
			t.Fatalf("step %d: editor counts %d voxels, label has %d", n, got, want)
		}
	}
}
