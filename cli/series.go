package cli

import (
	"context"
	"fmt"
	"io"

	"liverseg/scan"
)

// loadSeries opens the one image series at path (uid picks one where there are several) with a
// progress bar on a terminal.
func loadSeries(ctx context.Context, path, uid string, stderr io.Writer) (*scan.Volume, error) {
	s, err := scan.OpenSeries(ctx, path, uid)
	if err != nil {
		return nil, err
	}
	bar := newProgress(stderr, "reading "+path)
	return s.Load(ctx, bar.report())
}

// labelFlags are the flags every command that reads a label shares.
type labelFlags struct {
	reverse *bool
	segment *int
}

func addLabelFlags(fs interface {
	Bool(string, bool, string) *bool
	Int(string, int, string) *int
}) labelFlags {
	return labelFlags{
		reverse: fs.Bool("reverse", false, "PNG stacks: file i is slice n-1-i"),
		segment: fs.Int("segment", 0, "DICOM SEG: the segment number to read (default: the one labelled liver)"),
	}
}

func (l labelFlags) options() scan.LabelOptions {
	return scan.LabelOptions{Reverse: *l.reverse, Segment: *l.segment}
}

// scoreAgainst reads the truth at truthPath onto v and scores pred against it, with the
// per-slice figures only when perSlice: what eval prints and segment --truth adds.
func scoreAgainst(truthPath string, v *scan.Volume, pred *scan.Mask, lf labelFlags, perSlice bool) (*scan.Metrics, error) {
	truth, err := scan.LoadLabel(truthPath, v, lf.options())
	if err != nil {
		return nil, err
	}
	m, err := scan.Compare(truth, pred, v.VoxelVolumeML())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", truthPath, err)
	}
	if !perSlice {
		m.Slices = nil
	}
	return m, nil
}
