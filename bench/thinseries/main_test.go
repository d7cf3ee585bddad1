package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
)

// TestFewerSlices (issue 24, item 1): case 7 resampled to 76 slices (fewer than its 151) through
// the command: each slice the linear interpolation in HU of the two source slices around its
// position, the same first and last positions, and a mask that loads onto it.
func TestFewerSlices(t *testing.T) {
	ctx := context.Background()
	srcDir, maskDir := testenv.IRCAD(t, 7, "PATIENT_DICOM"), testenv.IRCAD(t, 7, "MASKS_DICOM", "liver")
	out := filepath.Join(t.TempDir(), "thin76")
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"--series", srcDir, "--mask", maskDir, "--slices", "76", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "76 slices, 3.2 mm apart (source 1.6 mm)") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	src, err := scan.LoadVolume(ctx, srcDir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	thin, err := scan.LoadVolume(ctx, filepath.Join(out, "PATIENT_DICOM"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := [3]int{512, 512, 76}; thin.Dims != want {
		t.Fatalf("dims %v, want %v", thin.Dims, want)
	}
	// IRCAD's slices are axial: the position's z is the coordinate along the slices.
	sp := src.Series.Positions
	first, last := sp[0][2], sp[len(sp)-1][2]
	for k, p := range thin.Series.Positions {
		want := first + float64(k)*(last-first)/75
		if math.Abs(p[2]-want) > 1e-4 {
			t.Fatalf("slice %d at z %g mm, want %g", k, p[2], want)
		}
		j := min(int((want-first)/(sp[1][2]-sp[0][2])), len(sp)-2)
		f := (want - sp[j][2]) / (sp[j+1][2] - sp[j][2])
		a, b, got := src.Slice(j), src.Slice(j+1), thin.Slice(k)
		for i := range got {
			if hu := (1-f)*float64(a[i]) + f*float64(b[i]); math.Abs(float64(got[i])-hu) > 1 {
				t.Fatalf("slice %d voxel %d: %d HU, want %.2f (%.3f of the way from source slice %d to %d)", k, i, got[i], hu, f, j, j+1)
			}
		}
	}
	srcMask, err := scan.ReadMaskFolder(maskDir, src)
	if err != nil {
		t.Fatal(err)
	}
	thinMask, err := scan.ReadMaskFolder(filepath.Join(out, "MASKS_DICOM", "liver"), thin)
	if err != nil {
		t.Fatal(err)
	}
	// Every other source slice's mask, twice as thick: near the source's volume.
	srcML, thinML := scan.VolumeML(srcMask, src.VoxelVolumeML()), scan.VolumeML(thinMask, thin.VoxelVolumeML())
	t.Logf("liver %.1f ml, source %.1f ml", thinML, srcML)
	if srcML < 100 || math.Abs(thinML-srcML) > 0.02*srcML {
		t.Errorf("liver %.1f ml, source %.1f ml: want within 2%%", thinML, srcML)
	}
}

// TestUsage: a missing or impossible argument is a usage error (exit 2), a failure exit 1.
func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"--series", "s", "--out", "o"}, 2},
		{[]string{"--series", "s", "--slices", "1", "--out", "o"}, 2},
		{[]string{"--series", "s", "--slices", "x"}, 2},
		{[]string{"--series", filepath.Join(t.TempDir(), "none"), "--slices", "10", "--out", filepath.Join(t.TempDir(), "o")}, 1},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, want %d; stderr %s", tc.args, code, tc.code, stderr.String())
		}
	}
}
