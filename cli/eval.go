package cli

import (
	"context"
	"fmt"
	"io"

	"liverseg/scan"
)

// Eval is `liverseg eval --series S --truth LABEL --pred LABEL`: the figures of DESIGN.md.
func Eval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("eval", "--series S --truth LABEL --pred LABEL [--per-slice] [--json]", stderr)
	series := addSeriesFlag(fs)
	uid := addSeriesUIDFlag(fs)
	truthPath := addTruthFlag(fs)
	predPath := fs.String("pred", "", "the label to score (any LABEL format)")
	perSlice := addPerSliceFlag(fs)
	asJSON := addJSONFlag(fs)
	lf := addLabelFlags(fs)
	if code, ok := parseOnlyFlags(fs, args, stderr); !ok {
		return code
	}
	if *series == "" || *truthPath == "" || *predPath == "" {
		return usageError(stderr, fs, "--series, --truth and --pred are required")
	}
	if err := checkInputs(*series, *truthPath, *predPath); err != nil {
		return fail(stderr, err)
	}
	v, err := loadSeries(ctx, *series, *uid, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	pred, err := loadLabel(*predPath, v, lf, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	m, err := scoreAgainst(*truthPath, v, pred, lf, *perSlice, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		if m.Slices == nil {
			m.Slices = []scan.SliceMetrics{}
		}
		// The figures' keys as they are, and the series' warnings beside them.
		res := struct {
			*scan.Metrics
			Warnings []string `json:"warnings"`
		}{m, warnings(v)}
		if err := writeJSON(stdout, res); err != nil {
			return fail(stderr, err)
		}
		return ExitOK
	}
	printMetrics(stdout, m)
	return ExitOK
}

func printMetrics(w io.Writer, m *scan.Metrics) {
	fmt.Fprintf(w, "dice        %.4f\n", m.Dice)
	fmt.Fprintf(w, "iou         %.4f\n", m.IoU)
	fmt.Fprintf(w, "miou        %.4f\n", m.MIoU)
	fmt.Fprintf(w, "mpa         %.4f\n", m.MPA)
	fmt.Fprintf(w, "study_miou  %.4f   (the original study's per-slice mean)\n", m.StudyMIoU)
	fmt.Fprintf(w, "study_mpa   %.4f   (the original study's per-slice mean)\n", m.StudyMPA)
	fmt.Fprintf(w, "truth       %.1f ml\n", m.TruthML)
	fmt.Fprintf(w, "prediction  %.1f ml\n", m.PredML)
	if sf := m.SurfaceFigures; sf != nil {
		if sf.Reason != "" {
			fmt.Fprintf(w, "surface     -   (%s)\n", sf.Reason)
		} else {
			fmt.Fprintf(w, "hd95        %.2f mm\n", *sf.HD95)
			fmt.Fprintf(w, "assd        %.2f mm\n", *sf.ASSD)
			fmt.Fprintf(w, "nsd_2mm     %.4f   (the share of both surfaces within %g mm of the other)\n", *sf.NSD2mm, scan.NSDTolerance)
		}
	}
	if len(m.Slices) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%5s %7s %7s %7s %7s %9s %9s %7s %7s\n", "slice", "dice", "iou", "miou", "mpa", "truth", "pred", "fp", "fn")
	for _, s := range m.Slices {
		fmt.Fprintf(w, "%5d %7.4f %7.4f %7.4f %7.4f %9d %9d %7d %7d\n", s.Slice, s.Dice, s.IoU, s.MIoU, s.MPA, s.TruthVoxel, s.PredVoxel, s.FalsePos, s.FalseNeg)
	}
}
