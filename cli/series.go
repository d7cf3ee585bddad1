package cli

import (
	"context"
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
