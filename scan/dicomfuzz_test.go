package scan

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"liverseg/internal/testenv"
)

// FuzzParseDICOM feeds arbitrary bytes through the header walk, the library parse, the frame
// listing and the pixel decode: none may panic, and none may allocate more than the input holds
// (the pixel buffer is sized by the header only after checkNativeLength proved the bytes exist).
func FuzzParseDICOM(f *testing.F) {
	if root := os.Getenv(testenv.EnvData); root != "" {
		for _, rel := range []string{
			"formats/pydicom/MR_small.dcm", "formats/pydicom/MR_small_bigendian.dcm",
			"formats/pydicom/MR_small_implicit.dcm", "formats/pydicom/image_dfl.dcm",
			"formats/pydicom/CT_small.dcm", "formats/dcmqi/24x38x3/multiframe/mf.dcm",
			"formats/highdicom/seg_image_ct_binary.dcm", "formats/pydicom/MR_small_RLE.dcm",
			"formats/pydicom/MR_small_jp2klossless.dcm", "formats/pydicom/MR_small_jpeg_ls_lossless.dcm",
		} {
			if b, err := os.ReadFile(filepath.Join(root, rel)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("DICM"))
	f.Fuzz(func(t *testing.T, data []byte) {
		df, err := parseDICOM("fuzz.dcm", data, int64(len(data)))
		if err != nil {
			return
		}
		frames, err := imageFrames(df)
		if err != nil || len(frames) == 0 {
			return
		}
		fr := frames[0]
		if fr.Encapsulated {
			// Compressed: assemble the frames and decode the first through the codecs. The
			// decoded frame is sized by the header; the fuzzer keeps to small ones.
			if fr.Format.frameBytes() > 1<<22 || checkCodec(fr.TransferSyntax) != nil || fr.Format.BitsAllocated == 1 {
				return
			}
			cf, err := assembleFrames(df, fr.Format.Frames)
			if err != nil {
				return
			}
			raw, err := decodeFrame("fuzz.dcm", fr.TransferSyntax, cf[0], fr.Format, nil)
			if err != nil {
				return
			}
			dst := make([]int16, fr.Format.Rows*fr.Format.Cols)
			decodeHU(dst, raw, fr.Format, binary.LittleEndian, fr.Rescale)
			return
		}
		size := fr.Format.frameBytes()
		off := int(fr.PixelOffset)
		if off < 0 || off+size > len(df.data) {
			t.Fatalf("frame 0 at %d+%d lies outside the %d bytes that were checked", off, size, len(df.data))
		}
		dst := make([]int16, fr.Format.Rows*fr.Format.Cols)
		decodeHU(dst, df.data[off:off+size], fr.Format, df.ByteOrder, fr.Rescale)
	})
}
