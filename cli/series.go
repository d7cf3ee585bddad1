package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"liverseg/internal/gcpace"
	"liverseg/scan"
	"liverseg/scan/labels"
)

// loadSeries opens the one image series at path (uid picks one where there are several) with a
// progress bar on a terminal. The series' warnings (slices left out, gaps, files that could not
// be read) are printed to stderr before its pixels are read; they stay in the volume's Warnings,
// which a command's --json output carries as "warnings".
func loadSeries(ctx context.Context, path, uid string, stderr io.Writer) (*scan.Volume, error) {
	s, err := scan.OpenSeries(ctx, path, uid)
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings {
		warn(stderr, w)
	}
	bar := newProgress(stderr, "reading "+path)
	v, err := s.Load(ctx, bar.report())
	if err == nil {
		gcpace.ForVolume(2 * int64(len(v.Voxels)))
	}
	return v, err
}

// warnings is v's warnings for --json: an empty list, not null, when there are none.
func warnings(v *scan.Volume) []string {
	return append([]string{}, v.Warnings...)
}

// checkGrid is for a NIfTI file about to be written on v's grid, which has no slice positions:
// where v's slices are not on that grid (a gap, uneven steps) it refuses, unless allowGaps, when
// it warns (on stderr and in v's Warnings) and lets the file be written.
func checkGrid(v *scan.Volume, allowGaps bool, stderr io.Writer) error {
	err := v.CheckGrid()
	if err == nil {
		return nil
	}
	if !allowGaps {
		return fmt.Errorf("%w; NIfTI has no slice positions, so its slices would be misplaced (--allow-gaps writes it anyway, DICOM SEG places each slice)", err)
	}
	msg := "NIfTI written on an even grid that misplaces slices: " + err.Error()
	v.Warnings = append(v.Warnings, msg)
	warn(stderr, msg)
	return nil
}

// checkInputs refuses at once a path that is neither a regular file nor a folder (a FIFO, a
// device), which would block or never end when read; empty paths are skipped.
func checkInputs(paths ...string) error {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := scan.CheckPath(p); err != nil {
			return err
		}
	}
	return nil
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

func (l labelFlags) options() labels.Options {
	return labels.Options{Reverse: *l.reverse, Segment: *l.segment}
}

// loadLabel reads the label at path onto v. What the reader worked around (stray files left out
// of a mask folder, slices it could not read) is printed to stderr and added to v's Warnings, so
// that --json carries it as well, each naming the label's path.
func loadLabel(path string, v *scan.Volume, lf labelFlags, stderr io.Writer) (*scan.Mask, error) {
	m, err := labels.Load(path, v, lf.options())
	if err != nil {
		return nil, err
	}
	for _, w := range m.Warnings {
		if !strings.Contains(w, path) {
			w = path + ": " + w
		}
		v.Warnings = append(v.Warnings, w)
		warn(stderr, w)
	}
	return m, nil
}

// scoreAgainst reads the truth at truthPath onto v and scores pred against it, with the
// per-slice figures only when perSlice: what eval prints and segment --truth adds.
func scoreAgainst(truthPath string, v *scan.Volume, pred *scan.Mask, lf labelFlags, perSlice bool, stderr io.Writer) (*scan.Metrics, error) {
	truth, err := loadLabel(truthPath, v, lf, stderr)
	if err != nil {
		return nil, err
	}
	m, err := scan.Compare(truth, pred, v.VoxelVolumeML())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", truthPath, err)
	}
	sf, err := scan.CompareSurfaces(truth, pred, v.Spacing)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", truthPath, err)
	}
	m.SurfaceFigures = &sf
	if !perSlice {
		m.Slices = nil
	}
	return m, nil
}
