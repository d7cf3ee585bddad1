package cli

// The flags that several commands share, each registered by one function here, so that a flag
// means and says the same in every command's -h. The label-reading flags (--reverse, --segment)
// are addLabelFlags, beside loadLabel in series.go. A name that means different things in
// different commands (--in, --out, --from, --study) stays with its command.

import (
	"flag"

	"liverseg/inference"
	"liverseg/internal/pyinterp"
)

// addJSONFlag is --json: the result as JSON on stdout (info, eval, convert, segment, train,
// models, doctor, pacs).
func addJSONFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("json", false, "print JSON")
}

// addWorkspaceFlag is --workspace: the folder of the models, labels, jobs and PACS servers
// (train, models, doctor, pacs).
func addWorkspaceFlag(fs *flag.FlagSet) *string {
	return fs.String("workspace", "", "the workspace folder (default $XDG_DATA_HOME/liverseg or ~/.local/share/liverseg)")
}

// addSeriesFlag is --series: the CT series that labels are read onto (eval, convert).
func addSeriesFlag(fs *flag.FlagSet) *string {
	return fs.String("series", "", "the CT series (folder, DICOMDIR or file)")
}

// addSeriesUIDFlag is --series-uid: one series of a path that holds several (eval, convert,
// segment).
func addSeriesUIDFlag(fs *flag.FlagSet) *string {
	return fs.String("series-uid", "", "pick a series by SeriesInstanceUID where the path holds several")
}

// addORTLibFlag is --ort-lib: inference.LibrarySearch.Explicit (segment, train, doctor).
func addORTLibFlag(fs *flag.FlagSet) *string {
	return fs.String("ort-lib", "", "ONNX Runtime shared library (default: $"+inference.EnvORTLibrary+", python's onnxruntime, the setup's cache)")
}

// addPythonFlag is --python: the interpreter of the training worker, whose onnxruntime package
// may also provide the ONNX Runtime library (segment, train, doctor).
func addPythonFlag(fs *flag.FlagSet) *string {
	return fs.String("python", "", "Python interpreter with torch, whose onnxruntime package may also provide the library (default: $"+
		pyinterp.Env+", "+pyinterp.System+", python3 on PATH)")
}

// addTruthFlag is --truth: the reference label a prediction is scored against (eval, segment).
func addTruthFlag(fs *flag.FlagSet) *string {
	return fs.String("truth", "", "the reference label to score against (any LABEL format)")
}

// addPerSliceFlag is --per-slice: the figures of every slice besides the volume's (eval, and
// segment with --truth).
func addPerSliceFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("per-slice", false, "with --truth: also the figures of every slice")
}

// addFormatFlag is --format of the commands that write a label (convert, segment).
func addFormatFlag(fs *flag.FlagSet) *string {
	return fs.String("format", "", "nifti, seg or png (default: from --out)")
}

// addAuthorFlag is --author of the commands that can write DICOM SEG (convert, segment).
func addAuthorFlag(fs *flag.FlagSet) *string {
	return fs.String("author", "", "DICOM SEG: the content creator")
}

// addAllowGapsFlag is --allow-gaps of the commands that write NIfTI (convert, segment).
func addAllowGapsFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("allow-gaps", false, "NIfTI: write a series with missing or unevenly spaced slices anyway (with a warning)")
}
