// Package assets holds the files built into liverseg: the icon, and the default model
// (assets/model.onnx, with its card and report) once the training issue adds it. Everything in
// this folder is embedded, so that a model added here needs no change of code.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"liverseg/internal/atomicfile"
	"os"
	"path/filepath"
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

// ErrNoDefaultModel says that this build has no model of its own.
var ErrNoDefaultModel = errors.New("this liverseg has no built-in model (assets/" + DefaultModelName + " is not there): give a model file")

// DefaultModelFile writes the default model into cacheDir/models, once per content (the name
// carries a hash of it), and returns its path: ONNX Runtime reads a model from a file.
func DefaultModelFile(cacheDir string) (string, error) {
	data, ok := DefaultModel()
	if !ok {
		return "", ErrNoDefaultModel
	}
	sum := sha256.Sum256(data)
	path := filepath.Join(cacheDir, "models", "default-"+hex.EncodeToString(sum[:6])+".onnx")
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(data)) {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return "", err
	}
	return path, nil
}
