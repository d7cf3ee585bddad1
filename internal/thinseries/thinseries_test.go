package thinseries

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"liverseg/internal/testenv"
	"liverseg/scan"
)

// TestDoubleIRCAD7 (issue 24, item 1): case 7 (151 slices, 1.6 mm) resampled to 301 slices puts a
// new slice on every source slice and one halfway between each pair: a 512x512x301 series 0.8
// mm apart over the same extent, whose even slices are the source's voxel for voxel and odd ones
// the mean of their neighbours; new UIDs; its mask loads onto it with the source's liver volume.
func TestDoubleIRCAD7(t *testing.T) {
	srcDir, srcMaskDir := testenv.IRCAD(t, 7, "PATIENT_DICOM"), testenv.IRCAD(t, 7, "MASKS_DICOM", "liver")
	res, src, thin := generate(t, Options{Series: srcDir, Mask: srcMaskDir, Slices: 301})
	if want := [3]int{512, 512, 301}; thin.Dims != want {
		t.Fatalf("dims %v, want %v", thin.Dims, want)
	}
	if len(thin.Warnings) > 0 {
		t.Errorf("warnings loading the thin series: %q", thin.Warnings)
	}
	if math.Abs(thin.Spacing[2]-src.Spacing[2]/2) > 1e-4 || math.Abs(res.Spacing-thin.Spacing[2]) > 1e-4 {
		t.Errorf("slice spacing %g mm (result says %g), want half of %g", thin.Spacing[2], res.Spacing, src.Spacing[2])
	}
	sp, tp := src.Series.Positions, thin.Series.Positions
	for _, c := range [][2][3]float64{{sp[0], tp[0]}, {sp[len(sp)-1], tp[len(tp)-1]}} {
		for i := range 3 {
			if math.Abs(c[0][i]-c[1][i]) > 1e-4 {
				t.Errorf("first or last position %v, source's %v", c[1], c[0])
			}
		}
	}
	for k := range thin.Dims[2] {
		got := thin.Slice(k)
		if k%2 == 0 {
			for i, v := range src.Slice(k / 2) {
				if got[i] != v {
					t.Fatalf("slice %d voxel %d: %d HU, source slice %d has %d", k, i, got[i], k/2, v)
				}
			}
			continue
		}
		a, b := src.Slice(k/2), src.Slice(k/2+1)
		for i := range got {
			if mean := (float64(a[i]) + float64(b[i])) / 2; math.Abs(float64(got[i])-mean) > 1 {
				t.Fatalf("slice %d voxel %d: %d HU, want the mean of %d and %d", k, i, got[i], a[i], b[i])
			}
		}
	}

	// New identity, the source's study.
	if thin.Series.SeriesUID == src.Series.SeriesUID || thin.Series.SeriesUID != res.SeriesUID {
		t.Errorf("series UID %s (result says %s), source's %s", thin.Series.SeriesUID, res.SeriesUID, src.Series.SeriesUID)
	}
	if thin.Series.StudyUID != src.Series.StudyUID {
		t.Errorf("study UID %s, want the source's %s", thin.Series.StudyUID, src.Series.StudyUID)
	}
	seen := map[string]bool{}
	for _, u := range src.Series.SOPInstanceUIDs {
		seen[u] = true
	}
	for k, u := range thin.Series.SOPInstanceUIDs {
		if seen[u] || !strings.HasPrefix(u, "2.25.") {
			t.Fatalf("slice %d: SOP Instance UID %q repeated or not new", k, u)
		}
		seen[u] = true
	}
	ds, err := dicom.ParseFile(thin.Series.Files[7], nil, dicom.SkipPixelData())
	if err != nil {
		t.Fatal(err)
	}
	if n, ts := intOf(ds, tag.InstanceNumber, -1), str(ds, tag.TransferSyntaxUID); n != 8 || ts != explicitLE {
		t.Errorf("slice 7: InstanceNumber %d, transfer syntax %s; want 8, %s", n, ts, explicitLE)
	}
	if loc, ok := float(ds, tag.SliceLocation); !ok || math.Abs(loc-tp[7][2]) > 1e-4 {
		t.Errorf("slice 7: SliceLocation %v (%v), want %g", loc, ok, tp[7][2])
	}
	if got, want := str(ds, tag.MediaStorageSOPInstanceUID), thin.Series.SOPInstanceUIDs[7]; got != want {
		t.Errorf("slice 7: meta SOP Instance UID %s, dataset's %s", got, want)
	}

	srcMask, err := scan.ReadMaskFolder(srcMaskDir, src)
	if err != nil {
		t.Fatal(err)
	}
	thinMask, err := scan.ReadMaskFolder(res.MaskDir, thin)
	if err != nil {
		t.Fatal(err)
	}
	if len(thinMask.Warnings) > 0 || res.MaskFiles != 301 {
		t.Errorf("mask: %d files written, warnings %q", res.MaskFiles, thinMask.Warnings)
	}
	srcML, thinML := scan.VolumeML(srcMask, src.VoxelVolumeML()), scan.VolumeML(thinMask, thin.VoxelVolumeML())
	t.Logf("liver %.1f ml, source %.1f ml", thinML, srcML)
	if srcML < 100 || math.Abs(thinML-srcML) > 0.01*srcML {
		t.Errorf("liver %.1f ml, source %.1f ml: want within 1%%", thinML, srcML)
	}

	// dicom3tools finds nothing wrong with a new slice (a coincident one, a blended one, a mask
	// file) that it does not find with its source file: IRCAD's headers have errors of their own
	// (no FrameOfReferenceUID, Manufacturer, KVP), which the slices keep.
	t.Run("dciodvfy", func(t *testing.T) {
		dciodvfy := testenv.Tool(t, "dciodvfy")
		for _, c := range [][2]string{
			{thin.Series.Files[2], src.Series.Files[1]},
			{thin.Series.Files[3], src.Series.Files[2]},
			{filepath.Join(res.MaskDir, "image_3"), filepath.Join(srcMaskDir, "image_2")},
		} {
			srcErrs := dciodvfyErrors(t, dciodvfy, c[1])
			for e := range dciodvfyErrors(t, dciodvfy, c[0]) {
				if !srcErrs[e] {
					t.Errorf("%s: %s (not in %s)", c[0], e, c[1])
				}
			}
		}
	})
}

// generate runs Generate on o into a temporary folder and loads the source series and the new one.
func generate(t *testing.T, o Options) (res *Result, src, thin *scan.Volume) {
	t.Helper()
	ctx := context.Background()
	o.Out = filepath.Join(t.TempDir(), "thin")
	res, err := Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if src, err = scan.LoadVolume(ctx, o.Series, "", nil); err != nil {
		t.Fatal(err)
	}
	if thin, err = scan.LoadVolume(ctx, res.SeriesDir, "", nil); err != nil {
		t.Fatal(err)
	}
	return res, src, thin
}

// dciodvfyErrors are the lines of dciodvfy's report on path that say Error.
func dciodvfyErrors(t *testing.T, dciodvfy, path string) map[string]bool {
	out, _ := exec.Command(dciodvfy, path).CombinedOutput() // exits nonzero on warnings
	if !strings.Contains(string(out), "CTImage") {
		t.Fatalf("dciodvfy did not check %s as a CT image:\n%s", path, out)
	}
	errs := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Error") {
			errs[l] = true
		}
	}
	return errs
}

// TestOutNotEmpty: a folder that holds anything is not written into, so that two runs never mix
// their series.
func TestOutNotEmpty(t *testing.T) {
	srcDir := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "stale"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(context.Background(), Options{Series: srcDir, Slices: 10, Out: out}); !errors.Is(err, ErrOut) {
		t.Fatalf("error %v, want ErrOut", err)
	}
}

// TestCompressedSource: a source in a compressed syntax (RLE Lossless: four slices of case 7
// re-encoded by GDCM) is decoded through scan/codec and written native: the 7-slice series has the
// source slices at its even slices, voxel for voxel, in Explicit VR Little Endian.
func TestCompressedSource(t *testing.T) {
	gdcmconv := testenv.Tool(t, "gdcmconv")
	ircad := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	srcDir := t.TempDir()
	for i := 60; i < 64; i++ {
		name := "image_" + strconv.Itoa(i)
		if out, err := exec.Command(gdcmconv, "--rle", filepath.Join(ircad, name), filepath.Join(srcDir, name)).CombinedOutput(); err != nil {
			t.Fatalf("gdcmconv: %v\n%s", err, out)
		}
	}
	_, src, thin := generate(t, Options{Series: srcDir, Slices: 7})
	if src.Series.TransferSyntax == explicitLE || thin.Series.TransferSyntax != explicitLE {
		t.Fatalf("transfer syntax %s from %s, want native from compressed", thin.Series.TransferSyntax, src.Series.TransferSyntax)
	}
	for k := 0; k < 7; k += 2 {
		if !slices.Equal(thin.Slice(k), src.Slice(k/2)) {
			t.Errorf("slice %d is not source slice %d", k, k/2)
		}
	}
}
