// Package thinseries makes thin-slice series for tests and benchmarks out of a real one: a CT
// series resampled along its slice axis to any number of slices (IRCAD case 7's 151 to 1000, say),
// written as a DICOM series, and its per-slice mask folder resampled with it. The output is made
// where it is used and never committed.
//
// The new slices lie evenly from the first source slice to the last (the same extent); each is
// the linear interpolation, in HU, of the two source slices around it, with the header of the
// nearer one. A mask slice is the nearer source slice's mask (nearest neighbour), placed at the new
// slice's position, which is how scan.ReadMaskFolder matches a mask file to its series. Memory
// holds one slice written and the two source slices read, whatever the number of slices.
package thinseries

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/scan"
)

// Sentinel errors, for errors.Is.
var (
	// ErrSource: the source series or mask folder is not one the generator can resample (too few
	// slices, no positions, colour or 32-bit pixels, a transfer syntax it cannot decode, a mask
	// file on no slice of the series); the error says which and names the file.
	ErrSource = errors.New("cannot resample the source")
	// ErrSlices: the number of slices asked for is not a series (under 2).
	ErrSlices = errors.New("bad number of slices")
	// ErrOut: the output folder exists and is not empty.
	ErrOut = errors.New("output folder not empty")
)

// Options say what to resample and where to write it.
type Options struct {
	Series string // folder of the source series (one single-frame image series)
	Mask   string // folder of its mask, one DICOM file a slice (IRCAD's MASKS_DICOM/liver); "" for none
	Slices int    // slices of the new series, 2 or more
	// Out is the folder to make, absent or empty: it gets Out/PATIENT_DICOM and, with a mask,
	// Out/MASKS_DICOM/NAME (NAME the mask folder's), IRCAD's layout. It appears whole, or not at
	// all when the generator fails.
	Out string
}

// Result is what was written.
type Result struct {
	SeriesDir     string  // the new series' folder
	MaskDir       string  // the new mask folder ("" without a mask)
	SeriesUID     string  // the new series' SeriesInstanceUID
	MaskSeriesUID string  // the new mask folder's
	Slices        int     // slices written
	MaskFiles     int     // mask files written: one for each new slice whose nearest source slice has one
	Spacing       float64 // between the new slices, mm
	SourceSpacing float64 // the source's, mm (its median step, as scan assembles it)
	// Warnings are what assembling the source series noticed (uneven steps, slices left out):
	// the new series follows the slices as they were assembled.
	Warnings []string
}

// Generate writes the resampled series and mask that o describe.
func Generate(ctx context.Context, o Options) (*Result, error) {
	src, err := scan.OpenSeries(ctx, o.Series, "")
	if err != nil {
		return nil, err
	}
	pos := src.Series.Positions
	if len(pos) != src.Dims[2] {
		return nil, fmt.Errorf("%s: %w: its slices have no ImagePositionPatient", o.Series, ErrSource)
	}
	for _, n := range src.Series.FrameNumbers {
		if n != 1 {
			return nil, fmt.Errorf("%s: %w: multi-frame files (single-frame series only)", o.Series, ErrSource)
		}
	}
	normal := src.Direction[2]
	along := make([]float64, len(pos))
	for j, p := range pos {
		along[j] = dot(p, normal)
	}
	samples, err := plan(along, o.Slices)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Series, err)
	}
	var maskOf []string
	if o.Mask != "" {
		if maskOf, err = maskFiles(ctx, o.Mask, src, along); err != nil {
			return nil, err
		}
	}

	if err := checkEmpty(o.Out); err != nil {
		return nil, err
	}
	// Written beside o.Out, on its file system, and renamed into place.
	parent, name := filepath.Dir(filepath.Clean(o.Out)), filepath.Base(filepath.Clean(o.Out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+name+".*.tmp")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // gone once renamed into place
	res := &Result{
		SeriesDir:     filepath.Join(o.Out, "PATIENT_DICOM"),
		Slices:        o.Slices,
		Spacing:       (along[len(along)-1] - along[0]) / float64(o.Slices-1),
		SourceSpacing: src.Spacing[2],
		Warnings:      src.Warnings,
	}
	w := &writer{src: src, maskOf: maskOf, seriesDir: filepath.Join(tmp, "PATIENT_DICOM")}
	if res.SeriesUID, err = newUID(); err != nil {
		return nil, err
	}
	if maskOf != nil {
		res.MaskDir = filepath.Join(o.Out, "MASKS_DICOM", filepath.Base(filepath.Clean(o.Mask)))
		w.maskDir = filepath.Join(tmp, "MASKS_DICOM", filepath.Base(filepath.Clean(o.Mask)))
		if res.MaskSeriesUID, err = newUID(); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{w.seriesDir, w.maskDir} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, err
			}
		}
	}
	for k, s := range samples {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wrote, err := w.slice(k, s, res)
		if err != nil {
			return nil, err
		}
		if wrote {
			res.MaskFiles++
		}
	}
	// An empty folder at o.Out (checkEmpty let it be) is replaced by the rename.
	if err := os.Rename(tmp, o.Out); err != nil {
		return nil, err
	}
	return res, nil
}

// writer writes the new slices one after the other, keeping the two source slices around the
// current one.
type writer struct {
	src       *scan.SeriesEntry
	maskOf    []string // each source slice's mask file ("" for none); nil without a mask
	seriesDir string
	maskDir   string

	below, above *sliceFile // source slices j and j+1 of the current new slice
	mask         *sliceFile // the mask file read last
	stored       []int32    // the new slice's values
	buf          []byte     // its pixel data
}

// slice writes new slice k (at sample s) and its mask file, reporting whether it wrote one.
func (w *writer) slice(k int, s sample, res *Result) (maskWritten bool, err error) {
	files := w.src.Series.Files
	if w.below == nil || w.below.Path != files[s.Below] {
		if w.above != nil && w.above.Path == files[s.Below] {
			w.below, w.above = w.above, w.below
		} else if w.below, err = reread(w.below, files[s.Below]); err != nil {
			return false, err
		}
	}
	if w.above == nil || w.above.Path != files[s.Below+1] {
		if w.above, err = reread(w.above, files[s.Below+1]); err != nil {
			return false, err
		}
	}
	a, b := w.below, w.above
	if a.Format != b.Format {
		return false, fmt.Errorf("%s: %w: %+v pixels beside %+v in %s", b.Path, ErrSource, b.Format, a.Format, a.Path)
	}
	near := a
	if s.Nearest != s.Below {
		near = b
	}
	pos := w.src.Series.Positions
	p := placement{SeriesUID: res.SeriesUID, Instance: k + 1, Spacing: res.Spacing}
	for i := range p.Position {
		p.Position[i] = (1-s.T)*pos[s.Below][i] + s.T*pos[s.Below+1][i]
	}
	p.SliceLocation = dot(p.Position, w.src.Direction[2])
	if la, oka := float(a.Data, tag.SliceLocation); oka {
		if lb, okb := float(b.Data, tag.SliceLocation); okb {
			// The source's own convention (some count from the table, not the origin).
			p.SliceLocation = (1-s.T)*la + s.T*lb
		}
	}
	w.stored = slices.Grow(w.stored[:0], a.Format.pixels())[:a.Format.pixels()]
	interpolate(w.stored, a.Stored, a.Rescale, b.Stored, b.Rescale, s.T, s.Nearest != s.Below, near.Rescale, a.Format)
	name := fmt.Sprintf("image_%d", k)
	if err := w.write(filepath.Join(w.seriesDir, name), near, p, w.stored); err != nil {
		return false, err
	}

	if w.maskOf == nil || w.maskOf[s.Nearest] == "" {
		return false, nil
	}
	if w.mask == nil || w.mask.Path != w.maskOf[s.Nearest] {
		if w.mask, err = reread(w.mask, w.maskOf[s.Nearest]); err != nil {
			return false, err
		}
	}
	p.SeriesUID = res.MaskSeriesUID
	return true, w.write(filepath.Join(w.maskDir, name), w.mask, p, w.mask.Stored)
}

// write writes one slice (writeSlice), encoding its pixels into the writer's buffer.
func (w *writer) write(path string, src *sliceFile, p placement, stored []int32) error {
	n := src.Format.bytes()
	w.buf = slices.Grow(w.buf[:0], n)[:n]
	return writeSlice(path, src, p, stored, w.buf)
}

// reread reads the source file path in place of cur (nil for none), reusing its values' memory.
func reread(cur *sliceFile, path string) (*sliceFile, error) {
	var reuse []int32
	if cur != nil {
		reuse = cur.Stored
	}
	return readSlice(path, reuse)
}

// maskFiles matches each file of the mask folder dir to the source slice at its position (within
// half the smallest voxel side, as scan.ReadMaskFolder does) and returns each source slice's mask
// file, "" where the folder has none.
func maskFiles(ctx context.Context, dir string, src *scan.SeriesEntry, along []float64) ([]string, error) {
	m, err := scan.OpenSeries(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	if m.Dims[0] != src.Dims[0] || m.Dims[1] != src.Dims[1] || len(m.Series.Positions) != m.Dims[2] {
		return nil, fmt.Errorf("%s: %w: mask of %dx%d pixels (with positions: %v) for a series of %dx%d",
			dir, ErrSource, m.Dims[0], m.Dims[1], len(m.Series.Positions) == m.Dims[2], src.Dims[0], src.Dims[1])
	}
	tol := 0.5 * min(src.Spacing[0], src.Spacing[1], src.Spacing[2])
	out := make([]string, len(along))
	for i, p := range m.Series.Positions {
		a := dot(p, src.Direction[2])
		best := 0
		for j := range along {
			if math.Abs(along[j]-a) < math.Abs(along[best]-a) {
				best = j
			}
		}
		file := m.Series.Files[i]
		if d := math.Abs(along[best] - a); !(d <= tol) {
			return nil, fmt.Errorf("%s: %w: mask slice %.2f mm from the nearest slice of the series", file, ErrSource, d)
		}
		if out[best] != "" {
			return nil, fmt.Errorf("%s: %w: a second mask file for the slice of %s", file, ErrSource, out[best])
		}
		out[best] = file
	}
	return out, nil
}

// checkEmpty refuses an output folder that holds anything: a run into a folder of an earlier
// run would mix two series.
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s: %w", dir, ErrOut)
	}
	return nil
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
