package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"liverseg/scan"
)

// seriesInfo is one series of `liverseg info --json`; the keys are a contract for scripts.
type seriesInfo struct {
	Path              string     `json:"path"`
	SeriesUID         string     `json:"series_uid"`
	Description       string     `json:"description"`
	Patient           string     `json:"patient"`
	PatientID         string     `json:"patient_id"`
	StudyUID          string     `json:"study_uid"`
	StudyDate         string     `json:"study_date"`
	StudyDescription  string     `json:"study_description"`
	Modality          string     `json:"modality"`
	Manufacturer      string     `json:"manufacturer"`
	Slices            int        `json:"slices"`
	Rows              int        `json:"rows"`
	Cols              int        `json:"cols"`
	Spacing           [3]float64 `json:"spacing"`
	SliceThickness    float64    `json:"slice_thickness"`
	HUMin             *int16     `json:"hu_min"`
	HUMax             *int16     `json:"hu_max"`
	TransferSyntax    string     `json:"transfer_syntax"`
	TransferSyntaxUID string     `json:"transfer_syntax_uid"`
	Warnings          []string   `json:"warnings"`
}

type infoReport struct {
	Series   []seriesInfo `json:"series"`
	Labels   []string     `json:"labels"`
	Problems []string     `json:"problems"`
	NotDICOM []string     `json:"not_dicom"`
}

// Info is `liverseg info PATH`: each series found, with its geometry and HU range.
func Info(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("info", "PATH [--json]", stderr)
	asJSON := addJSONFlag(fs)
	paths, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(paths) != 1 {
		return usageError(stderr, fs, "give one PATH (a folder, a DICOMDIR or a file)")
	}
	report, err := buildInfo(ctx, paths[0], stderr)
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		if err := writeJSON(stdout, report); err != nil {
			return fail(stderr, err)
		}
	} else {
		printInfo(stdout, report)
	}
	if len(report.Series) == 0 {
		fmt.Fprintf(stderr, "liverseg: %s: %v\n", Printable(paths[0]), scan.ErrNoSeries)
		return ExitFailure
	}
	return ExitOK
}

func buildInfo(ctx context.Context, path string, stderr io.Writer) (*infoReport, error) {
	cat, err := scan.Discover(ctx, path)
	if err != nil {
		return nil, err
	}
	r := &infoReport{Series: []seriesInfo{}, Labels: cat.Labels, Problems: []string{}, NotDICOM: cat.NotDICOM}
	if r.Labels == nil {
		r.Labels = []string{}
	}
	if r.NotDICOM == nil {
		r.NotDICOM = []string{}
	}
	for _, p := range cat.Problems {
		r.Problems = append(r.Problems, p.Error())
	}
	for _, s := range cat.Series {
		si := seriesInfo{
			Path:              s.Series.Path,
			SeriesUID:         s.Series.SeriesUID,
			Description:       s.Series.SeriesDescription,
			Patient:           s.Series.PatientName,
			PatientID:         s.Series.PatientID,
			StudyUID:          s.Series.StudyUID,
			StudyDate:         s.Series.StudyDate,
			StudyDescription:  s.Series.StudyDescription,
			Modality:          s.Series.Modality,
			Manufacturer:      s.Series.Manufacturer,
			Slices:            s.Dims[2],
			Rows:              s.Dims[1],
			Cols:              s.Dims[0],
			Spacing:           s.Spacing,
			SliceThickness:    s.Thickness,
			TransferSyntax:    scan.TransferSyntaxName(s.Series.TransferSyntax),
			TransferSyntaxUID: s.Series.TransferSyntax,
			Warnings:          append([]string{}, s.Warnings...),
		}
		bar := newProgress(stderr, "reading "+s.Series.Path)
		v, err := s.Load(ctx, bar.report())
		switch {
		case errors.Is(err, scan.ErrCompressed):
			si.Warnings = append(si.Warnings, fmt.Sprintf("pixel data %s (%s): HU range unknown", scan.ErrCompressed, si.TransferSyntax))
		case errors.Is(err, context.Canceled):
			return nil, err
		case err != nil:
			si.Warnings = append(si.Warnings, "pixels unreadable: "+err.Error())
		default:
			lo, hi := scan.HURange(v)
			si.HUMin, si.HUMax = &lo, &hi
		}
		r.Series = append(r.Series, si)
	}
	return r, nil
}

func printInfo(w io.Writer, r *infoReport) {
	// Every string here comes from a file: printed through Printable (p), orDash included.
	p := Printable
	for i, s := range r.Series {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", p(s.Path))
		fmt.Fprintf(w, "  patient      %s (%s)\n", orDash(s.Patient), orDash(s.PatientID))
		fmt.Fprintf(w, "  study        %s %s\n", orDash(s.StudyDate), p(s.StudyDescription))
		fmt.Fprintf(w, "  series       %s %s\n", orDash(s.Description), p(s.SeriesUID))
		fmt.Fprintf(w, "  modality     %s %s\n", orDash(s.Modality), p(s.Manufacturer))
		fmt.Fprintf(w, "  slices       %d of %dx%d\n", s.Slices, s.Cols, s.Rows)
		fmt.Fprintf(w, "  spacing      %.3f x %.3f mm, slice step %.3f mm (SliceThickness %.3g mm)\n", s.Spacing[0], s.Spacing[1], s.Spacing[2], s.SliceThickness)
		if s.HUMin != nil {
			fmt.Fprintf(w, "  HU           %d..%d\n", *s.HUMin, *s.HUMax)
		} else {
			fmt.Fprintf(w, "  HU           unknown\n")
		}
		fmt.Fprintf(w, "  transfer     %s (%s)\n", p(s.TransferSyntax), p(s.TransferSyntaxUID))
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "  warning      %s\n", p(warn))
		}
	}
	if len(r.Labels) > 0 {
		fmt.Fprintf(w, "\nlabels (DICOM SEG): %s\n", p(strings.Join(r.Labels, ", ")))
	}
	for _, pr := range r.Problems {
		fmt.Fprintf(w, "\nunreadable: %s", p(pr))
	}
	if len(r.Problems) > 0 {
		fmt.Fprintln(w)
	}
	if n := len(r.NotDICOM); n > 0 {
		shown := r.NotDICOM
		if n > 5 {
			shown = shown[:5]
		}
		fmt.Fprintf(w, "\nnot DICOM, skipped (%d): %s\n", n, p(strings.Join(shown, ", ")))
	}
}

// orDash is s for text output (through Printable), or "-" when it is blank.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return Printable(s)
}
