package viewer

import "fmt"

// FloodOptions says what a flood fill takes and writes.
type FloodOptions struct {
	// Erase writes background (0) instead of the editor's label: it removes the region.
	Erase bool
	// Limit, when set, bounds the region by HU instead of by label: the pixels 4-connected to the
	// seed whose HU lies in the range, whatever their label (a seed outside the range fills
	// nothing). Without it the region is the pixels 4-connected to the seed that hold the seed's
	// label value (click in a hole to fill it, or with Erase in a blob to remove it).
	Limit *HURange
}

// FloodFill fills the region around pixel (i, j) of slice k of the current plane (see FloodOptions) with
// the editor's label, or background with Erase. Pixels connect through their 4 neighbours on the
// slice (in that plane). It returns nil when nothing changed (the region already held the value).
func (e *Editor) FloodFill(k, i, j int, opt FloodOptions) (*Edit, error) {
	e.EndStroke()
	v := e.view
	if err := v.checkSlice(k); err != nil {
		return nil, err
	}
	w, h := v.size()
	if !v.inSlice(i, j) {
		return nil, fmt.Errorf("viewer: flood fill seed (%d, %d) outside the %dx%d %v slice", i, j, w, h, v.plane)
	}
	if err := checkRange(opt.Limit); err != nil {
		return nil, err
	}
	tool, val := ToolFloodFill, e.label
	if opt.Erase {
		tool, val = ToolFloodErase, 0
	}
	shift, offs := v.shift(k), v.offs
	m, hu := e.mask.Voxels, e.vol.Voxels
	seedLabel := m[offs[j*w+i]+shift]
	in := func(p int) bool {
		o := offs[p] + shift
		if opt.Limit != nil {
			return opt.Limit.Contains(hu[o])
		}
		return m[o] == seedLabel
	}
	if !in(j*w + i) {
		return nil, nil
	}
	if opt.Limit == nil && seedLabel == val {
		return nil, nil
	}
	// An explicit stack, not recursion: a region can hold every pixel of the slice. Pixels are
	// marked when pushed so each is pushed once.
	seen := make([]bool, w*h)
	stack := []int32{int32(j*w + i)}
	seen[j*w+i] = true
	for len(stack) > 0 {
		p := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := p%w, p/w
		for _, n := range [4][3]int{{x - 1, y, p - 1}, {x + 1, y, p + 1}, {x, y - 1, p - w}, {x, y + 1, p + w}} {
			if n[0] < 0 || n[0] >= w || n[1] < 0 || n[1] >= h || seen[n[2]] || !in(n[2]) {
				continue
			}
			seen[n[2]] = true
			stack = append(stack, int32(n[2]))
		}
		// Write after the neighbours are tested: in label mode the test reads the label.
		e.set(int(offs[p]+shift), val)
	}
	return e.finish(tool, v, k), nil
}
