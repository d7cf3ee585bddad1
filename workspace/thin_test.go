package workspace

// Thin series (issue 24): the autosave snapshot and a saved version at 151 and 1000 slices of
// 512x512, with a liver-sized label kept compactly; what they allocate must not grow with the
// volume, and the labels written at 1000 slices read back voxel for voxel.

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"liverseg/scan"
	"liverseg/scan/labels"
)

// thinDims is a 512x512 CT of n slices, as a liver protocol reconstructed at 0.5-1 mm gives.
func thinDims(n int) [3]int { return [3]int{512, 512, n} }

// thinVolume is a CT of dims placed in the patient (0.7 mm pixels, a 150-slice extent of 1.5 mm
// spread over dims[2] slices). It has no HU: the label writers and readers use its geometry only,
// and a 1000-slice HU array would cost the test 524 MB for nothing.
func thinVolume(dims [3]int) *scan.Volume {
	return &scan.Volume{
		Dims:      dims,
		Spacing:   [3]float64{0.7, 0.7, 1.5 * 150 / float64(dims[2])},
		Origin:    [3]float64{-180, -200, 40},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
}

// liverBlob is a label of dims that fills what a liver fills: an ellipsoid over the slices from
// 15% to 75% of the series, up to 230x190 voxels across, its centre off the middle and drifting
// with the slice so that no flip of an axis maps it onto itself (about 7% of the volume).
func liverBlob(dims [3]int) *scan.Mask {
	m := scan.NewMask(dims)
	plane := make([]uint8, dims[0]*dims[1])
	k0, k1 := dims[2]*15/100, dims[2]*75/100
	for k := k0; k < k1; k++ {
		z := 2*float64(k-k0)/float64(k1-k0) - 1 // -1 .. 1 across the blob
		s := 1 - z*z
		ci := 180 + 60*float64(k-k0)/float64(k1-k0)
		cj := 230.0
		ri, rj := 115*s, 95*s
		clear(plane)
		for j := range dims[1] {
			dj := (float64(j) - cj) / rj
			for i := range dims[0] {
				di := (float64(i) - ci) / ri
				if di*di+dj*dj <= 1 {
					plane[j*dims[0]+i] = scan.Liver
				}
			}
		}
		m.SetSlice(k, plane)
	}
	return m
}

// skipSlow skips a test that takes a second or two, and ten times as long under the race detector
// (which it does not need: it starts no goroutine), under -short and -race.
func skipSlow(t *testing.T, why string) {
	t.Helper()
	if testing.Short() || raceDetector {
		t.Skip(why + ": not under -short or -race")
	}
}

// allocated is the bytes f allocates (every goroutine's, so nothing else may run meanwhile).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A checkpoint of a 1000-slice label allocates a slice's buffers (the compressor, the file's
// buffer, one dense slice), not the label: the snapshot streams, and the same figure holds at 151
// slices.
func TestCheckpointAllocatesNoVolume(t *testing.T) {
	skipSlow(t, "writes a 262 MB label through gzip")
	w, _ := openTest(t)
	for _, n := range []int{151, 1000} {
		dims := thinDims(n)
		m := liverBlob(dims)
		a, err := w.OpenAutosave(fmt.Sprintf("thin%d", n), 0, dims)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Checkpoint(m); err != nil { // the first one makes the compressor
			t.Fatal(err)
		}
		var cerr error
		start := time.Now()
		got := allocated(func() { cerr = a.Checkpoint(m) })
		took := time.Since(start)
		if cerr != nil {
			t.Fatal(cerr)
		}
		a.Close()
		t.Logf("%d slices: checkpoint %.0f ms, %.2f MB allocated (label %.1f MB kept, %.0f MB dense)",
			n, took.Seconds()*1000, float64(got)/1e6, float64(m.Bytes())/1e6, float64(m.Len())/1e6)
		// 4 MB: a dense slice is 0.26 MB, the file's buffer 1 MB; the label is 262 MB dense.
		if got > 4<<20 {
			t.Errorf("%d slices: a checkpoint allocated %d bytes", n, got)
		}
	}
}

// The label of a 1000-slice series goes out as NIfTI (a saved version) and as DICOM SEG, and both
// read back voxel for voxel.
func TestThinLabelRoundTrip(t *testing.T) {
	skipSlow(t, "writes and reads a 1000-slice label twice")
	ctx := context.Background()
	w, dir := openTest(t)
	dims := thinDims(1000)
	ref := thinVolume(dims)
	want := liverBlob(dims)
	c := addCase(t, w, "1.2.840.24.1000")

	start := time.Now()
	lv, err := w.SaveLabel(ctx, c.ID, ref, want, OriginManual, 0, "", "thin")
	if err != nil {
		t.Fatal(err)
	}
	niiWrite := time.Since(start)
	start = time.Now()
	got, err := w.LoadLabel(ctx, c.ID, lv.Version, ref)
	if err != nil {
		t.Fatal(err)
	}
	niiRead := time.Since(start)
	if !got.Equal(want) {
		t.Errorf("NIfTI %s: the label read back differs (%d voxels, wrote %d)", lv.Path, got.Count(), want.Count())
	}

	seg := filepath.Join(dir, "thin.dcm")
	start = time.Now()
	if err := scan.WriteSEG(seg, ref, want, scan.LabelMeta{Description: "thin round trip"}); err != nil {
		t.Fatal(err)
	}
	segWrite := time.Since(start)
	start = time.Now()
	got, err = labels.LoadAs(seg, labels.FormatSEG, ref, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	segRead := time.Since(start)
	if !got.Equal(want) {
		t.Errorf("SEG %s: the label read back differs (%d voxels, wrote %d)", seg, got.Count(), want.Count())
	}
	t.Logf("%s, %d liver voxels: NIfTI write %.2f s, read %.2f s; SEG write %.2f s, read %.2f s",
		scan.DimsString(dims), want.Count(), niiWrite.Seconds(), niiRead.Seconds(), segWrite.Seconds(), segRead.Seconds())
}

// BenchmarkCheckpoint is the autosave snapshot of a liver-sized label (ms and bytes per op; they
// should grow no faster than the slices).
func BenchmarkCheckpoint(b *testing.B) {
	for _, n := range []int{151, 1000} {
		b.Run(fmt.Sprintf("slices=%d", n), func(b *testing.B) {
			w, _ := openTest(b)
			dims := thinDims(n)
			m := liverBlob(dims)
			a, err := w.OpenAutosave("c1", 0, dims)
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Checkpoint(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSaveLabel is saving a liver-sized label as a new version (NIfTI written, recorded).
func BenchmarkSaveLabel(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{151, 1000} {
		b.Run(fmt.Sprintf("slices=%d", n), func(b *testing.B) {
			w, _ := openTest(b)
			dims := thinDims(n)
			ref, m := thinVolume(dims), liverBlob(dims)
			c := addCase(b, w, "1.2.840.24.1")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.SaveLabel(ctx, c.ID, ref, m, OriginManual, 0, "", "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
