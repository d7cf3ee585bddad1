package scan

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"liverseg/internal/testenv"
)

// openIRCAD7 is the series of IRCAD case 7 (151 slices) and its volume read by Load.
func openIRCAD7(t *testing.T) (*SeriesEntry, *Volume) {
	t.Helper()
	s, err := OpenSeries(context.Background(), ircad(t, "7", "PATIENT_DICOM"), "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// TestLoadProgressiveReadsWhileLoading reads every slice as soon as Loaded says it is in, while
// the workers still write the others (under -race this checks the memory model), and checks it
// against Load's volume; slices arrive out of volume order, outward from First.
func TestLoadProgressiveReadsWhileLoading(t *testing.T) {
	s, want := openIRCAD7(t)
	n := s.Slices()
	var mu sync.Mutex
	var order []int
	arrived := make(chan int, n)
	v, l, err := s.LoadProgressive(context.Background(), LoadOptions{First: 100, Workers: 3, Arrived: func(k int) {
		mu.Lock()
		order = append(order, k)
		mu.Unlock()
		arrived <- k
	}})
	if err != nil {
		t.Fatal(err)
	}
	checked := make([]bool, n)
	for range n {
		k := <-arrived
		if !l.Loaded(k) {
			t.Fatalf("slice %d arrived but Loaded says no (SliceErr %v)", k, l.SliceErr(k))
		}
		if !slices.Equal(v.Slice(k), want.Slice(k)) {
			t.Fatalf("slice %d differs from Load's while loading", k)
		}
		checked[k] = true
		// Every slice Loaded reports, not only the one that just arrived, is whole.
		for j := range n {
			if l.Loaded(j) && !checked[j] && !slices.Equal(v.Slice(j), want.Slice(j)) {
				t.Fatalf("slice %d is Loaded but differs from Load's", j)
			}
		}
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !l.Complete() || !slices.Equal(v.Voxels, want.Voxels) {
		t.Fatal("the progressive volume differs from Load's")
	}
	if done, failed := l.Progress(); done != n || failed != 0 {
		t.Errorf("progress %d done, %d failed; want %d, 0", done, failed, n)
	}
	// The three workers take slices outward from 100 (100, 101, 99, 102, 98...): the slice taken
	// at step p arrives no earlier than p-2 (two other workers may hold slices taken before it).
	var outward []int
	for d := 0; len(outward) < n; d++ {
		for _, k := range []int{100 + d, 100 - d} {
			if k >= 0 && k < n && !slices.Contains(outward, k) {
				outward = append(outward, k)
			}
		}
	}
	for i, k := range order {
		if p := slices.Index(outward, k); p > i+2 {
			t.Errorf("slice %d arrived %dth, ahead of its turn (%dth) outward from 100", k, i+1, p+1)
		}
	}
	if i := slices.Index(order, 0); i < n/2 {
		t.Errorf("slice 0 arrived %dth, before slices nearer to 100", i+1)
	}
}

// TestLoadProgressiveWant: a slice asked for is decoded next, ahead of the queue.
func TestLoadProgressiveWant(t *testing.T) {
	s, want := openIRCAD7(t)
	var mu sync.Mutex
	var order []int
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	v, l, err := s.LoadProgressive(context.Background(), LoadOptions{First: 0, Workers: 1, Arrived: func(k int) {
		select {
		case started <- struct{}{}:
			<-gate // the first slice waits until Want has been said
		default:
		}
		mu.Lock()
		order = append(order, k)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	l.Want(140)
	l.Want(120)
	l.Want(0) // in already: nothing to do
	close(gate)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Slice 0 was taken before the Wants; then the latest wanted, then the one before it.
	if !slices.Equal(order[:4], []int{0, 120, 140, 1}) {
		t.Errorf("arrival order starts %v, want 0 120 140 1", order[:4])
	}
	if !slices.Equal(v.Voxels, want.Voxels) {
		t.Error("volume differs from Load's")
	}
}

// TestLoadProgressiveFailedSlice: a file truncated and another removed between discovery and
// load; their slices are marked failed with errors naming the files, every other slice is read,
// and Load fails naming the file.
func TestLoadProgressiveFailedSlice(t *testing.T) {
	dir := t.TempDir()
	names := []string{"image_10", "image_11", "image_12", "image_13", "image_14", "image_15", "image_16"}
	copySlices(t, "7", dir, names...)
	cat := discover(t, dir)
	if len(cat.Series) != 1 || cat.Series[0].Slices() != len(names) {
		t.Fatalf("series %+v", cat.Series)
	}
	s := cat.Series[0]
	truncated := filepath.Join(dir, "image_12")
	b, _ := os.ReadFile(truncated)
	if err := os.WriteFile(truncated, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	removed := filepath.Join(dir, "image_15")
	if err := os.Remove(removed); err != nil {
		t.Fatal(err)
	}
	sliceOf := func(file string) int { return slices.Index(s.Series.Files, file) }

	v, l, err := s.LoadProgressive(context.Background(), LoadOptions{First: 3})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Wait(context.Background())
	var se *SlicesError
	if !errors.As(err, &se) || !slices.Equal(se.Slices, []int{sliceOf(truncated), sliceOf(removed)}) || se.Total != len(names) {
		t.Fatalf("err = %v, want the slices of image_12 and image_15 failed", err)
	}
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want it to wrap ErrTruncated and fs.ErrNotExist", err)
	}
	for k, f := range s.Series.Files {
		serr := l.SliceErr(k)
		switch f {
		case truncated, removed:
			if l.Loaded(k) || serr == nil || !strings.Contains(serr.Error(), f) {
				t.Errorf("slice %d (%s): loaded %v, error %v; want failed, naming the file", k, f, l.Loaded(k), serr)
			}
		default:
			if !l.Loaded(k) || serr != nil {
				t.Errorf("slice %d (%s): loaded %v, error %v; want read", k, f, l.Loaded(k), serr)
			}
			if slices.Equal(v.Slice(k), make([]int16, v.SliceLen())) {
				t.Errorf("slice %d is all zero", k)
			}
		}
	}
	if l.Complete() {
		t.Error("Complete with two slices failed")
	}
	if _, err := s.Load(context.Background(), nil); !errors.Is(err, ErrTruncated) && !errors.Is(err, fs.ErrNotExist) ||
		err != nil && !strings.Contains(err.Error(), "image_1") {
		t.Errorf("Load: err = %v, want the first failed file's error", err)
	}
}

// TestMultiFrameClaimsMoreFrames: a multi-frame file whose NumberOfFrames is larger than its
// pixel data is named at discovery and the series beside it is read; the same file cut after
// discovery fails only the frames it lost.
func TestMultiFrameClaimsMoreFrames(t *testing.T) {
	src, err := os.ReadFile(testenv.Data(t, "formats", "dcmqi", "24x38x3", "multiframe", "mf.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	// (0028,0008) NumberOfFrames IS "3" becomes "5": the pixel data holds three.
	i := bytes.Index(src, []byte{0x28, 0x00, 0x08, 0x00, 'I', 'S', 0x02, 0x00, '3'})
	if i < 0 {
		t.Fatal("no NumberOfFrames \"3\" in mf.dcm")
	}
	t.Run("claims more at discovery", func(t *testing.T) {
		dir := t.TempDir()
		copySlices(t, "7", filepath.Join(dir, "ct"), "image_10", "image_11", "image_12")
		b := append([]byte(nil), src...)
		b[i+8] = '5'
		bad := filepath.Join(dir, "mf.dcm")
		if err := os.WriteFile(bad, b, 0o644); err != nil {
			t.Fatal(err)
		}
		cat := discover(t, dir)
		if len(cat.Problems) != 1 || !errors.Is(cat.Problems[0], ErrTruncated) || !strings.Contains(cat.Problems[0].Error(), bad) ||
			!strings.Contains(cat.Problems[0].Error(), "24x38x5") {
			t.Fatalf("problems %v, want mf.dcm named: 5 frames declared, fewer held", cat.Problems)
		}
		if len(cat.Series) != 1 || cat.Series[0].Slices() != 3 {
			t.Fatalf("series %+v, want the three CT slices beside it", cat.Series)
		}
		if _, err := cat.Series[0].Load(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("cut between discovery and load", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "mf.dcm")
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		cat := discover(t, dir)
		if len(cat.Series) != 1 || cat.Series[0].Slices() != 3 {
			t.Fatalf("series %+v, want 3 frames", cat.Series)
		}
		s := cat.Series[0]
		want, err := s.Load(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Keep the first frame only (frames are 24x38x2 bytes, at the end of the file).
		frame := 24 * 38 * 2
		if err := os.WriteFile(p, src[:len(src)-2*frame], 0o644); err != nil {
			t.Fatal(err)
		}
		v, l, err := s.LoadProgressive(context.Background(), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = l.Wait(context.Background())
		var se *SlicesError
		if !errors.As(err, &se) || len(se.Slices) != 2 || !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v, want two frames of mf.dcm truncated", err)
		}
		for k := range 3 {
			first := s.Series.FrameNumbers[k] == 1
			if l.Loaded(k) != first {
				t.Errorf("slice %d (frame %d): loaded %v", k, s.Series.FrameNumbers[k], l.Loaded(k))
			}
			if first && !slices.Equal(v.Slice(k), want.Slice(k)) {
				t.Errorf("slice %d (frame 1) differs from the whole file's", k)
			}
		}
	})
}

// TestLoadProgressiveCancel: cancelling stops the load; Err is the context's.
func TestLoadProgressiveCancel(t *testing.T) {
	s, err := OpenSeries(context.Background(), ircad(t, "7", "PATIENT_DICOM"), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, l, err := s.LoadProgressive(ctx, LoadOptions{Workers: 1, Arrived: func(int) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if done, _ := l.Progress(); done >= s.Slices() {
		t.Errorf("%d slices done after cancelling at the first", done)
	}
	_, l, err = s.LoadProgressive(context.Background(), LoadOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	l.Cancel()
	if err := l.Wait(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Cancel: err = %v, want context.Canceled", err)
	}
}
