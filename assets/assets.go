// Package assets holds the files built into liverseg: the icon, the default (automatic) model
// (model.onnx, with MODEL_CARD.md and report/) and the default interactive model, which redraws
// a slice from clicks (interactive.onnx, with INTERACTIVE_MODEL_CARD.md and interactive-report/).
// Everything in this folder is embedded, so that a model added here needs no change of code.
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

// InteractiveModelName is the file of the default interactive model in this folder, trained
// from the default model (interactive-model.json, scripts/interactive-model.sh).
const InteractiveModelName = "interactive.onnx"

// DefaultModel returns the default model's ONNX bytes, or false when none is built in.
func DefaultModel() ([]byte, bool) { return model(DefaultModelName) }

// InteractiveModel returns the default interactive model's ONNX bytes, or false when none is
// built in.
func InteractiveModel() ([]byte, bool) { return model(InteractiveModelName) }

func model(name string) ([]byte, bool) {
	b, err := fs.ReadFile(files, name)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return b, true
}

// File returns an embedded file of this folder (the icon, the model card...).
func File(name string) ([]byte, error) { return fs.ReadFile(files, name) }

// ErrNoDefaultModel says that this build has no model of its own.
var ErrNoDefaultModel = errors.New("this liverseg has no built-in model (assets/" + DefaultModelName + " is not there): give a model file")

// ErrNoInteractiveModel says that this build has no interactive model of its own.
var ErrNoInteractiveModel = errors.New("this liverseg has no built-in interactive model (assets/" + InteractiveModelName +
	" is not there): train one with liverseg train --config assets/interactive-model.json, or give a model file")

// DefaultModelFile writes the default model into cacheDir/models, once per content (the name
// carries a hash of it), and returns its path: ONNX Runtime reads a model from a file.
func DefaultModelFile(cacheDir string) (string, error) {
	data, ok := DefaultModel()
	if !ok {
		return "", ErrNoDefaultModel
	}
	return cacheFile(cacheDir, "default", data)
}

// InteractiveModelFile writes the default interactive model into cacheDir/models, as
// DefaultModelFile does the default model, and returns its path.
func InteractiveModelFile(cacheDir string) (string, error) {
	data, ok := InteractiveModel()
	if !ok {
		return "", ErrNoInteractiveModel
	}
	return cacheFile(cacheDir, "interactive", data)
}

// cacheFile writes data into cacheDir/models/PREFIX-HASH.onnx unless it is there.
func cacheFile(cacheDir, prefix string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	path := filepath.Join(cacheDir, "models", prefix+"-"+hex.EncodeToString(sum[:6])+".onnx")
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
