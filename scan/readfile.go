package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Every file liverseg reads comes in through OpenRegular (or CheckPath for a path that may be a
// folder): a FIFO, a device or a socket given as a path would block a read forever or never end
// (/dev/zero), so anything that is not a regular file or a folder is refused before it is read.
// A file read whole goes through ReadFileLimit with a cap that suits its kind.

// ErrNotRegular: the path is neither a regular file nor a folder (a FIFO, a device, a socket).
var ErrNotRegular = errors.New("not a regular file or folder")

// Caps for the files read whole, by kind. A model is its ONNX graph and weights (ONNX's protobuf
// cannot exceed 2 GB); a configuration, a job's or a dataset's JSON is a few kB. A DICOM file read
// whole (a SEG, a compressed or deflated image, a header longer than the prefix read first) holds
// at most the largest volume liverseg accepts, MaxVoxels voxels of 16 bits, and its header; a
// DICOMDIR is a few kB a study, and 64 MiB lists hundreds of thousands of files.
const (
	MaxModelBytes    = 2 << 30
	MaxConfigBytes   = 1 << 20
	MaxDICOMBytes    = 2*MaxVoxels + 64<<20
	MaxDICOMDIRBytes = 64 << 20
)

// Caps for files liverseg writes itself and reads back whole, which grow with the work: a
// training run's event log or an autosave journal; a report (JSON with per-slice figures, and its
// pictures); one exported dataset array (.npy, a case's slices pre-processed).
const (
	MaxLogBytes    = 1 << 30
	MaxReportBytes = 64 << 20
	MaxArrayBytes  = 4 << 30
)

// kindOf names a file mode for an error message.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	case m.IsDir():
		return "a folder"
	}
	return "not a regular file"
}

// CheckPath says whether path is a regular file or a folder (following symbolic links), so that a
// command refuses a FIFO or a device before it opens it. The error names the path.
func CheckPath(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		return nil, fmt.Errorf("%s: %w: it is %s", path, ErrNotRegular, kindOf(st.Mode()))
	}
	return st, nil
}

// OpenRegular opens path for reading when it is a regular file. It opens without blocking (a FIFO
// with no writer would block the open itself) and checks the opened file's own mode, so that the
// file checked is the file read. The error names the path.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		if st.IsDir() {
			return nil, nil, fmt.Errorf("%s: is a folder, not a file", path)
		}
		return nil, nil, fmt.Errorf("%s: %w: it is %s", path, ErrNotRegular, kindOf(st.Mode()))
	}
	return f, st, nil
}

// ReadFileLimit reads the whole of the regular file path, refusing it before reading when it holds
// more than limit bytes (what names the kind of file in the error: "a model", "a configuration").
// The read stops when ctx is done. Errors name the path; a file too large is ErrTooLarge.
func ReadFileLimit(ctx context.Context, path string, limit int64, what string) ([]byte, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		size := byteSize(st.Size())
		if size == byteSize(limit) {
			size = fmt.Sprintf("%d bytes", st.Size()) // rounded, the two would read the same
		}
		return nil, fmt.Errorf("%s: %w: %s, %s is at most %s", path, ErrTooLarge, size, what, byteSize(limit))
	}
	// The size can change under us: read at most limit+1 bytes, in chunks, checking ctx.
	buf := make([]byte, 0, st.Size()+1)
	const chunk = 8 << 20
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n := min(cap(buf)-len(buf), chunk)
		m, rerr := f.Read(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%s: %w: more than %s, %s is at most %s", path, ErrTooLarge,
				byteSize(limit), what, byteSize(limit))
		}
		if rerr == io.EOF {
			return buf, nil
		}
		if rerr != nil {
			return nil, fmt.Errorf("%s: %w", path, rerr)
		}
	}
}

// byteSize writes n as people read a file size: 3.1 GiB, 1.0 MiB, 512 bytes.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
