package scan

// HURange is the smallest and largest HU of the volume.
func HURange(v *Volume) (lo, hi int16) {
	if len(v.Voxels) == 0 {
		return 0, 0
	}
	lo, hi = v.Voxels[0], v.Voxels[0]
	for _, x := range v.Voxels {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}
