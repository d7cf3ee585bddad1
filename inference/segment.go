package inference

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"

	"liverseg/scan"
)

// Timings are the seconds each stage of Segment took. On CUDA the stages overlap (the next
// batch is prepared and the last one restored while the GPU runs), so that Infer is less than
// the sum of Preprocess, Run and Restore.
type Timings struct {
	Infer      float64 `json:"infer_s"`      // the whole inference: pre-processing, model, restoring
	Preprocess float64 `json:"preprocess_s"` // windowing, 2.5D channels, resizing to the input
	Run        float64 `json:"run_s"`        // the model itself (ONNX Runtime), all batches
	Restore    float64 `json:"restore_s"`    // sigmoid and resizing back into the probability map
	Post       float64 `json:"post_s"`       // threshold, largest component, hole filling
	Batches    int     `json:"batches"`
	BatchSize  int     `json:"batch_size"`
	Overlap    bool    `json:"overlap"` // stages overlapped (CUDA)
}

// Segment infers the liver of v with m: the one pipeline from a volume to a mask, which
// `liverseg segment`, the GUI and the training report all call. Batches of canonical (axial)
// slices go through Preprocessor.Input, the model, a sigmoid and Preprocessor.Restore into the
// probability map (a byte a voxel, kept sparse: scan.Prob); PostProcess then makes the mask. Memory beyond the mask and
// the probability map is bounded by the batch. progress (may be nil) gets the slices done.
func Segment(ctx context.Context, m *Model, v *scan.Volume, progress func(done, total int)) (*scan.Mask, *scan.Prob, Timings, error) {
	var tm Timings
	c := m.Contract()
	if err := c.CheckKind(KindAutomatic, m.Path()); err != nil {
		return nil, nil, tm, err
	}
	workers := runtime.GOMAXPROCS(0)
	pres := make([]*Preprocessor, workers)
	for i := range pres {
		p, err := NewPreprocessor(c, v)
		if err != nil {
			return nil, nil, tm, err
		}
		pres[i] = p
	}
	can := pres[0].Canonical
	total := can.Dims[2]
	batch := m.BatchSize()
	m.mu.Lock()
	pad := m.padBatch || m.fixedBatch > 0
	m.mu.Unlock()
	if batch > total && !pad {
		batch = total
	}
	tm.BatchSize = batch
	prob := scan.NewProb(v.Dims, can)
	if progress != nil {
		progress(0, total)
	}
	start := time.Now()
	m.mu.Lock()
	overlap := m.provider == ProviderCUDA || m.overlapOnCPU
	m.mu.Unlock()
	if overlap {
		// A second set of preprocessors: one set prepares while the other restores.
		rest := make([]*Preprocessor, workers)
		for i := range rest {
			rest[i], _ = NewPreprocessor(c, v)
		}
		if err := segmentOverlapped(ctx, m, pres, rest, batch, prob, &tm, progress); err != nil {
			return nil, nil, tm, err
		}
	} else {
		input := make([]float32, batch*pres[0].InputLen())
		logits := make([]float32, batch*c.InputH*c.InputW)
		for k0 := 0; k0 < total; k0 += batch {
			if err := ctx.Err(); err != nil {
				return nil, nil, tm, err
			}
			n := min(batch, total-k0)
			t0 := time.Now()
			prepare(pres, k0, n, input)
			t1 := time.Now()
			if err := runBatch(ctx, m, input, n, batch, logits); err != nil {
				return nil, nil, tm, err
			}
			t2 := time.Now()
			restore(pres, k0, n, logits, prob)
			t3 := time.Now()
			tm.Preprocess += t1.Sub(t0).Seconds()
			tm.Run += t2.Sub(t1).Seconds()
			tm.Restore += t3.Sub(t2).Seconds()
			tm.Batches++
			if progress != nil {
				progress(k0+n, total)
			}
		}
	}
	tm.Infer = time.Since(start).Seconds()
	t0 := time.Now()
	mask := PostProcess(prob, c.Threshold)
	tm.Post = time.Since(t0).Seconds()
	return mask, prob, tm, nil
}

// prepare writes the model input of canonical slices k0..k0+n-1 into input.
func prepare(pres []*Preprocessor, k0, n int, input []float32) {
	inLen := pres[0].InputLen()
	parallel(n, pres, func(p *Preprocessor, i int) {
		p.Input(k0+i, input[i*inLen:(i+1)*inLen])
	})
}

// restore turns the logits of slices k0..k0+n-1 into probabilities on the volume's grid.
func restore(pres []*Preprocessor, k0, n int, logits []float32, prob *scan.Prob) {
	hw := pres[0].Contract.InputH * pres[0].Contract.InputW
	parallel(n, pres, func(p *Preprocessor, i int) {
		out := logits[i*hw : (i+1)*hw]
		for j, x := range out {
			out[j] = sigmoid(x)
		}
		p.Restore(k0+i, out, prob)
	})
}

// runBatch runs n prepared slices; on CUDA a short last batch runs padded to the full batch, so
// that every run has one shape (one algorithm search; the padding's output is not used).
func runBatch(ctx context.Context, m *Model, input []float32, n, batch int, logits []float32) error {
	inLen := len(input) / batch
	run := n
	m.mu.Lock()
	if m.padBatch || m.fixedBatch > 0 {
		run = batch
	}
	m.mu.Unlock()
	return m.RunInto(ctx, input[:run*inLen], run, logits)
}

// segmentOverlapped is Segment's loop with its stages overlapped: a goroutine prepares batch b+1
// while the model runs batch b, and batch b-1 is restored at the same time; two input and two
// output buffers.
func segmentOverlapped(ctx context.Context, m *Model, prep, rest []*Preprocessor, batch int, prob *scan.Prob, tm *Timings, progress func(done, total int)) error {
	total := prep[0].Slices()
	inLen, hw := prep[0].InputLen(), prep[0].Contract.InputH*prep[0].Contract.InputW
	var inputs, logits [2][]float32
	inFree, outFree := [2]chan struct{}{}, [2]chan struct{}{}
	for b := 0; b < 2; b++ {
		inputs[b] = make([]float32, batch*inLen)
		logits[b] = make([]float32, batch*hw)
		inFree[b], outFree[b] = make(chan struct{}, 1), make(chan struct{}, 1)
		inFree[b] <- struct{}{}
		outFree[b] <- struct{}{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct{ k0, n, buf int }
	ready := make(chan job, 1)
	var prepS float64
	go func() {
		defer close(ready)
		for b, k0 := 0, 0; k0 < total; b, k0 = b+1, k0+batch {
			buf := b % 2
			select {
			case <-inFree[buf]:
			case <-ctx.Done():
				return
			}
			t0 := time.Now()
			prepare(prep, k0, min(batch, total-k0), inputs[buf])
			prepS += time.Since(t0).Seconds()
			select {
			case ready <- job{k0, min(batch, total-k0), buf}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex // one restore at a time: they share rest
		done     int
		restoreS float64
		err      error
	)
	for j := range ready {
		<-outFree[j.buf] // batch b-2 restored
		t0 := time.Now()
		err = runBatch(ctx, m, inputs[j.buf], j.n, batch, logits[j.buf])
		tm.Run += time.Since(t0).Seconds()
		inFree[j.buf] <- struct{}{}
		if err != nil {
			outFree[j.buf] <- struct{}{}
			cancel()
			break
		}
		tm.Batches++
		wg.Add(1)
		go func(j job) {
			defer wg.Done()
			mu.Lock()
			t0 := time.Now()
			restore(rest, j.k0, j.n, logits[j.buf], prob)
			restoreS += time.Since(t0).Seconds()
			done += j.n
			if progress != nil {
				progress(done, total)
			}
			mu.Unlock()
			outFree[j.buf] <- struct{}{}
		}(j)
	}
	for range ready {
	}
	wg.Wait()
	tm.Preprocess, tm.Restore, tm.Overlap = prepS, restoreS, true
	if err == nil {
		err = ctx.Err()
	}
	return err
}

func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

// parallel calls f(p, i) for i in [0, n), the items split into contiguous runs, one per
// Preprocessor (contiguous, so that each one's cache of neighbouring slices is used).
func parallel(n int, pres []*Preprocessor, f func(p *Preprocessor, i int)) {
	w := min(len(pres), n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			f(pres[0], i)
		}
		return
	}
	var wg sync.WaitGroup
	for j := 0; j < w; j++ {
		lo, hi := j*n/w, (j+1)*n/w
		wg.Add(1)
		go func(p *Preprocessor) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(p, i)
			}
		}(pres[j])
	}
	wg.Wait()
}
