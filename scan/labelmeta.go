package scan

import "image/color"

// Algorithm types of a DICOM SEG segment.
const (
	AlgorithmAutomatic     = "AUTOMATIC"
	AlgorithmSemiAutomatic = "SEMIAUTOMATIC"
	AlgorithmManual        = "MANUAL"
)

// LabelMeta is what a written label says about how it was made.
type LabelMeta struct {
	AlgorithmType string // AUTOMATIC, SEMIAUTOMATIC or MANUAL (default MANUAL)
	AlgorithmName string // e.g. "liverseg U-Net", where a model made it
	ModelVersion  string // the model's liverseg.version
	Author        string // content creator
	Description   string // series description of the written object
	// Color is the colour the label is shown in, which a SEG recommends for display; unset
	// (alpha 0): the GUI's default for its algorithm type (displayColor).
	Color color.RGBA
}
