package scan

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
)

// The fixture generator: a few slices of IRCAD case 1, re-encoded by GDCM's gdcmconv (and, for
// the JPEG Lossless predictors GDCM does not choose, DCMTK's dcmcjpeg) into each syntax, in
// 16-bit signed, 12-bit unsigned and 8-bit unsigned variants, single- and multi-frame, one and
// several fragments a frame. Lossless ones must give exactly the HU of the uncompressed slices.

// fixtureSlices is how many slices of case 1 the fixtures hold: enough for a series, few enough
// to keep the test to seconds.
const fixtureSlices = 3

// variantScript writes, from 16-bit signed CT files, a 12-bit unsigned variant (stored HU+1024
// clipped to 0..4095, intercept -1024) and an 8-bit unsigned one (stored (HU+1024)/16 clipped to
// 0..255, slope 16, intercept -1024), as Explicit VR Little Endian.
const variantScript = `
import sys, os, numpy as np, pydicom
from pydicom.uid import ExplicitVRLittleEndian
out = sys.argv[1]
for p in sys.argv[2:]:
    for name, bits, f in (("u12", 12, lambda hu: np.clip(hu + 1024, 0, 4095)), ("u8", 8, lambda hu: np.clip((hu + 1024) // 16, 0, 255))):
        ds = pydicom.dcmread(p)
        hu = ds.pixel_array.astype(np.int32) * int(ds.get("RescaleSlope", 1)) + int(ds.get("RescaleIntercept", 0))
        v = f(hu)
        ds.BitsAllocated = 16 if bits > 8 else 8
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits - 1, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, (1 if bits > 8 else 16)
        ds.PixelData = v.astype("<u2" if bits > 8 else "u1").tobytes()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.is_little_endian, ds.is_implicit_VR = True, False
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        ds.save_as(os.path.join(d, os.path.basename(p)), write_like_original=False)
`

// multiframeScript packs the frames of compressed single-frame files into one multi-frame file,
// in the layout argv[2]: "bot" (Basic Offset Table), "nobot" (empty table, a fragment a frame),
// "split" (empty table, two fragments a frame) or "eot" (Extended Offset Table).
const multiframeScript = `
import sys, pydicom
from pydicom.encaps import generate_pixel_data_frame, encapsulate, encapsulate_extended
out, layout, files = sys.argv[1], sys.argv[2], sys.argv[3:]
frames = []
for p in files:
    ds = pydicom.dcmread(p)
    frames += list(generate_pixel_data_frame(ds.PixelData, 1))
ds = pydicom.dcmread(files[0])
ds.NumberOfFrames = len(frames)
for k in ("ImagePositionPatient", "SliceLocation"):
    if k in ds:
        delattr(ds, k)
if layout == "eot":
    ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(frames)
    ds["PixelData"].is_undefined_length = True
elif layout == "split":
    ds.PixelData = encapsulate(frames, fragments_per_frame=2, has_bot=False)
else:
    ds.PixelData = encapsulate(frames, has_bot=(layout == "bot"))
ds["PixelData"].VR = "OB"
ds.save_as(out, write_like_original=False)
`

type fixtureSet struct {
	dir string
	// ref holds the uncompressed series of each variant: "s16", "u12", "u8".
	ref map[string]string
}

// run runs a command, failing with its output.
func runCmd(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// makeFixtures writes the uncompressed variants into dir.
func makeFixtures(t testing.TB, dir string) *fixtureSet {
	t.Helper()
	py := testenv.Python(t, "pydicom, numpy")
	src := ircad(t, "1", "PATIENT_DICOM")
	fs := &fixtureSet{dir: dir, ref: map[string]string{}}
	s16 := filepath.Join(dir, "s16")
	if err := os.MkdirAll(s16, 0o755); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := 0; i < fixtureSlices; i++ {
		// Slices from the liver's middle, where HU span air to contrast.
		name := fmt.Sprintf("image_%d", 60+i)
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(s16, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	if err := runCmd(py, append([]string{"-c", variantScript, dir}, files...)...); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"s16", "u12", "u8"} {
		fs.ref[v] = filepath.Join(dir, v)
	}
	return fs
}

// encodeAll runs tool with args on each file of the series in from, writing into to.
func encodeAll(t testing.TB, from, to string, tool string, args ...string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		a := append(append([]string(nil), args...), filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
		if err := runCmd(tool, a...); err != nil {
			t.Fatal(err)
		}
	}
}

func loadSeries(t testing.TB, dir string) *Volume {
	t.Helper()
	v, err := LoadVolume(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// diffHU returns the largest absolute difference and the RMS difference of two volumes'
// voxels, failing when their sizes differ.
func diffHU(t *testing.T, got, want *Volume) (maxAbs int, rms float64) {
	t.Helper()
	if got.Dims != want.Dims {
		t.Fatalf("dims %v, want %v", got.Dims, want.Dims)
	}
	var sum float64
	for i, x := range got.Voxels {
		d := int(x) - int(want.Voxels[i])
		if d < 0 {
			d = -d
		}
		maxAbs = max(maxAbs, d)
		sum += float64(d * d)
	}
	return maxAbs, math.Sqrt(sum / float64(len(got.Voxels)))
}

// TestCodecFixtures generates the fixtures once and checks every syntax on them.
func TestCodecFixtures(t *testing.T) {
	testenv.Tool(t, "gdcmconv")
	fs := makeFixtures(t, t.TempDir())
	t.Run("lossless", func(t *testing.T) { fixturesLossless(t, fs) })
	t.Run("predictors", func(t *testing.T) { fixturesPredictors(t, fs) })
	t.Run("point-transform", func(t *testing.T) { fixturesPointTransform(t, fs) })
	t.Run("fragments", func(t *testing.T) { fixturesFragments(t, fs) })
	t.Run("lossy", func(t *testing.T) { fixturesLossy(t, fs) })
	t.Run("extended", func(t *testing.T) { fixturesExtended(t, fs) })
}

// fixturesLossless: each lossless syntax, each bit depth, gives exactly the HU of the
// uncompressed slices.
func fixturesLossless(t *testing.T, fs *fixtureSet) {
	gdcmconv := testenv.Tool(t, "gdcmconv")
	syntaxes := []struct {
		name, ts string
		args     []string
	}{
		{"jpeg-lossless-sv1", "1.2.840.10008.1.2.4.70", []string{"-J"}},
		{"jpeg2000-lossless", "1.2.840.10008.1.2.4.90", []string{"-K"}},
		{"jpeg-ls-lossless", "1.2.840.10008.1.2.4.80", []string{"-L"}},
		{"rle", "1.2.840.10008.1.2.5", []string{"-R"}},
		{"deflated", "1.2.840.10008.1.2.1.99", []string{"-d"}},
	}
	for _, variant := range []string{"s16", "u12", "u8"} {
		want := loadSeries(t, fs.ref[variant])
		for _, sx := range syntaxes {
			t.Run(variant+"/"+sx.name, func(t *testing.T) {
				out := filepath.Join(fs.dir, variant+"-"+sx.name)
				encodeAll(t, fs.ref[variant], out, gdcmconv, sx.args...)
				got := loadSeries(t, out)
				if got.Series.TransferSyntax != sx.ts {
					t.Fatalf("gdcmconv wrote %s, want %s", got.Series.TransferSyntax, sx.ts)
				}
				if d, _ := diffHU(t, got, want); d != 0 {
					t.Errorf("%s: HU differ by up to %d from the uncompressed series", sx.name, d)
				}
			})
		}
	}
}

// fixturesPredictors: JPEG Lossless process 14 with each of the seven predictors, and a
// point transform, from DCMTK's encoder.
func fixturesPredictors(t *testing.T, fs *fixtureSet) {
	dcmcjpeg := testenv.Tool(t, "dcmcjpeg")
	for _, variant := range []string{"s16", "u12", "u8"} {
		want := loadSeries(t, fs.ref[variant])
		for sv := 1; sv <= 7; sv++ {
			t.Run(fmt.Sprintf("%s/sv%d", variant, sv), func(t *testing.T) {
				out := filepath.Join(fs.dir, fmt.Sprintf("%s-sv%d", variant, sv))
				encodeAll(t, fs.ref[variant], out, dcmcjpeg, "+el", "+sv", fmt.Sprint(sv))
				got := loadSeries(t, out)
				if got.Series.TransferSyntax != "1.2.840.10008.1.2.4.57" {
					t.Fatalf("dcmcjpeg wrote %s", got.Series.TransferSyntax)
				}
				if d, _ := diffHU(t, got, want); d != 0 {
					t.Errorf("predictor %d: HU differ by up to %d", sv, d)
				}
			})
		}
	}
}

// fixturesExtended: 12-bit (and 8-bit) lossy DCT JPEG from DCMTK's encoder decodes to exactly
// what DCMTK's decoder (dcmdjpeg, IJG's 12-bit islow transform) gives.
func fixturesExtended(t *testing.T, fs *fixtureSet) {
	dcmcjpeg := testenv.Tool(t, "dcmcjpeg")
	dcmdjpeg := testenv.Tool(t, "dcmdjpeg")
	for _, c := range []struct{ variant, ts string }{{"u12", "1.2.840.10008.1.2.4.51"}, {"u8", "1.2.840.10008.1.2.4.50"}} {
		t.Run(c.variant, func(t *testing.T) {
			out := filepath.Join(fs.dir, c.variant+"-dct")
			args := []string{"+eb"}
			if c.variant == "u12" {
				args = []string{"+ee"}
			}
			encodeAll(t, fs.ref[c.variant], out, dcmcjpeg, args...)
			got := loadSeries(t, out)
			if got.Series.TransferSyntax != c.ts {
				t.Fatalf("dcmcjpeg wrote %s", got.Series.TransferSyntax)
			}
			raw := filepath.Join(fs.dir, c.variant+"-dct-raw")
			encodeAll(t, out, raw, dcmdjpeg)
			if d, _ := diffHU(t, got, loadSeries(t, raw)); d != 0 {
				t.Errorf("differs from DCMTK's decoding by up to %d HU", d)
			}
			d, rms := diffHU(t, got, loadSeries(t, fs.ref[c.variant]))
			t.Logf("%s DCT JPEG: max error %d HU, rms %.2f against the original", c.variant, d, rms)
		})
	}
}

// fixturesFragments: frames split over several fragments, and multi-frame files with a
// Basic Offset Table, without one (one or two fragments a frame) and with an Extended Offset
// Table.
func fixturesFragments(t *testing.T, fs *fixtureSet) {
	gdcmconv := testenv.Tool(t, "gdcmconv")
	py := testenv.Python(t, "pydicom, numpy")
	want := loadSeries(t, fs.ref["s16"])
	for _, sx := range []struct{ name, arg string }{{"jpll", "-J"}, {"jls", "-L"}, {"j2k", "-K"}} {
		single := filepath.Join(fs.dir, "single-"+sx.name)
		encodeAll(t, fs.ref["s16"], single, gdcmconv, sx.arg)
		t.Run(sx.name+"/split", func(t *testing.T) {
			out := filepath.Join(fs.dir, "split-"+sx.name)
			encodeAll(t, single, out, gdcmconv, "--split", "4000")
			if n := fragmentsOf(t, out); n < 2*fixtureSlices {
				t.Fatalf("gdcmconv --split made %d fragments for %d frames", n, fixtureSlices)
			}
			got := loadSeries(t, out)
			if d, _ := diffHU(t, got, want); d != 0 {
				t.Errorf("HU differ by up to %d", d)
			}
		})
		ents, _ := os.ReadDir(single)
		var files []string
		for _, e := range ents {
			files = append(files, filepath.Join(single, e.Name()))
		}
		for _, layout := range []string{"bot", "nobot", "split", "eot"} {
			t.Run(sx.name+"/multiframe-"+layout, func(t *testing.T) {
				out := filepath.Join(fs.dir, "mf-"+sx.name+"-"+layout+".dcm")
				if err := runCmd(py, append([]string{"-c", multiframeScript, out, layout}, files...)...); err != nil {
					t.Fatal(err)
				}
				df, err := readDICOMFile(out)
				if err != nil {
					t.Fatal(err)
				}
				hasBOT, hasEOT := len(df.Pixels.OffsetTable) > 0, df.Elems.get(tagExtendedOffsetTable) != nil
				if hasBOT != (layout == "bot") || hasEOT != (layout == "eot") || (layout == "split") != (len(df.Pixels.Fragments) == 2*fixtureSlices) {
					t.Fatalf("layout %s: offset table %v, extended %v, %d fragments", layout, hasBOT, hasEOT, len(df.Pixels.Fragments))
				}
				got := loadSeries(t, out)
				if got.Dims[2] != fixtureSlices {
					t.Fatalf("%d frames, want %d", got.Dims[2], fixtureSlices)
				}
				// Without positions, frames stay in file order, which is the series' order.
				got.Dims = want.Dims
				if d, _ := diffHU(t, got, want); d != 0 {
					t.Errorf("HU differ by up to %d", d)
				}
			})
		}
	}
}

// fixturesPointTransform: JPEG Lossless with a point transform keeps the high bits: 12-bit
// unsigned samples v come back as v with its low Pt bits cleared.
func fixturesPointTransform(t *testing.T, fs *fixtureSet) {
	dcmcjpeg := testenv.Tool(t, "dcmcjpeg")
	want := loadSeries(t, fs.ref["u12"])
	for _, pt := range []int{1, 3} {
		out := filepath.Join(fs.dir, fmt.Sprintf("u12-pt%d", pt))
		encodeAll(t, fs.ref["u12"], out, dcmcjpeg, "+el", "+sv", "1", "+pt", fmt.Sprint(pt))
		got := loadSeries(t, out)
		bad := 0
		for i, hu := range want.Voxels {
			// u12 stores HU+1024 with intercept -1024.
			if exp := int16((int(hu)+1024)>>pt<<pt - 1024); got.Voxels[i] != exp {
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("point transform %d: %d voxels differ from the truncated original", pt, bad)
		}
	}
}

// fixturesLossy: near-lossless JPEG-LS stays within its NEAR bound of the original;
// lossy JPEG 2000 decodes to what GDCM decodes (gdcmconv --raw) and stays near the original.
func fixturesLossy(t *testing.T, fs *fixtureSet) {
	gdcmconv := testenv.Tool(t, "gdcmconv")
	want := loadSeries(t, fs.ref["s16"])
	for _, near := range []int{1, 3, 10} {
		out := filepath.Join(fs.dir, fmt.Sprintf("jls-near%d", near))
		encodeAll(t, fs.ref["s16"], out, gdcmconv, "-L", "-Y", "-e", fmt.Sprint(near))
		got := loadSeries(t, out)
		if got.Series.TransferSyntax != "1.2.840.10008.1.2.4.81" {
			t.Fatalf("gdcmconv wrote %s", got.Series.TransferSyntax)
		}
		d, rms := diffHU(t, got, want)
		if d > near || d == 0 {
			t.Errorf("JPEG-LS NEAR=%d: HU differ by up to %d (rms %.2f), want 1..%d", near, d, rms, near)
		}
		t.Logf("JPEG-LS NEAR=%d: max error %d HU, rms %.2f", near, d, rms)
	}
	for _, rate := range []string{"5", "20"} {
		out := filepath.Join(fs.dir, "j2k-rate"+rate)
		encodeAll(t, fs.ref["s16"], out, gdcmconv, "-K", "-Y", "-r", rate)
		got := loadSeries(t, out)
		if got.Series.TransferSyntax != "1.2.840.10008.1.2.4.91" {
			t.Fatalf("gdcmconv wrote %s", got.Series.TransferSyntax)
		}
		raw := filepath.Join(fs.dir, "j2k-rate"+rate+"-raw")
		encodeAll(t, out, raw, gdcmconv, "--raw")
		if d, _ := diffHU(t, got, loadSeries(t, raw)); d != 0 {
			t.Errorf("JPEG 2000 rate %s: differs from GDCM's decoding by up to %d HU", rate, d)
		}
		d, rms := diffHU(t, got, want)
		// A compression ratio of 5 to 20 on CT keeps the RMS error to a few HU.
		if rms > 15 || d == 0 {
			t.Errorf("JPEG 2000 rate %s: max error %d HU, rms %.2f", rate, d, rms)
		}
		t.Logf("JPEG 2000 rate %s: max error %d HU, rms %.2f", rate, d, rms)
	}
}

// fragmentsOf counts the pixel data fragments of the files in dir.
func fragmentsOf(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		df, err := readDICOMFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		n += len(df.Pixels.Fragments)
	}
	return n
}

// BenchmarkCodecs decodes one 512x512 CT frame of each syntax from memory into HU (codec and HU
// conversion, no file reading); bench/codecs.sh compares whole folders with gdcmconv.
func BenchmarkCodecs(b *testing.B) {
	gdcmconv := testenv.Tool(b, "gdcmconv")
	fs := makeFixtures(b, b.TempDir())
	for _, sx := range []struct{ name, args string }{
		{"jpeg-lossless-sv1", "-J"}, {"jpeg2000-lossless", "-K"}, {"jpeg2000-lossy-r10", "-K -Y -r 10"},
		{"jpeg-ls-lossless", "-L"}, {"jpeg-ls-near3", "-L -Y -e 3"}, {"rle", "-R"},
	} {
		out := filepath.Join(fs.dir, "bench-"+sx.name)
		encodeAll(b, fs.ref["s16"], out, gdcmconv, strings.Fields(sx.args)...)
		ents, err := os.ReadDir(out)
		if err != nil {
			b.Fatal(err)
		}
		df, err := readDICOMFile(filepath.Join(out, ents[0].Name()))
		if err != nil {
			b.Fatal(err)
		}
		frames, err := imageFrames(df)
		if err != nil {
			b.Fatal(err)
		}
		cf, err := assembleFrames(df, 1)
		if err != nil {
			b.Fatal(err)
		}
		fr := frames[0]
		dst := make([]int16, fr.Format.Rows*fr.Format.Cols)
		var raw []byte
		b.Run(sx.name, func(b *testing.B) {
			b.SetBytes(int64(2 * len(dst)))
			for i := 0; i < b.N; i++ {
				if raw, err = decodeFrame(df.Path, df.TransferSyntax, cf[0], fr.Format, raw); err != nil {
					b.Fatal(err)
				}
				decodeHU(dst, raw, fr.Format, binary.LittleEndian, fr.Rescale)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
		})
	}
}
