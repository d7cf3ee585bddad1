package scan

import (
	"context"
	"fmt"
	"math"
)

// ReadMaskFolder reads a folder of per-slice mask DICOM files (the IRCAD MASKS_DICOM/liver
// layout: masks stored as CT images, one file per slice, no shared frame of reference) and
// places each file on the slice of ref at the same ImagePositionPatient. Nonzero stored values
// are liver; rescale is ignored, since a mask's values are labels, not HU. Slices without a file
// stay background.
func ReadMaskFolder(dir string, ref *Volume) (*Mask, error) {
	ctx := context.Background()
	cat, err := Discover(ctx, dir)
	if err != nil {
		return nil, err
	}
	if len(cat.Series) == 0 {
		if len(cat.Problems) > 0 {
			return nil, cat.Problems[0]
		}
		return nil, fmt.Errorf("%s: %w: no mask images", dir, ErrNoSeries)
	}
	if len(cat.Series) > 1 {
		return nil, fmt.Errorf("%s: %d series in a mask folder; give the folder of one mask", dir, len(cat.Series))
	}
	s := cat.Series[0]
	if s.Compressed {
		if err := checkCodec(s.Series.TransferSyntax); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
	}
	if s.Dims[0] != ref.Dims[0] || s.Dims[1] != ref.Dims[1] {
		return nil, fmt.Errorf("%s: %w: mask slices are %dx%d, the volume's are %dx%d",
			dir, ErrGeometry, s.Dims[0], s.Dims[1], ref.Dims[0], ref.Dims[1])
	}
	m := NewMask(ref.Dims)
	n := ref.SliceLen()
	hu := make([]int16, n)
	var buf []byte
	for i, f := range s.frames {
		k, err := sliceAt(ref, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.File, err)
		}
		f.Rescale = rescale{Slope: 1}
		s.frames[i] = f
		if buf, err = s.loadSlice(hu, i, buf); err != nil {
			return nil, err
		}
		dst := m.Slice(k)
		for j, v := range hu {
			if v != 0 {
				dst[j] = Liver
			}
		}
	}
	return m, nil
}

// sliceAt is the slice of ref that a 2D frame lies on, found by its position and orientation.
func sliceAt(ref *Volume, f frameInfo) (int, error) {
	if !f.HasPosition {
		return 0, fmt.Errorf("%w: no ImagePositionPatient to place the mask slice", ErrGeometry)
	}
	if f.HasOrientation {
		row := unit([3]float64{f.Orientation[0], f.Orientation[1], f.Orientation[2]})
		col := unit([3]float64{f.Orientation[3], f.Orientation[4], f.Orientation[5]})
		if dot(row, ref.Direction[0]) < 1-1e-3 || dot(col, ref.Direction[1]) < 1-1e-3 {
			return 0, fmt.Errorf("%w: mask orientation %v differs from the volume's", ErrGeometry, f.Orientation)
		}
	}
	d := sub(f.Position, ref.Origin)
	k := int(math.Round(dot(d, ref.Direction[2]) / ref.Spacing[2]))
	if k < 0 || k >= ref.Dims[2] {
		return 0, fmt.Errorf("%w: position %.2f,%.2f,%.2f is outside the volume's %d slices", ErrGeometry,
			f.Position[0], f.Position[1], f.Position[2], ref.Dims[2])
	}
	p := ref.Position(0, 0, float64(k))
	tol := 0.5 * math.Min(ref.Spacing[2], math.Min(ref.Spacing[0], ref.Spacing[1]))
	if off := norm(sub(f.Position, p)); off > tol {
		return 0, fmt.Errorf("%w: position %.2f,%.2f,%.2f is %.2f mm from slice %d of the volume", ErrGeometry,
			f.Position[0], f.Position[1], f.Position[2], off, k)
	}
	return k, nil
}
