package scan

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"liverseg/scan/internal/vec3"
)

// SeriesEntry is one image series found on disk: who and what it is, its slices in volume order
// and its geometry. Reading the headers is enough to make one; Load reads the pixels.
type SeriesEntry struct {
	Series     Series
	Dims       [3]int
	Spacing    [3]float64
	Origin     [3]float64
	Direction  [3][3]float64
	Thickness  float64 // SliceThickness as the header says it (often not the step between slices)
	Warnings   []string
	Compressed bool // pixel data in a compressed transfer syntax
	frames     []frameInfo
}

// Slices is the number of slices of the series.
func (s *SeriesEntry) Slices() int { return s.Dims[2] }

// Tolerances of assembly, in mm and in cosine units.
const (
	dupTolerance   = 0.01 // positions closer than this along the normal are the same slice
	stepTolerance  = 0.02 // relative deviation of a step from the median that counts as uneven
	tiltTolerance  = 1e-3 // sine of the angle between the slice normal and the slice-to-slice vector
	orientTolerace = 1e-3
)

// assemble orders the frames of one series along the slice normal and derives the geometry,
// with a warning for everything that makes the volume less than a clean regular grid.
func assemble(hdr seriesHeader, frames []frameInfo) (*SeriesEntry, error) {
	if len(frames) == 0 {
		return nil, ErrNoSeries
	}
	e := &SeriesEntry{}
	frames = e.keepMajorityGrid(frames)
	first := frames[0]
	withPos := first.HasPosition && first.HasOrientation
	for _, f := range frames {
		withPos = withPos && f.HasPosition && f.HasOrientation
	}
	row := [3]float64{first.Orientation[0], first.Orientation[1], first.Orientation[2]}
	col := [3]float64{first.Orientation[3], first.Orientation[4], first.Orientation[5]}
	if !first.HasOrientation || vec3.Norm(row) < 0.5 || vec3.Norm(col) < 0.5 {
		row, col = [3]float64{1, 0, 0}, [3]float64{0, 1, 0}
		withPos = false
	}
	row, col = vec3.Unit(row), vec3.Unit(col)
	normal := vec3.Unit(vec3.Cross(row, col))
	e.Direction = [3][3]float64{row, col, normal}
	if first.PixelSpacing[0] > 0 {
		e.Spacing[0], e.Spacing[1] = first.PixelSpacing[1], first.PixelSpacing[0]
	} else {
		e.Spacing[0], e.Spacing[1] = 1, 1
		e.warn("no PixelSpacing: pixels taken as 1 mm")
	}
	e.Thickness = first.Thickness
	if withPos {
		frames = e.orderByPosition(frames, normal)
	} else {
		sort.SliceStable(frames, func(a, b int) bool {
			if frames[a].InstanceNumber != frames[b].InstanceNumber {
				return frames[a].InstanceNumber < frames[b].InstanceNumber
			}
			return frames[a].Frame < frames[b].Frame
		})
		e.Spacing[2] = first.Thickness
		if e.Spacing[2] <= 0 {
			e.Spacing[2] = 1
		}
		e.Origin = first.Position
		if len(frames) > 1 {
			e.warn("no ImagePositionPatient: slices ordered by InstanceNumber, slice step taken from SliceThickness (%.3g mm)", e.Spacing[2])
		}
	}
	pf := frames[0].Format
	if int64(pf.Rows)*int64(pf.Cols)*int64(len(frames)) > MaxVoxels {
		return nil, fmt.Errorf("%w: %dx%dx%d voxels", ErrTooLarge, pf.Cols, pf.Rows, len(frames))
	}
	e.Dims = [3]int{pf.Cols, pf.Rows, len(frames)}
	e.frames = frames
	e.Compressed = frames[0].Encapsulated
	e.Series = Series{
		Path:              commonDir(frames),
		PatientName:       hdr.PatientName,
		PatientID:         hdr.PatientID,
		StudyUID:          hdr.StudyUID,
		StudyDate:         hdr.StudyDate,
		StudyDescription:  hdr.StudyDescription,
		SeriesUID:         hdr.SeriesUID,
		SeriesDescription: hdr.SeriesDescription,
		SeriesNumber:      hdr.SeriesNumber,
		Modality:          hdr.Modality,
		Manufacturer:      hdr.Manufacturer,
		FrameOfReference:  hdr.FrameOfRef,
		SOPClassUID:       hdr.SOP,
		TransferSyntax:    frames[0].TransferSyntax,
		WindowCenter:      hdr.WindowCenter,
		WindowWidth:       hdr.WindowWidth,
		context:           hdr.Context,
	}
	for _, f := range frames {
		e.Series.Files = append(e.Series.Files, f.File)
		e.Series.SOPInstanceUIDs = append(e.Series.SOPInstanceUIDs, f.SOPInstanceUID)
		e.Series.FrameNumbers = append(e.Series.FrameNumbers, f.Frame+1)
		if withPos {
			e.Series.Positions = append(e.Series.Positions, f.Position)
		}
	}
	e.warnDuplicateUIDs(frames)
	if pf.Photometric == "MONOCHROME1" {
		e.warn("MONOCHROME1 pixels: HU are as stored, only the display is inverted")
	}
	if pf.Photometric != "" && !strings.HasPrefix(pf.Photometric, "MONOCHROME") {
		return nil, fmt.Errorf("%w: photometric interpretation %s", ErrUnsupported, pf.Photometric)
	}
	return e, nil
}

func (e *SeriesEntry) warn(format string, args ...any) {
	e.Warnings = append(e.Warnings, fmt.Sprintf(format, args...))
}

// warnDuplicateUIDs warns of SOP Instance UIDs that more than one file of the series carries (the
// frames of one multi-frame file share theirs by right): such an instance is ambiguous, a label
// that references it cannot say which slice it means, and SEG reading places it by position.
func (e *SeriesEntry) warnDuplicateUIDs(frames []frameInfo) {
	files := map[string][]string{}
	var order []string
	for _, f := range frames {
		u := f.SOPInstanceUID
		if u == "" {
			continue
		}
		have := files[u]
		if len(have) == 0 {
			order = append(order, u)
		}
		if !slices.Contains(have, f.File) {
			files[u] = append(have, f.File)
		}
	}
	var shared []string
	for _, u := range order {
		if len(files[u]) > 1 {
			shared = append(shared, fmt.Sprintf("%s in %s", u, strings.Join(files[u], " and ")))
		}
	}
	if len(shared) > 0 {
		e.warn("duplicate SOP Instance UIDs: %d UIDs are each carried by several files (%s); labels that reference them are placed by position",
			len(shared), FirstNames(shared))
	}
}

// keepMajorityGrid keeps the frames that share the most common matrix size and orientation; a
// volume needs one grid. The others are left out with a warning that names one of their files.
func (e *SeriesEntry) keepMajorityGrid(frames []frameInfo) []frameInfo {
	type grid struct {
		rows, cols int
		orient     [6]int64
	}
	key := func(f frameInfo) grid {
		g := grid{rows: f.Format.Rows, cols: f.Format.Cols}
		for i, v := range f.Orientation {
			g.orient[i] = int64(math.Round(v / orientTolerace))
		}
		return g
	}
	count := map[grid]int{}
	var order []grid
	for _, f := range frames {
		k := key(f)
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	if len(order) == 1 {
		return frames
	}
	best := order[0]
	for _, k := range order {
		if count[k] > count[best] {
			best = k
		}
	}
	var kept []frameInfo
	for _, k := range order {
		if k == best {
			continue
		}
		var example string
		for _, f := range frames {
			if key(f) == k {
				example = f.File
				break
			}
		}
		what := "orientation"
		if k.rows != best.rows || k.cols != best.cols {
			what = fmt.Sprintf("matrix size (%dx%d, not %dx%d)", k.cols, k.rows, best.cols, best.rows)
		}
		e.warn("mixed %s: %d slices left out, e.g. %s", what, count[k], example)
	}
	for _, f := range frames {
		if key(f) == best {
			kept = append(kept, f)
		}
	}
	return kept
}

// orderByPosition sorts frames along the slice normal, drops duplicate positions, and sets the
// origin, slice step and slice direction, warning on uneven steps, gaps and gantry tilt.
func (e *SeriesEntry) orderByPosition(frames []frameInfo, normal [3]float64) []frameInfo {
	dist := func(f frameInfo) float64 { return vec3.Dot(f.Position, normal) }
	sort.SliceStable(frames, func(a, b int) bool {
		da, db := dist(frames[a]), dist(frames[b])
		if math.Abs(da-db) > dupTolerance {
			return da < db
		}
		return frames[a].InstanceNumber < frames[b].InstanceNumber
	})
	kept := frames[:1]
	dups := 0
	var dupExample string
	for _, f := range frames[1:] {
		if math.Abs(dist(f)-dist(kept[len(kept)-1])) <= dupTolerance {
			dups++
			if dupExample == "" {
				dupExample = fmt.Sprintf("%s and %s at %.2f mm", kept[len(kept)-1].File, f.File, dist(f))
			}
			continue
		}
		kept = append(kept, f)
	}
	if dups > 0 {
		e.warn("duplicate positions: %d slices left out (%s)", dups, dupExample)
	}
	frames = kept
	e.Origin = frames[0].Position
	n := len(frames)
	if n == 1 {
		e.Spacing[2] = frames[0].Thickness
		if e.Spacing[2] <= 0 {
			e.Spacing[2] = 1
		}
		return frames
	}
	steps := make([]float64, n-1)
	for i := range steps {
		steps[i] = dist(frames[i+1]) - dist(frames[i])
	}
	sorted := append([]float64(nil), steps...)
	sort.Float64s(sorted)
	step := sorted[len(sorted)/2]
	var gaps []string
	missing := 0
	uneven := false
	for i, s := range steps {
		switch {
		case s > 1.5*step:
			k := int(math.Round(s/step)) - 1
			missing += k
			if len(gaps) < 3 {
				gaps = append(gaps, fmt.Sprintf("%.2f mm between %s and %s", s, filepath.Base(frames[i].File), filepath.Base(frames[i+1].File)))
			}
		case math.Abs(s-step) > stepTolerance*step:
			uneven = true
		}
	}
	if missing > 0 {
		e.warn("missing slices: about %d, gaps of %s; the volume closes the gaps", missing, strings.Join(gaps, "; "))
	}
	if uneven {
		e.warn("uneven slice spacing: steps from %.3f to %.3f mm, %.3f mm used", sorted[0], sorted[len(sorted)-1], step)
	}
	// The slice axis runs from the first to the last position; with gantry tilt it leans away
	// from the normal, and keeping it so puts every voxel where the scanner measured it.
	span := vec3.Sub(frames[n-1].Position, frames[0].Position)
	axis := vec3.Unit(span)
	cosTilt := vec3.Dot(axis, normal)
	if sinTilt := math.Sqrt(math.Max(0, 1-cosTilt*cosTilt)); sinTilt > tiltTolerance {
		e.warn("gantry tilt of %.2f degrees: slices are sheared, not resampled", math.Asin(sinTilt)*180/math.Pi)
		e.Direction[2] = axis
		e.Spacing[2] = step / cosTilt
	} else {
		e.Spacing[2] = step
	}
	return frames
}

// commonDir is the file of a single-file series, else the folder that holds all its files.
func commonDir(frames []frameInfo) string {
	single := true
	for _, f := range frames[1:] {
		single = single && f.File == frames[0].File
	}
	if single {
		return frames[0].File
	}
	dir := filepath.Dir(frames[0].File)
	for _, f := range frames[1:] {
		for !strings.HasPrefix(f.File, dir+string(filepath.Separator)) && dir != filepath.Dir(dir) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}

// TransferSyntaxName is the name of a transfer syntax UID, or the UID itself when unknown.
func TransferSyntaxName(uid string) string {
	if n, ok := transferSyntaxNames[uid]; ok {
		return n
	}
	return uid
}

var transferSyntaxNames = map[string]string{
	tsImplicitLE:              "Implicit VR Little Endian",
	tsExplicitLE:              "Explicit VR Little Endian",
	tsDeflatedLE:              "Deflated Explicit VR Little Endian",
	tsExplicitBE:              "Explicit VR Big Endian",
	"1.2.840.10008.1.2.4.50":  "JPEG Baseline",
	"1.2.840.10008.1.2.4.51":  "JPEG Extended",
	"1.2.840.10008.1.2.4.57":  "JPEG Lossless",
	"1.2.840.10008.1.2.4.70":  "JPEG Lossless SV1",
	"1.2.840.10008.1.2.4.80":  "JPEG-LS Lossless",
	"1.2.840.10008.1.2.4.81":  "JPEG-LS Near-Lossless",
	"1.2.840.10008.1.2.4.90":  "JPEG 2000 Lossless",
	"1.2.840.10008.1.2.4.91":  "JPEG 2000",
	"1.2.840.10008.1.2.4.201": "HTJ2K Lossless",
	"1.2.840.10008.1.2.4.202": "HTJ2K Lossless RPCL",
	"1.2.840.10008.1.2.4.203": "HTJ2K",
	"1.2.840.10008.1.2.5":     "RLE Lossless",
	"1.2.840.10008.1.2.8.1":   "Deflated Image Frame Compression",
	"1.2.840.10008.1.2.4.100": "MPEG2 video",
	"1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 video",
	"1.2.840.10008.1.2.4.107": "HEVC/H.265 video",
}
