package scan

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan/codec"
)

// TestCompressedImagesMatchPydicom decodes every compressed grayscale image of formats/ and
// compares each frame with what pydicom (GDCM handler) reports.
func TestCompressedImagesMatchPydicom(t *testing.T) {
	root := testenv.Data(t, "formats")
	var files []string
	for _, row := range readManifest(t) {
		if nativeSyntaxes[row.TransferSyntaxUID] || row.TransferSyntaxUID == "" || row.Modality == "SEG" || strings.HasPrefix(row.Decode, "FAIL") {
			continue
		}
		files = append(files, filepath.Join(root, row.File))
	}
	compared := comparePydicom(t, root, files)
	if compared < 14 {
		t.Errorf("only %d compressed files compared", compared)
	}
	t.Logf("%d compressed images match pydicom", compared)
}

// TestUnsupportedSyntaxNamed: a series in a transfer syntax without a decoder (H.264 video) is
// listed, and loading it gives an error that names the syntax and the folder.
func TestUnsupportedSyntaxNamed(t *testing.T) {
	err := checkCodec("1.2.840.10008.1.2.4.102")
	if !errors.Is(err, ErrCompressed) || !errors.Is(err, codec.ErrUnsupported) || !strings.Contains(err.Error(), "H.264") {
		t.Errorf("got %v", err)
	}
	py := testenv.Python(t, "pydicom")
	dir := t.TempDir()
	out := filepath.Join(dir, "video.dcm")
	script := `
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.102"
ds.save_as(sys.argv[2])
`
	if err := runCmd(py, "-c", script, testenv.Data(t, "formats", "pydicom", "MR_small_jp2klossless.dcm"), out); err != nil {
		t.Fatal(err)
	}
	cat, err := Discover(context.Background(), dir)
	if err != nil || len(cat.Series) != 1 {
		t.Fatalf("discover: %v, %d series", err, len(cat.Series))
	}
	_, err = cat.Series[0].Load(context.Background(), nil)
	if !errors.Is(err, ErrCompressed) || !strings.Contains(err.Error(), "H.264") || !strings.Contains(err.Error(), dir) {
		t.Errorf("load: %v, want ErrCompressed naming H.264 and the folder", err)
	}
}

// comparePydicomVoxels checks every voxel of v against pydicom (GDCM handler for compressed
// data): each slice's file is read by pydicom, rescaled to HU and clipped to int16.
func comparePydicomVoxels(t *testing.T, v *Volume) {
	t.Helper()
	py := testenv.Python(t, "pydicom, numpy")
	out := t.TempDir()
	script := `
import sys, numpy as np, pydicom
from pydicom.pixel_data_handlers import numpy_handler, gdcm_handler, pillow_handler, rle_handler
from pydicom.pixel_data_handlers.util import apply_modality_lut
pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler, pillow_handler, rle_handler]
out = sys.argv[1]
for i, p in enumerate(sys.argv[2:]):
    ds = pydicom.dcmread(p)
    a = apply_modality_lut(ds.pixel_array, ds)
    np.clip(np.round(a), -32768, 32767).astype("<i2").tofile("%s/%d.raw" % (out, i))
`
	files := v.Series.Files
	if len(files) != v.Dims[2] {
		t.Fatalf("%d files for %d slices", len(files), v.Dims[2])
	}
	if b, err := exec.Command(py, append([]string{"-c", script, out}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("pydicom: %v\n%s", err, b)
	}
	for k := range files {
		b, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("%d.raw", k)))
		if err != nil {
			t.Fatal(err)
		}
		s := v.Slice(k)
		if len(b) != 2*len(s) {
			t.Fatalf("slice %d: pydicom gives %d voxels, we %d", k, len(b)/2, len(s))
		}
		bad := 0
		for i, x := range s {
			if want := int16(binary.LittleEndian.Uint16(b[2*i:])); x != want {
				if bad == 0 {
					t.Errorf("%s: voxel %d is %d HU, pydicom %d", files[k], i, x, want)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d voxels differ", files[k], bad)
		}
	}
}

// TestHTJ2KMatchesPillow: HTJ2KLossless_08_RGB (High-Throughput JPEG 2000, which pydicom 2.3 and
// GDCM 3.0 cannot decode) decodes through OpenJPEG to the bytes Pillow gives. It is RGB, which a
// CT volume refuses, so the frame is decoded through the codec directly.
func TestHTJ2KMatchesPillow(t *testing.T) {
	if !codec.Supported(codec.HTJ2KLossless) {
		t.Skip("no JPEG 2000 decoder in this build")
	}
	py := testenv.Python(t, "PIL, numpy")
	p := testenv.Data(t, "formats", "pydicom-data", "HTJ2KLossless_08_RGB.dcm")
	df, err := readDICOMFile(p)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := assembleFrames(df, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := codec.Format{Rows: 480, Cols: 640, Samples: 3, BitsAllocated: 8, BitsStored: 8}
	got := make([]byte, f.FrameBytes())
	if err := codec.Decode(df.TransferSyntax, frames[0], f, got); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cs := filepath.Join(dir, "frame.j2c")
	if err := os.WriteFile(cs, frames[0], 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert("RGB"))
sys.stdout.buffer.write(a.tobytes())
`
	want, err := exec.Command(py, "-c", script, cs).Output()
	if err != nil {
		t.Fatalf("Pillow: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("HTJ2K frame differs from Pillow's (%d and %d bytes)", len(got), len(want))
	}
}

// TestJPEGExtendedVoxels: the 12-bit DCT image matches pydicom (GDCM's IJG 12-bit decoder) voxel
// for voxel, not only in its statistics.
func TestJPEGExtendedVoxels(t *testing.T) {
	v, err := LoadVolume(context.Background(), testenv.Data(t, "formats", "pydicom", "JPGExtended.dcm"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	comparePydicomVoxels(t, v)
}
