package scan

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseDICOM feeds arbitrary bytes through the header walk, the library parse, the frame
// listing and the pixel decode: none may panic, and none may allocate more than the input holds
// (the pixel buffer is sized by the header only after checkNativeLength proved the bytes exist).
func FuzzParseDICOM(f *testing.F) {
	if root := os.Getenv("LIVERSEG_DATA"); root != "" {
		for _, rel := range []string{
			"formats/pydicom/MR_small.dcm", "formats/pydicom/MR_small_bigendian.dcm",
			"formats/pydicom/MR_small_implicit.dcm", "formats/pydicom/image_dfl.dcm",
			"formats/pydicom/CT_small.dcm", "formats/dcmqi/24x38x3/multiframe/mf.dcm",
			"formats/highdicom/seg_image_ct_binary.dcm", "formats/pydicom/MR_small_RLE.dcm",
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
		if err != nil || len(frames) == 0 || frames[0].Encapsulated {
			return
		}
		fr := frames[0]
		size := fr.Format.frameBytes()
		off := int(fr.PixelOffset)
		if off < 0 || off+size > len(df.data) {
			t.Fatalf("frame 0 at %d+%d lies outside the %d bytes that were checked", off, size, len(df.data))
		}
		dst := make([]int16, fr.Format.Rows*fr.Format.Cols)
		decodeHU(dst, df.data[off:off+size], fr.Format, df.ByteOrder, fr.Rescale)
	})
}
