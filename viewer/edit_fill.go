package viewer

import (
	"fmt"
	"image"
)

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
	// The region is decided on the label as it was before the fill: the slice read once.
	m, hu := e.planeBuf(v, k), e.vol.Voxels
	seedLabel := m[j*w+i]
	in := func(p int) bool {
		if opt.Limit != nil {
			return opt.Limit.Contains(hu[offs[p]+shift])
		}
		return m[p] == seedLabel
	}
	if !in(j*w + i) {
		return nil, nil
	}
	if opt.Limit == nil && seedLabel == val {
		return nil, nil
	}
	// An explicit stack, not recursion: a region can hold every pixel of the slice. Pixels are
	// marked when pushed so each is pushed once; the region is written once found, into a mask
	// grown to its box at once.
	seen := make([]bool, w*h)
	stack := []int32{int32(j*w + i)}
	seen[j*w+i] = true
	box := image.Rect(i, j, i+1, j+1)
	for len(stack) > 0 {
		p := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := p%w, p/w
		box = box.Union(image.Rect(x, y, x+1, y+1))
		for _, n := range [4][3]int{{x - 1, y, p - 1}, {x + 1, y, p + 1}, {x, y - 1, p - w}, {x, y + 1, p + w}} {
			if n[0] < 0 || n[0] >= w || n[1] < 0 || n[1] >= h || seen[n[2]] || !in(n[2]) {
				continue
			}
			seen[n[2]] = true
			stack = append(stack, int32(n[2]))
		}
	}
	if val != 0 {
		e.reserve(v, k, box)
	}
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for p := y*w + box.Min.X; p < y*w+box.Max.X; p++ {
			if seen[p] {
				e.change(int(offs[p]+shift), m[p], val)
			}
		}
	}
	return e.finish(tool, v, k), nil
}
