//go:build !cgo

package codec

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
)

// inflateInto inflates raw deflate src into dst with the standard library (no cgo in this build).
func inflateInto(src, dst []byte) (n int, full bool, err error) {
	r := flate.NewReader(bytes.NewReader(src))
	defer r.Close()
	n, err = io.ReadFull(r, dst)
	switch {
	case err == nil:
		var one [1]byte
		m, _ := r.Read(one[:])
		return n, m > 0, nil
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		// Ended before dst filled: a short stream, unless flate saw corrupt data.
		if _, err2 := r.Read(make([]byte, 1)); err2 != nil && !errors.Is(err2, io.EOF) {
			return n, false, fmt.Errorf("%w: %v", ErrCorrupt, err2)
		}
		return n, false, nil
	}
	return n, false, fmt.Errorf("%w: %v", ErrCorrupt, err)
}
