package scan

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// Progress is told how many of total slices are done; it may be nil. It is called from several
// goroutines.
type Progress func(done, total int)

// Load reads the pixels of the series into an HU volume. Slices are decoded in parallel straight
// from the files into the volume, one read buffer per worker, so memory peaks at the volume plus
// a few slices.
func (s *SeriesEntry) Load(ctx context.Context, progress Progress) (*Volume, error) {
	if s.Compressed {
		return nil, fmt.Errorf("%s: %w (%s)", s.Series.Path, ErrCompressed, TransferSyntaxName(s.Series.TransferSyntax))
	}
	v := &Volume{
		Voxels:    make([]int16, s.Dims[0]*s.Dims[1]*s.Dims[2]),
		Dims:      s.Dims,
		Spacing:   s.Spacing,
		Origin:    s.Origin,
		Direction: s.Direction,
		Series:    s.Series,
		Warnings:  append([]string(nil), s.Warnings...),
	}
	n := len(s.frames)
	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var failed atomic.Bool
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				k := int(next.Add(1) - 1)
				if k >= n || ctx.Err() != nil || failed.Load() {
					return
				}
				var err error
				buf, err = s.loadSlice(v.Slice(k), k, buf)
				if err != nil {
					fail(err)
					return
				}
				d := int(done.Add(1))
				if progress != nil {
					progress(d, n)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return v, nil
}

// loadSlice decodes slice k into dst, reusing buf for the raw bytes.
func (s *SeriesEntry) loadSlice(dst []int16, k int, buf []byte) ([]byte, error) {
	f := s.frames[k]
	pf := f.Format
	size := pf.frameBytes()
	if f.Deflated {
		df, err := readDICOMFile(f.File)
		if err != nil {
			return buf, err
		}
		off := df.Pixels.Offset + f.Frame*size
		if !df.Pixels.Found || off+size > len(df.data) {
			return buf, fmt.Errorf("%s: %w: pixel data changed since the folder was read", f.File, ErrTruncated)
		}
		decodeHU(dst, df.data[off:off+size], pf, df.ByteOrder, f.Rescale)
		return buf, nil
	}
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	fh, err := os.Open(f.File)
	if err != nil {
		return buf, err
	}
	defer fh.Close()
	if _, err := fh.ReadAt(buf, f.PixelOffset); err != nil {
		if err == io.EOF {
			err = ErrTruncated
		}
		return buf, fmt.Errorf("%s: reading pixels: %w", f.File, err)
	}
	bo := byteOrderOf(f.TransferSyntax)
	decodeHU(dst, buf, pf, bo, f.Rescale)
	return buf, nil
}

// LoadVolume discovers path, which must hold one image series (or uid picks it), and loads it.
func LoadVolume(ctx context.Context, path, uid string, progress Progress) (*Volume, error) {
	s, err := OpenSeries(ctx, path, uid)
	if err != nil {
		return nil, err
	}
	return s.Load(ctx, progress)
}
