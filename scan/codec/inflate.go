package codec

import "fmt"

// Inflate inflates a raw deflate stream (the dataset of Deflated Explicit VR Little Endian) of at
// most limit bytes; a larger one is refused with ErrMismatch after limit bytes. sizeHint is the
// expected size (0 for unknown): with it, a stream is inflated once.
func Inflate(src []byte, sizeHint, limit int) ([]byte, error) {
	size := sizeHint
	if size <= 0 {
		size = 4*len(src) + 4096
	}
	size = min(size, limit)
	for {
		buf := make([]byte, size)
		n, full, err := inflateInto(src, buf)
		if err != nil {
			return nil, err
		}
		if !full {
			return buf[:n], nil
		}
		if size >= limit {
			return nil, fmt.Errorf("%w: inflates to more than %d bytes", ErrMismatch, limit)
		}
		// Rare: the guess was short; inflate again into twice the room.
		size = min(2*size, limit)
	}
}

// decodeDeflate decodes a Deflated Image Frame Compression frame: the native frame, raw deflate.
// Exactly len(dst) bytes must come out: a stream that inflates to more is refused without
// inflating the rest.
func decodeDeflate(src, dst []byte) error {
	n, full, err := inflateInto(src, dst)
	if err != nil {
		return fmt.Errorf("deflated frame: %w", err)
	}
	if full {
		return fmt.Errorf("%w: deflated frame inflates to more than %d bytes", ErrMismatch, len(dst))
	}
	if n != len(dst) {
		return fmt.Errorf("%w: deflated frame inflates to %d bytes, the frame has %d", ErrCorrupt, n, len(dst))
	}
	return nil
}

// InflatePrefix inflates as much of a raw deflate stream as its bytes hold, up to max bytes: the
// start of a deflated dataset, from the start of its file.
func InflatePrefix(src []byte, max int) []byte {
	buf := make([]byte, max)
	n, _, _ := inflateInto(src, buf)
	return buf[:n]
}
