package viewer

import "liverseg/scan"

// LargestError finds where on canonical axial slice k of c the truth and the prediction disagree
// most: the largest 8-connected region of pixels set in one mask only, and in it the pixel
// nearest the region's centre (a crescent's centroid can lie outside it). The review puts the
// three planes through that pixel when the reader jumps to a slice of the disagreement list, so
// that the coronal and sagittal panes show the same error. ok is false when the masks agree on
// the slice, or when either is nil or does not fit c.
func LargestError(truth, pred *scan.Mask, c scan.Canonical, k int) (i, j int, ok bool) {
	if !fits(truth, c) || !fits(pred, c) || k < 0 || k >= c.Dims[2] {
		return 0, 0, false
	}
	w, h := c.Dims[0], c.Dims[1]
	offs, base := sliceZeroOffsets(c)
	shift := int32(c.Offset(0, 0, k) - base)
	t, p := offsPlane(truth, offs, shift, w, nil), offsPlane(pred, offs, shift, w, nil)
	in := make([]bool, w*h)
	for q := range in {
		in[q] = (t[q] != 0) != (p[q] != 0)
	}
	best := LargestRegion(in, w, h)
	if len(best) == 0 {
		return 0, 0, false
	}
	var sx, sy float64
	for _, q := range best {
		sx += float64(int(q) % w)
		sy += float64(int(q) / w)
	}
	cx, cy := sx/float64(len(best)), sy/float64(len(best))
	bestD := -1.0
	for _, q := range best {
		x, y := float64(int(q)%w), float64(int(q)/w)
		if d := (x-cx)*(x-cx) + (y-cy)*(y-cy); bestD < 0 || d < bestD {
			bestD, i, j = d, int(q)%w, int(q)/w
		}
	}
	return i, j, true
}

// fits says whether m is a mask of the volume c views.
func fits(m *scan.Mask, c scan.Canonical) bool {
	return m.Valid() && m.Len() == c.Dims[0]*c.Dims[1]*c.Dims[2]
}

// LargestRegion is the largest 8-connected region of the pixels set in in (w x h, row by row), as
// the pixel indices (y*w+x) of its members; nil when none is set. Ties go to the region met first
// in row order.
func LargestRegion(in []bool, w, h int) []int32 {
	seen := make([]bool, w*h)
	var best, stack, members []int32
	for p, ok := range in {
		if !ok || seen[p] {
			continue
		}
		members, stack = Region8(in, seen, w, h, int32(p), members[:0], stack)
		if len(members) > len(best) {
			best = append(best[:0], members...)
		}
	}
	return best
}

// Region8 appends to dst the members of the 8-connected region of the pixels set in in (w x h,
// row by row) that holds pixel seed, in the order a depth-first walk meets them, and marks them
// in seen; it appends nothing when seed is not set or already seen (so that regions walked
// before are not walked again). stack is scratch, returned for reuse.
func Region8(in, seen []bool, w, h int, seed int32, dst, stack []int32) (members, scratch []int32) {
	if !in[seed] || seen[seed] {
		return dst, stack
	}
	seen[seed] = true
	stack = append(stack[:0], seed)
	for len(stack) > 0 {
		q := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		dst = append(dst, q)
		x, y := int(q)%w, int(q)/w
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				nx, ny := x+dx, y+dy
				if nx < 0 || ny < 0 || nx >= w || ny >= h {
					continue
				}
				if r := int32(ny*w + nx); in[r] && !seen[r] {
					seen[r] = true
					stack = append(stack, r)
				}
			}
		}
	}
	return dst, stack
}
