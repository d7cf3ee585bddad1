package workspace

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"liverseg/scan"
)

// testVolume is a small CT with a real geometry, so that the NIfTI writer and reader accept it.
func testVolume(dims [3]int) *scan.Volume {
	v := &scan.Volume{
		Voxels:    make([]int16, dims[0]*dims[1]*dims[2]),
		Dims:      dims,
		Spacing:   [3]float64{0.75, 0.75, 2.5},
		Origin:    [3]float64{-100, -120, 30},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
	for i := range v.Voxels {
		v.Voxels[i] = int16(i%400 - 100)
	}
	return v
}

// testMask has a block of liver whose place depends on seed, so versions differ.
func testMask(dims [3]int, seed int) *scan.Mask {
	m := scan.NewMask(dims)
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				if ((i+1)*(j+2)*(k+3)+seed*13)%7 < 3 {
					m.SetIJK(i, j, k, scan.Liver)
				}
			}
		}
	}
	return m
}

func addCase(t testing.TB, w *Workspace, uid string) *Case {
	t.Helper()
	c, err := w.EnsureCase(context.Background(), Case{SeriesPath: "/data/" + uid, SeriesUID: uid, Patient: "Test^Patient"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLabelVersions(t *testing.T) {
	ctx := context.Background()
	w, _ := openTest(t)
	dims := [3]int{7, 5, 4}
	ref := testVolume(dims)
	c := addCase(t, w, "1.1")
	other := addCase(t, w, "1.2")

	if _, err := w.LatestLabel(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("latest of a case without labels: %v", err)
	}
	before := time.Now().Add(-time.Second)
	v1, err := w.SaveLabel(ctx, c.ID, ref, testMask(dims, 0), OriginModel, 0, "m-2026-11", "")
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Parent != 0 || v1.Origin != OriginModel || v1.Model != "m-2026-11" ||
		v1.Path != filepath.Join(w.Dir, "labels", c.ID, "1.nii.gz") || v1.Created.Before(before) {
		t.Fatalf("v1 %+v", v1)
	}
	v2, err := w.SaveLabel(ctx, c.ID, ref, testMask(dims, 1), OriginManual, 1, "", "dr.a")
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Parent != 1 || v2.Author != "dr.a" {
		t.Fatalf("v2 %+v", v2)
	}
	// versions count per case
	o1, err := w.SaveLabel(ctx, other.ID, ref, testMask(dims, 2), OriginImported, 0, "", "importer")
	if err != nil || o1.Version != 1 {
		t.Fatalf("other case's first version: %+v %v", o1, err)
	}

	// refusals
	if _, err := w.SaveLabel(ctx, c.ID, ref, testMask(dims, 0), "guess", 0, "", ""); !errors.Is(err, ErrBadOrigin) {
		t.Errorf("bad origin: %v", err)
	}
	if _, err := w.SaveLabel(ctx, "nope", ref, testMask(dims, 0), OriginManual, 0, "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
	if _, err := w.SaveLabel(ctx, c.ID, ref, testMask(dims, 0), OriginManual, 9, "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown parent: %v", err)
	}
	if _, err := w.SaveLabel(ctx, c.ID, ref, testMask([3]int{7, 5, 3}, 0), OriginManual, 0, "", ""); !errors.Is(err, scan.ErrGeometry) {
		t.Errorf("mask of other dimensions: %v", err)
	}
	if _, err := w.LabelVersion(ctx, c.ID, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("version 3 after refusals: %v", err)
	}
	if _, err := w.LoadLabel(ctx, c.ID, 7, ref); !errors.Is(err, ErrNotFound) {
		t.Errorf("loading an unknown version: %v", err)
	}
	// nothing half-written left in the folder
	entries, _ := os.ReadDir(w.LabelDir(c.ID))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) != 2 || names[0] != "1.nii.gz" || names[1] != "2.nii.gz" {
		t.Errorf("label folder holds %v", names)
	}

	// read back from the file after reopening
	w = reopen(t, w)
	vs, err := w.LabelVersions(ctx, c.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions %v %v", vs, err)
	}
	if *vs[0] != *v1 || *vs[1] != *v2 {
		t.Fatalf("read back\n%+v\n%+v\nwant\n%+v\n%+v", vs[0], vs[1], v1, v2)
	}
	latest, err := w.LatestLabel(ctx, c.ID)
	if err != nil || latest.Version != 2 {
		t.Fatalf("latest %+v %v", latest, err)
	}
	for version, seed := range map[int]int{1: 0, 2: 1, 0: 1} {
		m, err := w.LoadLabel(ctx, c.ID, version, ref)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Equal(testMask(dims, seed)) {
			t.Errorf("version %d: voxels differ from what was saved", version)
		}
	}
	// the reader checks the geometry against the volume it is loaded for
	moved := testVolume(dims)
	moved.Origin[0] += 50
	if _, err := w.LoadLabel(ctx, c.ID, 1, moved); !errors.Is(err, scan.ErrGeometry) {
		t.Errorf("a label loaded onto another geometry: %v", err)
	}
	// a missing file is an error naming it
	os.Remove(v1.Path)
	if _, err := w.LoadLabel(ctx, c.ID, 1, ref); err == nil || !bytes.Contains([]byte(err.Error()), []byte(v1.Path)) {
		t.Errorf("missing file: %v", err)
	}
}

// Two handles on one folder (two processes) saving at once each get their own version numbers and
// files: none is lost or overwritten.
func TestSaveLabelConcurrent(t *testing.T) {
	ctx := context.Background()
	w1, dir := openTest(t)
	w2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	dims := [3]int{4, 4, 2}
	ref := testVolume(dims)
	c := addCase(t, w1, "2.1")
	const n = 8
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		w := w1
		if i%2 == 1 {
			w = w2
		}
		go func(i int) {
			_, err := w.SaveLabel(ctx, c.ID, ref, testMask(dims, i), OriginManual, 0, "", "author"+string(rune('a'+i)))
			errs <- err
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	vs, err := w1.LabelVersions(ctx, c.ID)
	if err != nil || len(vs) != n {
		t.Fatalf("%d versions, %v", len(vs), err)
	}
	for i, v := range vs {
		if v.Version != i+1 {
			t.Fatalf("versions %d at %d", v.Version, i)
		}
		// each file holds the mask of the author recorded with it
		m, err := w1.LoadLabel(ctx, c.ID, v.Version, ref)
		if err != nil {
			t.Fatal(err)
		}
		seed := int(v.Author[len(v.Author)-1] - 'a')
		if !m.Equal(testMask(dims, seed)) {
			t.Errorf("version %d by %s holds another mask", v.Version, v.Author)
		}
	}
}
