package scan

import (
	"context"
	"fmt"
	"path/filepath"
)

// ReadMaskFolder reads a folder of per-slice mask DICOM files (the IRCAD MASKS_DICOM/liver
// layout: masks stored as CT images, one file per slice, no shared frame of reference) and
// places each file on the slice of ref at the same ImagePositionPatient. Each file's matrix, pixel
// spacing and orientation must be ref's. Nonzero stored values are liver; rescale is ignored,
// since a mask's values are labels, not HU. Slices without a file stay background. What assembling
// the folder warned of (slices left out) comes back in the mask's Warnings.
func ReadMaskFolder(dir string, ref *Volume) (*Mask, error) {
	ctx := context.Background()
	if _, err := CheckPath(dir); err != nil {
		return nil, err
	}
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
	// Every file is checked before any pixel is read: a mask of another grid fails fast.
	slices := make([]int, len(s.frames))
	for i, f := range s.frames {
		if err := maskFrameGrid(f).Check(ref); err != nil {
			return nil, fmt.Errorf("%s: %w", f.File, err)
		}
		if !f.HasPosition {
			return nil, fmt.Errorf("%s: %w: no ImagePositionPatient to place the mask slice", f.File, ErrGeometry)
		}
		if slices[i], err = labelSlice(ref, f.Position, "mask slice"); err != nil {
			return nil, fmt.Errorf("%s: %w", f.File, err)
		}
	}
	m := NewMask(ref.Dims)
	m.Warnings = maskFolderWarnings(dir, cat)
	hu := make([]int16, ref.SliceLen())
	var buf []byte
	plane := make([]uint8, ref.SliceLen())
	for i, f := range s.frames {
		f.Rescale = rescale{Slope: 1}
		s.frames[i] = f
		if buf, err = s.loadSlice(hu, i, buf); err != nil {
			return nil, err
		}
		plane = m.SliceInto(slices[i], plane)
		for j, v := range hu {
			if v != 0 {
				plane[j] = Liver
			}
		}
		m.SetSlice(slices[i], plane)
	}
	return m, nil
}

// maskFolderWarnings says what reading the folder left out: files that are not DICOM (a README.png
// beside the masks), DICOM files that could not be read, and the slices the series' assembly left
// out. Each names its files.
func maskFolderWarnings(dir string, cat *Catalog) []string {
	var warnings []string
	if len(cat.NotDICOM) > 0 {
		names := make([]string, len(cat.NotDICOM))
		for i, p := range cat.NotDICOM {
			if names[i], _ = filepath.Rel(dir, p); names[i] == "" {
				names[i] = p
			}
		}
		warnings = append(warnings, StrayWarning(dir, names, "not DICOM, left out of the mask"))
	}
	for _, err := range cat.Problems {
		warnings = append(warnings, fmt.Sprintf("left out of the mask: %v", err))
	}
	for _, w := range cat.Series[0].Warnings {
		warnings = append(warnings, fmt.Sprintf("%s: %s", dir, w))
	}
	return warnings
}

// maskFrameGrid is what one mask file states of its grid: matrix, pixel spacing and orientation,
// where its header has them.
func maskFrameGrid(f frameInfo) LabelGrid {
	g := LabelGrid{What: "mask slice", Dims: [3]int{f.Format.Cols, f.Format.Rows, 0}}
	// PixelSpacing is DICOM's row spacing (along a column) first.
	g.Spacing[0], g.Spacing[1] = f.PixelSpacing[1], f.PixelSpacing[0]
	if f.HasOrientation {
		o := f.Orientation
		g.Direction[0] = [3]float64{o[0], o[1], o[2]}
		g.Direction[1] = [3]float64{o[3], o[4], o[5]}
	}
	return g
}
