package cli

import (
	"context"
	"fmt"
	"io"

	"liverseg/internal/atomicfile"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/scan/nifti"
)

// Convert is `liverseg convert --series S [--in LABEL] --out FILE`: a label between formats, or,
// without --in, the CT itself as NIfTI (int16 HU, as dcm2niix would write it).
func Convert(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("convert", "--series S [--in LABEL] --out FILE [--format nifti|seg|png] [--allow-gaps]", stderr)
	series := addSeriesFlag(fs)
	uid := addSeriesUIDFlag(fs)
	in := fs.String("in", "", "the label to convert (any LABEL format); without it the CT is written")
	out := fs.String("out", "", "the output: .nii/.nii.gz, .dcm (DICOM SEG) or a folder (PNG stack)")
	format := addFormatFlag(fs)
	author := addAuthorFlag(fs)
	allowGaps := addAllowGapsFlag(fs)
	asJSON := addJSONFlag(fs)
	lf := addLabelFlags(fs)
	if code, ok := parseOnlyFlags(fs, args, stderr); !ok {
		return code
	}
	if *series == "" || *out == "" {
		return usageError(stderr, fs, "--series and --out are required")
	}
	outFormat, err := labels.FormatForOutput(*out, *format)
	if err != nil {
		return usageError(stderr, fs, "%v", err)
	}
	if *in == "" && outFormat != labels.FormatNIfTI {
		return usageError(stderr, fs, "without --in the CT is written, and only as NIfTI (.nii or .nii.gz)")
	}
	if err := checkInputs(*series, *in); err != nil {
		return fail(stderr, err)
	}
	if err := atomicfile.CheckWritable(*out, outFormat == labels.FormatPNG); err != nil {
		return fail(stderr, err)
	}
	v, err := loadSeries(ctx, *series, *uid, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	if outFormat == labels.FormatNIfTI {
		if err := checkGrid(v, *allowGaps, stderr); err != nil {
			return fail(stderr, err)
		}
	}
	result := map[string]any{"out": *out, "format": string(outFormat)}
	if *in == "" {
		if err := nifti.WriteVolume(*out, v); err != nil {
			return fail(stderr, err)
		}
		result["what"] = "ct"
		result["dims"] = v.Dims
	} else {
		m, err := loadLabel(*in, v, lf, stderr)
		if err != nil {
			return fail(stderr, err)
		}
		meta := scan.LabelMeta{
			AlgorithmType: scan.AlgorithmManual,
			Author:        *author,
			Description:   "liver (converted by liverseg)",
		}
		if err := labels.Write(*out, outFormat, v, m, meta); err != nil {
			return fail(stderr, err)
		}
		result["what"] = "label"
		result["liver_ml"] = scan.VolumeML(m, v.VoxelVolumeML())
	}
	result["warnings"] = warnings(v)
	if *asJSON {
		if err := writeJSON(stdout, result); err != nil {
			return fail(stderr, err)
		}
	} else {
		fmt.Fprintf(stdout, "wrote %s (%s)\n", Printable(*out), outFormat)
	}
	return ExitOK
}
