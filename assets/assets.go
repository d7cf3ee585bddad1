// Package assets holds the files built into liverseg: the icon, and the default model
// (assets/model.onnx, with its card and report) once the training issue adds it. Everything in
// this folder is embedded, so that a model added here needs no change of code.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed *
var files embed.FS

// DefaultModelName is the file of the default model in this folder.
const DefaultModelName = "model.onnx"

// DefaultModel returns the default model's ONNX bytes, or false when none is built in.
func DefaultModel() ([]byte, bool) {
	b, err := fs.ReadFile(files, DefaultModelName)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return b, true
}

// File returns an embedded file of this folder (the icon, the model card...).
func File(name string) ([]byte, error) { return fs.ReadFile(files, name) }
