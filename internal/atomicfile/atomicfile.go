// Package atomicfile writes a file so that no reader, and no crash, ever sees half of it: the one
// temporary-file-and-rename write of the repository (labels, models, job files, the worker script,
// the GUI's ready file, the autosave snapshot), and the check, before long work, that such a write
// can succeed where the user asked for it.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Write writes through write to a temporary file beside path, synced, with mode perm,
// and renames it into place (the folder synced too), so that a reader never sees half a file, a
// failure leaves none, and after a crash path holds the old content or the new, never a mix.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		// The reason alone: the temporary name means nothing to the user.
		return fmt.Errorf("%s: %w", path, pathErr(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// CreateTemp makes the file private (0600).
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync() // make the rename durable
		d.Close()
	}
	return nil
}

// WriteBytes writes b to path with Write.
func WriteBytes(path string, perm os.FileMode, b []byte) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// CheckWritable says, before any long work, whether an output can be written at path: a file
// the way Write writes one (a temporary file beside it, renamed into place), or with
// folder a folder to fill (a PNG stack), made with its parents where missing. It creates and
// removes a temporary file where the output would go, so that it also holds for root, whom
// permission bits do not stop, and for read-only file systems. The error names path.
func CheckWritable(path string, folder bool) error {
	dir := filepath.Dir(path)
	if folder {
		// The nearest folder that exists is where the first one would be made.
		dir = path
		for {
			st, err := os.Stat(dir)
			if err == nil {
				if !st.IsDir() {
					return fmt.Errorf("%s: cannot write a folder there: %s is not a folder", path, dir)
				}
				break
			}
			// ENOTDIR: a file on the way, which the next step up finds.
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) || filepath.Dir(dir) == dir {
				return fmt.Errorf("%s: cannot write there: %w", path, pathErr(err))
			}
			dir = filepath.Dir(dir)
		}
	} else if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a folder, not a file", path)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%s: cannot write there: %w", path, pathErr(err))
	}
	tmp.Close()
	if err := os.Remove(tmp.Name()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// pathErr is the reason of a *fs.PathError without its operation and (temporary) path.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
