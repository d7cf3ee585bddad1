package scan

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"liverseg/internal/testenv"
)

// nativeSyntaxes are the transfer syntaxes this package decodes itself (the rest wait for codecs).
var nativeSyntaxes = map[string]bool{tsImplicitLE: true, tsExplicitLE: true, tsExplicitBE: true, tsDeflatedLE: true}

// TestNativeImagesMatchPydicom decodes every uncompressed grayscale image of formats/ and
// compares each frame's values with pydicom's pixel_array through apply_modality_lut (rescale or
// Modality LUT), clipped to int16 as we store HU: frame by frame, as sorted lists of per-frame
// (sum, min, max), since our volume orders frames by position and pydicom by file order.
func TestNativeImagesMatchPydicom(t *testing.T) {
	root := testenv.Data(t, "formats")
	var files []string
	for _, row := range readManifest(t) {
		// mlut_18 stores values outside its 12 BitsStored; we mask to BitsStored as PS3.5 says,
		// pydicom does not, so the two differ by design. TestModalityLUT covers its LUT.
		if nativeSyntaxes[row.TransferSyntaxUID] && row.Modality != "SEG" && !strings.HasPrefix(row.Decode, "FAIL") &&
			!strings.HasSuffix(row.File, "mlut_18.dcm") {
			files = append(files, filepath.Join(root, row.File))
		}
	}
	compared := comparePydicom(t, root, files)
	if compared < 15 {
		t.Errorf("only %d files compared", compared)
	}
	t.Logf("%d native images match pydicom", compared)
}

// comparePydicom loads each file as a series and compares each frame's HU with pydicom's
// pixel_array (GDCM first among its handlers for compressed data, then Pillow) through
// apply_modality_lut, clipped to int16, as sorted lists of per-frame (sum, min, max). It returns
// how many files were compared; files pydicom reads as no grayscale image are left out.
func comparePydicom(t *testing.T, root string, files []string) int {
	t.Helper()
	py := testenv.Python(t, "pydicom, numpy")
	script := `
import sys, json, numpy as np, pydicom
from pydicom.pixel_data_handlers import numpy_handler, gdcm_handler, pillow_handler, rle_handler
pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler, pillow_handler, rle_handler]
from pydicom.pixel_data_handlers.util import apply_modality_lut
out = {}
for p in sys.argv[1:]:
    try:
        ds = pydicom.dcmread(p)
        if ds.get("SamplesPerPixel", 1) != 1 or "PixelData" not in ds:
            continue
        if "RescaleSlope" not in ds and "SharedFunctionalGroupsSequence" in ds:
            # pydicom 2.3 leaves the rescale of enhanced images in their functional groups.
            g = ds.SharedFunctionalGroupsSequence[0]
            if "PixelValueTransformationSequence" in g:
                t = g.PixelValueTransformationSequence[0]
                ds.RescaleSlope, ds.RescaleIntercept = t.RescaleSlope, t.RescaleIntercept
        a = ds.pixel_array
        if ds.file_meta.TransferSyntaxUID in ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81") and ds.PixelRepresentation == 1:
            # JPEG-LS has no signed samples: signed data is coded as its BitsStored-bit two's
            # complement pattern, which GDCM hands back unsigned (pydicom 3 corrects it the same way).
            b = int(ds.BitsStored)
            u = a.astype(np.int64) & ((1 << b) - 1)
            a = np.where(u >= (1 << (b - 1)), u - (1 << b), u)
        a = apply_modality_lut(a, ds)
        a = np.clip(np.round(a), -32768, 32767).astype(np.int64)
        if int(ds.get("NumberOfFrames", 1) or 1) == 1:
            a = a[None]
        out[p] = sorted([int(f.sum()), int(f.min()), int(f.max())] for f in a)
    except Exception as e:
        out[p] = str(e)
print(json.dumps(out))
`
	raw, err := exec.Command(py, append([]string{"-c", script}, files...)...).Output()
	if err != nil {
		t.Fatalf("pydicom: %v", err)
	}
	var want map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, p := range files {
		w, ok := want[p].([]any)
		if !ok {
			continue // not a grayscale image for pydicom either
		}
		t.Run(strings.TrimPrefix(p, root+"/"), func(t *testing.T) {
			cat, err := Discover(context.Background(), p)
			if err != nil || len(cat.Series) != 1 {
				t.Fatalf("discover: %v %v", err, cat)
			}
			v, err := cat.Series[0].Load(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got [][3]int64
			for k := 0; k < v.Dims[2]; k++ {
				s := v.Slice(k)
				f := [3]int64{0, int64(s[0]), int64(s[0])}
				for _, x := range s {
					f[0] += int64(x)
					f[1] = min(f[1], int64(x))
					f[2] = max(f[2], int64(x))
				}
				got = append(got, f)
			}
			sort.Slice(got, func(a, b int) bool { return less3(got[a], got[b]) })
			if len(got) != len(w) {
				t.Fatalf("%d frames, pydicom %d", len(got), len(w))
			}
			for i := range got {
				wf := w[i].([]any)
				for j := 0; j < 3; j++ {
					if got[i][j] != int64(wf[j].(float64)) {
						t.Fatalf("frame stats %v, pydicom %v", got, w)
					}
				}
			}
		})
		compared++
	}
	return compared
}

func less3(a, b [3]int64) bool {
	for i := 0; i < 3; i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// TestModalityLUT: mlut_18 has a Modality LUT Sequence instead of rescale; its LUT maps stored
// value v to 16*(v+2048), so the HU range must span the LUT's output, clamped to int16.
func TestModalityLUT(t *testing.T) {
	v, err := LoadVolume(context.Background(), testenv.Data(t, "formats", "pydicom-data", "mlut_18.dcm"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := HURange(v)
	if lo != 0 || hi != 32767 {
		t.Errorf("values %d..%d, want the LUT's 0..32767", lo, hi)
	}
}
