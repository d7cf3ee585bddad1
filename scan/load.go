package scan

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"liverseg/scan/codec"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// Progress is told how many of total slices are done; it may be nil. It is called from several
// goroutines.
type Progress func(done, total int)

// Load reads the pixels of the series into an HU volume and returns once every slice is in.
// Slices are decoded in parallel straight from the files into the volume, one read buffer per
// worker, so memory peaks at the volume plus a few slices. The first slice that fails ends the
// load with its error. LoadProgressive is the load a view can show while it runs.
func (s *SeriesEntry) Load(ctx context.Context, progress Progress) (*Volume, error) {
	v, l, err := s.LoadProgressive(ctx, LoadOptions{First: 0, Progress: progress, failFast: true})
	if err != nil {
		return nil, err
	}
	if err := l.Wait(context.Background()); err != nil {
		return nil, errFirstSlice(err)
	}
	return v, nil
}

// loadSlice decodes slice k into dst, reusing buf for the raw bytes.
func (s *SeriesEntry) loadSlice(dst []int16, k int, buf []byte) ([]byte, error) {
	return s.loadSliceCached(dst, k, buf, nil)
}

// loadSliceCached is loadSlice with a cache of the last compressed file's frames (nil for none),
// so that the frames of a multi-frame file are not read and assembled once per frame.
func (s *SeriesEntry) loadSliceCached(dst []int16, k int, buf []byte, cache *frameCache) ([]byte, error) {
	f := s.frames[k]
	pf := f.Format
	size := pf.frameBytes()
	if f.Encapsulated {
		return buf, loadCompressedSlice(dst, f, cache)
	}
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
	fh, _, err := OpenRegular(f.File)
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

// checkCodec says whether the pixel data of transfer syntax ts can be decoded; the error wraps
// ErrCompressed and codec.ErrUnsupported and names the syntax.
func checkCodec(ts string) error {
	if codec.Supported(ts) {
		return nil
	}
	return fmt.Errorf("%w: %w: transfer syntax %s (%s)", ErrCompressed, codec.ErrUnsupported, TransferSyntaxName(ts), ts)
}

// frameCache holds the compressed frames of the file read last.
type frameCache struct {
	file   string
	frames [][]byte
	raw    []byte // a decoded frame, reused
}

// compressedFrames reads path whole and assembles its encapsulated pixel data into frames.
func compressedFrames(path string, nFrames int) (*dicomFile, [][]byte, error) {
	df, err := readDICOMFile(path)
	if err != nil {
		return nil, nil, err
	}
	if !df.Pixels.Found || !df.Pixels.Encapsulated {
		return nil, nil, fmt.Errorf("%s: %w: pixel data changed since the folder was read", path, ErrMalformed)
	}
	frames, err := assembleFrames(df, nFrames)
	return df, frames, err
}

// assembleFrames splits df's encapsulated pixel data into nFrames frames, through the Extended
// Offset Table where there is one, else the Basic Offset Table.
func assembleFrames(df *dicomFile, nFrames int) ([][]byte, error) {
	var ext, extLen []byte
	if el := df.Elems.get(tagExtendedOffsetTable); el != nil && el.Value != nil {
		ext, _ = el.Value.GetValue().([]byte)
	}
	if el := df.Elems.get(tagExtendedOffsetTableLengths); el != nil && el.Value != nil {
		extLen, _ = el.Value.GetValue().([]byte)
	}
	frames, err := codec.Frames(df.Pixels.OffsetTable, df.Pixels.Fragments, nFrames, ext, extLen)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", df.Path, ErrMalformed, err)
	}
	return frames, nil
}

var (
	tagExtendedOffsetTable        = tag.Tag{Group: 0x7FE0, Element: 0x0001}
	tagExtendedOffsetTableLengths = tag.Tag{Group: 0x7FE0, Element: 0x0002}
)

// codecFormat is the codec's view of a pixel format.
func codecFormat(pf pixelFormat) codec.Format {
	return codec.Format{Rows: pf.Rows, Cols: pf.Cols, Samples: pf.Samples, BitsAllocated: pf.BitsAllocated,
		BitsStored: pf.BitsStored, Signed: pf.Signed}
}

// decodeFrame decodes one compressed frame into native little-endian bytes, reusing raw.
func decodeFrame(path, ts string, frame []byte, pf pixelFormat, raw []byte) ([]byte, error) {
	cf := codecFormat(pf)
	n := cf.FrameBytes()
	if cap(raw) < n {
		raw = make([]byte, n)
	}
	raw = raw[:n]
	if err := codec.Decode(ts, frame, cf, raw); err != nil {
		if errors.Is(err, codec.ErrUnsupported) {
			return raw, fmt.Errorf("%s: %w: %w", path, ErrUnsupported, err)
		}
		return raw, fmt.Errorf("%s: %w: %s: %w", path, ErrMalformed, TransferSyntaxName(ts), err)
	}
	return raw, nil
}

// loadCompressedSlice decodes the compressed frame f into HU in dst.
func loadCompressedSlice(dst []int16, f frameInfo, cache *frameCache) error {
	if err := checkCodec(f.TransferSyntax); err != nil {
		return fmt.Errorf("%s: %w", f.File, err)
	}
	if f.Format.BitsAllocated == 1 {
		return fmt.Errorf("%s: %w: 1-bit pixels in an image", f.File, ErrUnsupported)
	}
	if cache == nil {
		cache = &frameCache{}
	}
	if cache.file != f.File {
		_, frames, err := compressedFrames(f.File, f.Format.Frames)
		if err != nil {
			return err
		}
		cache.file, cache.frames = f.File, frames
	}
	if f.Frame >= len(cache.frames) {
		return fmt.Errorf("%s: %w: frame %d of %d", f.File, ErrMalformed, f.Frame+1, len(cache.frames))
	}
	raw, err := decodeFrame(f.File, f.TransferSyntax, cache.frames[f.Frame], f.Format, cache.raw)
	cache.raw = raw
	if err != nil {
		return err
	}
	decodeHU(dst, raw, f.Format, binary.LittleEndian, f.Rescale)
	return nil
}
