//go:build !cgo

package codec

import "fmt"

const (
	haveJPEG2000 = false
	haveJPEGLS   = false
)

func decodeJPEG2000([]byte, Format, []byte) error {
	return fmt.Errorf("%w: JPEG 2000 needs OpenJPEG (this build has no cgo)", ErrUnsupported)
}

func decodeJPEGLS([]byte, Format, []byte) error {
	return fmt.Errorf("%w: JPEG-LS needs CharLS (this build has no cgo)", ErrUnsupported)
}
