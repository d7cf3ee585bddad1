package inference

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"sync"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
)

// phantom is a small CT-like volume: air, a body ellipse of fat and muscle, and a brighter
// "organ" blob off centre, so that its orientation matters.
func phantom(dims [3]int) *scan.Volume {
	v := &scan.Volume{
		Voxels:    make([]int16, dims[0]*dims[1]*dims[2]),
		Dims:      dims,
		Spacing:   [3]float64{0.8, 0.8, 2.5},
		Origin:    [3]float64{-20, -16, 100},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
	r := rand.New(rand.NewSource(7))
	cx, cy := float64(dims[0])/2, float64(dims[1])/2
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				x, y := (float64(i)-cx)/(0.45*float64(dims[0])), (float64(j)-cy)/(0.4*float64(dims[1]))
				hu := -1000.0
				if x*x+y*y < 1 {
					hu = -80
					ox, oy, oz := float64(i)-0.3*float64(dims[0]), float64(j)-0.4*float64(dims[1]), float64(k)-0.6*float64(dims[2])
					if ox*ox/40+oy*oy/30+oz*oz/6 < 1 {
						hu = 70
					}
				}
				v.Voxels[v.Index(i, j, k)] = int16(hu + r.NormFloat64()*15)
			}
		}
	}
	return v
}

// reorient stores the same patient with the volume axes permuted and flipped: new axis a is old
// axis perm[a], reversed where flip[a]. It returns the new volume and, for each new voxel
// offset, the old one.
func reorient(v *scan.Volume, perm [3]int, flip [3]bool) (*scan.Volume, []int) {
	var dims [3]int
	for a := 0; a < 3; a++ {
		dims[a] = v.Dims[perm[a]]
	}
	nv := &scan.Volume{Voxels: make([]int16, v.Len()), Dims: dims, Series: v.Series}
	for a := 0; a < 3; a++ {
		nv.Spacing[a] = v.Spacing[perm[a]]
		for c := 0; c < 3; c++ {
			nv.Direction[a][c] = v.Direction[perm[a]][c]
			if flip[a] {
				nv.Direction[a][c] = -nv.Direction[a][c]
			}
		}
	}
	old := func(i [3]int) [3]int {
		var o [3]int
		for a := 0; a < 3; a++ {
			o[perm[a]] = i[a]
			if flip[a] {
				o[perm[a]] = dims[a] - 1 - i[a]
			}
		}
		return o
	}
	o0 := old([3]int{0, 0, 0})
	nv.Origin = v.Position(float64(o0[0]), float64(o0[1]), float64(o0[2]))
	back := make([]int, v.Len())
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				o := old([3]int{i, j, k})
				oi := v.Index(o[0], o[1], o[2])
				ni := nv.Index(i, j, k)
				nv.Voxels[ni] = v.Voxels[oi]
				back[ni] = oi
			}
		}
	}
	return nv, back
}

// TestReorientHelper: the helper keeps every voxel at its patient position.
func TestReorientHelper(t *testing.T) {
	v := phantom([3]int{6, 5, 4})
	nv, back := reorient(v, [3]int{2, 0, 1}, [3]bool{true, false, true})
	for k := 0; k < nv.Dims[2]; k++ {
		for j := 0; j < nv.Dims[1]; j++ {
			for i := 0; i < nv.Dims[0]; i++ {
				o := back[nv.Index(i, j, k)]
				p := nv.Position(float64(i), float64(j), float64(k))
				q := v.Position(float64(o%6), float64(o/6%5), float64(o/30))
				for a := 0; a < 3; a++ {
					if math.Abs(p[a]-q[a]) > 1e-9 {
						t.Fatalf("voxel %d,%d,%d at %v, was at %v", i, j, k, p, q)
					}
				}
			}
		}
	}
}

// TestInputCache: the cache of resized slices changes nothing, in any order of slices.
func TestInputCache(t *testing.T) {
	v := phantom([3]int{20, 17, 9})
	c := Contract{Channels: 5, WindowLow: -200, WindowHigh: 300, InputH: 12, InputW: 16, Orientation: "LPS", Threshold: 0.5}
	reused, _ := NewPreprocessor(c, v)
	got := make([]float32, reused.InputLen())
	want := make([]float32, reused.InputLen())
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 40; n++ {
		k := r.Intn(reused.Slices())
		if n%3 == 0 {
			k = (k + 1) % reused.Slices()
		}
		reused.Input(k, got)
		fresh, _ := NewPreprocessor(c, v)
		fresh.cache = nil
		fresh.Input(k, want)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("slice %d: cached input differs at %d", k, i)
			}
		}
	}
}

// TestSegmentEveryOrientation: the same patient stored head first, with flipped rows,
// transposed, or as sagittal or coronal slices gives the same probability and mask at every
// patient position.
func TestSegmentEveryOrientation(t *testing.T) {
	lib := testLibrary(t)
	p, c := stampedUNet(t, 3, 4, 32, "--levels", "2", "--gain", "20")
	m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCPU, Threads: 2, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v := phantom([3]int{48, 40, 11})
	mask0, prob0, tm, err := Segment(context.Background(), m, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tm.Batches != 3 || tm.BatchSize != 4 {
		t.Fatalf("timings %+v: want 3 batches of 4", tm)
	}
	dense0 := prob0.Voxels()
	lo, hi := 255, 0
	for _, x := range dense0 {
		lo, hi = min(lo, int(x)), max(hi, int(x))
	}
	liver := int(mask0.Count())
	t.Logf("contract %s; probabilities %d..%d; %d of %d voxels liver", c, lo, hi, liver, mask0.Len())
	if hi-lo < 100 || liver == 0 || liver == mask0.Len() {
		t.Fatal("a flat probability map or a trivial mask tests nothing")
	}
	cases := []struct {
		name string
		perm [3]int
		flip [3]bool
	}{
		{"head first", [3]int{0, 1, 2}, [3]bool{false, false, true}},
		{"rows flipped", [3]int{0, 1, 2}, [3]bool{false, true, false}},
		{"columns flipped", [3]int{0, 1, 2}, [3]bool{true, false, false}},
		{"transposed", [3]int{1, 0, 2}, [3]bool{false, false, false}},
		{"sagittal", [3]int{1, 2, 0}, [3]bool{false, true, false}},
		{"coronal", [3]int{0, 2, 1}, [3]bool{false, true, true}},
		{"all flipped", [3]int{2, 1, 0}, [3]bool{true, true, true}},
	}
	// The overlapped pipeline (CUDA's) gives the very same map.
	m.overlapOnCPU = true
	_, probO, tmO, err := Segment(context.Background(), m, v, nil)
	m.overlapOnCPU = false
	if err != nil {
		t.Fatal(err)
	}
	if !tmO.Overlap || tmO.Batches != 3 || string(probO.Voxels()) != string(dense0) {
		t.Fatalf("overlapped pipeline: %+v, same map %v", tmO, string(probO.Voxels()) == string(dense0))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nv, back := reorient(v, tc.perm, tc.flip)
			mask, prob, _, err := Segment(context.Background(), m, nv, nil)
			if err != nil {
				t.Fatal(err)
			}
			if mask.Dims != nv.Dims || prob.Dims != nv.Dims {
				t.Fatalf("dims %v %v, volume %v", mask.Dims, prob.Dims, nv.Dims)
			}
			dense := prob.Voxels()
			for ni, oi := range back {
				if d := int(dense[ni]) - int(dense0[oi]); d < -1 || d > 1 {
					t.Fatalf("probability at voxel %d: %d, stored axially %d", ni, dense[ni], dense0[oi])
				}
				if mask.At(ni) != mask0.At(oi) && dense0[oi] != 127 && dense0[oi] != 128 {
					t.Fatalf("mask at voxel %d differs", ni)
				}
			}
		})
	}
}

// TestSegmentCancel: a cancelled context stops Segment with context.Canceled, and progress
// counts slices.
func TestSegmentCancel(t *testing.T) {
	lib := testLibrary(t)
	p, _ := stampedUNet(t, 3, 4, 32, "--levels", "2")
	m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCPU, Threads: 1, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v := phantom([3]int{40, 40, 9})
	ctx, cancel := context.WithCancel(context.Background())
	var calls [][2]int
	_, _, _, err = Segment(ctx, m, v, func(done, total int) {
		calls = append(calls, [2]int{done, total})
		if done >= 4 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if len(calls) != 3 || calls[0] != [2]int{0, 9} || calls[2] != [2]int{4, 9} {
		t.Fatalf("progress %v", calls)
	}
	// The overlapped pipeline stops too, and leaves no goroutine blocked.
	m.overlapOnCPU = true
	ctx, cancel = context.WithCancel(context.Background())
	var mu sync.Mutex
	_, _, _, err = Segment(ctx, m, v, func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done >= 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("overlapped: err %v, want context.Canceled", err)
	}
}

// BenchmarkSegmentIRCAD7: the whole Segment of IRCAD case 7 (151 slices of 512x512) with a
// small U-Net (base 4, 3 levels, input 96): what is not the network (pre-processing, restoring,
// post-processing) shows in a profile. Needs LIVERSEG_DATA.
func BenchmarkSegmentIRCAD7(b *testing.B) {
	series := testenv.IRCAD(b, 7, "PATIENT_DICOM")
	lib := testLibrary(b)
	s, err := scan.OpenSeries(context.Background(), series, "")
	if err != nil {
		b.Fatal(err)
	}
	v, err := s.Load(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := stampedUNet(b, 3, 4, 96, "--levels", "3", "--gain", "20")
	m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCPU})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	b.ResetTimer()
	var tm Timings
	for n := 0; n < b.N; n++ {
		_, _, tm, err = Segment(context.Background(), m, v, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(tm.Preprocess, "pre_s")
	b.ReportMetric(tm.Run, "run_s")
	b.ReportMetric(tm.Restore, "restore_s")
	b.ReportMetric(tm.Post, "post_s")
}

// TestSegmentFixedBatch: a model exported with a fixed batch (no dynamic N) runs in batches of
// exactly that size, the last one padded, and gives what the same weights with a dynamic batch
// give.
func TestSegmentFixedBatch(t *testing.T) {
	lib := testLibrary(t)
	dyn, _ := stampedUNet(t, 3, 4, 32, "--levels", "2", "--gain", "20")
	fixed, _ := stampedUNet(t, 3, 4, 32, "--levels", "2", "--gain", "20", "--fixed-batch", "4")
	v := phantom([3]int{48, 40, 9})
	var probs [][]uint8
	for _, p := range []string{dyn, fixed} {
		m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCPU, Threads: 2, BatchSize: 8})
		if err != nil {
			t.Fatal(err)
		}
		_, prob, tm, err := Segment(context.Background(), m, v, nil)
		m.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if p == fixed && (tm.BatchSize != 4 || tm.Batches != 3) {
			t.Fatalf("fixed batch: %+v, want 3 batches of 4", tm)
		}
		probs = append(probs, prob.Voxels())
	}
	for i := range probs[0] {
		if d := int(probs[0][i]) - int(probs[1][i]); d < -1 || d > 1 {
			t.Fatalf("voxel %d: dynamic %d, fixed %d", i, probs[0][i], probs[1][i])
		}
	}
}
