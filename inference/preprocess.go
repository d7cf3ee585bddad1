package inference

import (
	"fmt"

	"liverseg/scan"
)

// Preprocessor turns slices of a volume into model input and model output back into the
// volume's grid, as a model's Contract says. Training exports its datasets through the same code.
type Preprocessor struct {
	Contract  Contract
	Canonical scan.Canonical
	vol       *scan.Volume
	window    []float32 // HU+32768 -> windowed 0..1
	offsets   []int     // volume offsets of one canonical slice
	plane     []float32 // one canonical slice, windowed
	restored  []float32 // a probability slice at canonical size
	restoredB []uint8   // the same, scaled to bytes
	label     []uint8   // MaskSlice: a canonical label slice (allocated on first use)
	small     []float32 // MaskSlice: the label at the input size, before its threshold
	// cache holds the last Channels resized slices: with 2.5D input, neighbouring slices share
	// their planes (slice k is a channel of k-1, k and k+1), so each is windowed and resized once.
	cache []cachedPlane
	next  int
}

type cachedPlane struct {
	k    int // canonical slice, -1 when empty
	data []float32
}

// NewPreprocessor prepares the reading of v for a model with contract c. A Preprocessor is for
// one goroutine (it has scratch buffers and a cache of resized slices), and v must not change
// while it is used; make one per goroutine to work in parallel.
func NewPreprocessor(c Contract, v *scan.Volume) (*Preprocessor, error) {
	if v.Len() == 0 || len(v.Voxels) != v.Len() {
		return nil, fmt.Errorf("%s: empty or inconsistent volume %v", v.Series.Path, v.Dims)
	}
	can := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	n := can.Dims[0] * can.Dims[1]
	p := &Preprocessor{
		Contract:  c,
		Canonical: can,
		vol:       v,
		window:    WindowTable(c.WindowLow, c.WindowHigh),
		offsets:   make([]int, n),
		plane:     make([]float32, n),
		restored:  make([]float32, n),
		restoredB: make([]uint8, n),
	}
	if c.Channels > 1 {
		p.cache = make([]cachedPlane, c.Channels)
		for i := range p.cache {
			p.cache[i] = cachedPlane{k: -1, data: make([]float32, c.InputH*c.InputW)}
		}
	}
	return p, nil
}

// WindowTable maps every int16 HU (index HU+32768) to its windowed value: clipped to [lo, hi]
// and scaled to 0..1.
func WindowTable(lo, hi float64) []float32 {
	t := make([]float32, 1<<16)
	for i := range t {
		hu := float64(i - 32768)
		switch {
		case hu <= lo:
			t[i] = 0
		case hu >= hi:
			t[i] = 1
		default:
			t[i] = float32((hu - lo) / (hi - lo))
		}
	}
	return t
}

// Slices is the number of canonical (axial) slices.
func (p *Preprocessor) Slices() int { return p.Canonical.Dims[2] }

// InputLen is the number of floats of one slice's input: channels x H x W.
func (p *Preprocessor) InputLen() int {
	return p.Contract.Channels * p.Contract.InputH * p.Contract.InputW
}

// Input writes the model input of canonical slice k into dst (InputLen floats, [C, H, W]):
// channel c holds slice k + c - C/2, clamped at the ends, so that with 3 channels they are the
// slices below, at and above k (inferior to superior).
func (p *Preprocessor) Input(k int, dst []float32) {
	c := p.Contract
	hw := c.InputH * c.InputW
	for ch := 0; ch < c.Channels; ch++ {
		kk := k + ch - c.Channels/2
		if kk < 0 {
			kk = 0
		}
		if kk > p.Slices()-1 {
			kk = p.Slices() - 1
		}
		p.resized(kk, dst[ch*hw:(ch+1)*hw])
	}
}

// resized writes canonical slice k, windowed and resized to H x W, into dst.
func (p *Preprocessor) resized(k int, dst []float32) {
	for _, e := range p.cache {
		if e.k == k {
			copy(dst, e.data)
			return
		}
	}
	c := p.Contract
	p.Canonical.SliceOffsets(k, p.offsets)
	for i, o := range p.offsets {
		p.plane[i] = p.window[int(p.vol.Voxels[o])+32768]
	}
	Resize(p.plane, p.Canonical.Dims[0], p.Canonical.Dims[1], dst, c.InputW, c.InputH)
	if len(p.cache) > 0 {
		e := &p.cache[p.next]
		e.k = k
		copy(e.data, dst)
		p.next = (p.next + 1) % len(p.cache)
	}
}

// Restore resizes a probability slice (H x W, values 0..1) back to canonical slice k and stores
// it, scaled to 0..255, in prob. Different slices may be restored into one map at once.
func (p *Preprocessor) Restore(k int, probHW []float32, prob *scan.Prob) {
	prob.SetSlice(k, p.restoreBytes(probHW))
}

// restoreBytes resizes a probability slice (H x W, 0..1) to the canonical slice and scales it to
// 0..255 (rounded), into the Preprocessor's scratch, which it returns.
func (p *Preprocessor) restoreBytes(probHW []float32) []uint8 {
	c := p.Contract
	cols, rows := p.Canonical.Dims[0], p.Canonical.Dims[1]
	Resize(probHW, c.InputW, c.InputH, p.restored, cols, rows)
	for i, f := range p.restored {
		v := f*255 + 0.5
		switch {
		case v <= 0:
			p.restoredB[i] = 0
		case v >= 255:
			p.restoredB[i] = 255
		default:
			p.restoredB[i] = uint8(v)
		}
	}
	return p.restoredB
}

// MaskSlice writes canonical slice k of a volume-shaped mask into dst (H x W bytes, 0 or 1),
// resized as the image is (bilinear) and thresholded at one half: the training target that
// matches Input(k), and the inverse of how Restore brings a prediction back. The mask is read a
// row at a time (Mask.Line), never whole.
func (p *Preprocessor) MaskSlice(m *scan.Mask, k int, dst []uint8) {
	c := p.Contract
	cols, rows := p.Canonical.Dims[0], p.Canonical.Dims[1]
	if len(p.label) < cols*rows {
		p.label = make([]uint8, cols*rows)
		p.small = make([]float32, c.InputH*c.InputW)
	}
	canonicalMaskSlice(m, p.Canonical, k, p.label)
	for i, v := range p.label {
		p.plane[i] = float32(v)
	}
	Resize(p.plane, cols, rows, p.small, c.InputW, c.InputH)
	for i, v := range p.small {
		dst[i] = 0
		if v >= 0.5 {
			dst[i] = 1
		}
	}
}

// canonicalMaskSlice writes canonical slice k of m into dst (the canonical columns x rows, row by
// row), 1 where the mask is nonzero: a row at a time, each a Mask.Line along the volume axis the
// canonical columns run on.
func canonicalMaskSlice(m *scan.Mask, can scan.Canonical, k int, dst []uint8) {
	cols, rows := can.Dims[0], can.Dims[1]
	step := can.Offset(1, 0, 0) - can.Offset(0, 0, 0)
	for j := 0; j < rows; j++ {
		row := dst[j*cols : (j+1)*cols]
		m.Line(can.Offset(0, j, k), step, row)
		for i, v := range row {
			row[i] = min(v, 1)
		}
	}
}
