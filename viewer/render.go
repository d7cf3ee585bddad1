// Package viewer renders slices of a CT volume in the axial, coronal or sagittal plane (scan.Plane:
// turns of the canonical view, never resampled) into image.RGBA, with window/level, label overlays
// (fill, outline, difference) and an uncertainty overlay, plus the small helpers a review GUI needs
// (probe, aspect ratio, orientation letters, scale bar, side-by-side panels) and the edit tools.
// It is pure Go: it imports scan and inference, never Fyne.
package viewer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"

	"liverseg/scan"
)

// Window is a CT display window in Hounsfield units: HU from Center-Width/2 to Center+Width/2
// map linearly onto black..white.
type Window struct {
	Center float64 // level, HU
	Width  float64 // HU; values below 1 are treated as 1 (a threshold at Center); NaN gives black
}

// Presets, written as width/level the way radiologists say them.
var (
	// WindowLiver is 150/90: width 150, level 90.
	WindowLiver = Window{Center: 90, Width: 150}
	// WindowAbdomen is 400/40: width 400, level 40.
	WindowAbdomen = Window{Center: 40, Width: 400}
)

// Gray is the display value (0..255) of hu under the window: round(255*(hu-lo)/width), clamped,
// where lo = Center-Width/2.
func (w Window) Gray(hu int16) uint8 {
	width := w.Width
	if width < 1 {
		width = 1
	}
	lo := w.Center - width/2
	v := math.Floor((float64(hu)-lo)/width*255 + 0.5)
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

// Mode says how a mask overlay is drawn.
type Mode uint8

const (
	Off     Mode = iota // not drawn
	Fill                // every mask pixel blended with the colour at the opacity
	Outline             // only boundary pixels: a mask pixel with a 4-neighbour outside the mask (or outside the image)
)

// Overlay is one mask drawn over the slice. Any nonzero voxel counts as inside the mask.
type Overlay struct {
	Mask    *scan.Mask // nil: nothing drawn
	Mode    Mode
	Color   color.RGBA // the A channel is ignored; Opacity says how much of the colour shows
	Opacity float64    // 0..1
}

// Difference colours prediction against truth where either is set. It replaces the two mask
// overlays while Enabled.
type Difference struct {
	Enabled       bool
	Agree         color.RGBA // both masks
	FalsePositive color.RGBA // prediction only
	FalseNegative color.RGBA // truth only
	Opacity       float64
}

// UncertaintyMode says how the probability map is shown.
type UncertaintyMode uint8

const (
	UncertaintyOff  UncertaintyMode = iota
	UncertaintyBand                 // Color wherever 0.25 < p < 0.75 (64 <= byte <= 191)
	UncertaintyHeat                 // yellow→red, alpha Opacity*u with u = 1-|2p-1|
)

// Uncertainty is the overlay drawn from a probability map, under the mask overlays.
type Uncertainty struct {
	Prob    *scan.Prob
	Mode    UncertaintyMode
	Color   color.RGBA // for UncertaintyBand
	Opacity float64
}

// Default colours. Truth and prediction are scan's, which a written SEG recommends for display.
var (
	ColorTruth         = scan.ColorTruth
	ColorPrediction    = scan.ColorPrediction
	ColorAgree         = color.RGBA{0, 220, 0, 255}
	ColorFalsePositive = color.RGBA{255, 0, 255, 255}
	ColorFalseNegative = color.RGBA{255, 200, 0, 255}
	ColorUncertain     = color.RGBA{255, 255, 0, 255}
)

// ErrSlice is returned for a slice index outside the volume.
var ErrSlice = errors.New("slice out of range")

// Renderer draws the slices of one plane of one volume (axial, coronal or sagittal: a four-pane
// review holds one Renderer per plane). Its pixels and slices are the plane's columns, rows and
// slices (scan.Plane): Size, Slices, Render, Probe, Aspect, PixelSpacing, Orientation, Compose and
// Compare all speak of them, so that code written for axial slices works in any plane. The
// settings are plain fields; change them between calls. A Renderer is not safe for concurrent use.
type Renderer struct {
	Window      Window
	Truth       Overlay // drawn first
	Prediction  Overlay // drawn over Truth
	Difference  Difference
	Uncertainty Uncertainty

	vol   *scan.Volume
	plane scan.Plane
	axial scan.Canonical // the axial canonical view: the probability map's slices, and the turn ToPlane and FromPlane start from
	canon scan.Canonical // axial.Plane(plane): the view drawn
	offs  []int32        // volume offset of each pixel of the plane's slice 0, row by row
	base  int            // canon.Offset(0,0,0)

	lut       [65536]uint8 // indexed by uint16(hu)
	lutWin    Window
	lutValid  bool
	lutBuilds int            // how many times the LUT was built (tests check it changes only with the window)
	unc       [256][4]uint32 // r, g, b, alpha(0..256) per probability byte
	probRow   []uint8        // one row of the probability map
	rows      [3][]uint8     // rows of a mask (Outline: the rows above, at and below the one drawn)
	buf       *image.RGBA
}

// NewRenderer prepares a renderer of v's axial slices: NewPlaneRenderer(v, scan.Axial).
func NewRenderer(v *scan.Volume) (*Renderer, error) { return NewPlaneRenderer(v, scan.Axial) }

// NewPlaneRenderer prepares a renderer of v's slices in plane p, turned from the canonical axial
// view (scan.Canonical.Plane). Its window starts at WindowAbdomen, overlays off, with the default
// colours at opacity 0.4 (uncertainty 0.5).
func NewPlaneRenderer(v *scan.Volume, p scan.Plane) (*Renderer, error) {
	if p != scan.Axial && p != scan.Coronal && p != scan.Sagittal {
		return nil, fmt.Errorf("viewer: no such plane: %v", p)
	}
	if v == nil || v.Dims[0] <= 0 || v.Dims[1] <= 0 || v.Dims[2] <= 0 || len(v.Voxels) != v.Len() {
		return nil, fmt.Errorf("viewer: bad volume")
	}
	if v.Len() > math.MaxInt32 {
		return nil, fmt.Errorf("viewer: volume too large (%d voxels)", v.Len())
	}
	axial := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	c := axial.Plane(p)
	r := &Renderer{
		Window:      WindowAbdomen,
		Truth:       Overlay{Color: ColorTruth, Opacity: 0.4},
		Prediction:  Overlay{Color: ColorPrediction, Opacity: 0.4},
		Difference:  Difference{Agree: ColorAgree, FalsePositive: ColorFalsePositive, FalseNegative: ColorFalseNegative, Opacity: 0.4},
		Uncertainty: Uncertainty{Color: ColorUncertain, Opacity: 0.5},
		vol:         v,
		plane:       p,
		axial:       axial,
		canon:       c,
	}
	r.offs, r.base = sliceZeroOffsets(c)
	return r, nil
}

// sliceZeroOffsets is the volume offset of each pixel of canonical slice 0, row by row, and of
// canonical voxel (0,0,0): adding Offset(0,0,k)-base moves a table entry to slice k. Offsets are
// int32 to halve the table; the Renderer and the Editor refuse volumes they would not fit.
func sliceZeroOffsets(c scan.Canonical) ([]int32, int) {
	tmp := make([]int, c.Dims[0]*c.Dims[1])
	c.SliceOffsets(0, tmp)
	offs := make([]int32, len(tmp))
	for i, o := range tmp {
		offs[i] = int32(o)
	}
	return offs, c.Offset(0, 0, 0)
}

// Volume is the volume being rendered.
func (r *Renderer) Volume() *scan.Volume { return r.vol }

// Plane is the plane the renderer draws.
func (r *Renderer) Plane() scan.Plane { return r.plane }

// Canonical is the view drawn: the axial canonical view turned to the renderer's plane
// (AxialCanonical().Plane(Plane())). Its Dims, Spacing and Offset are the plane's columns, rows
// and slices; for an axial renderer it is the axial view itself.
func (r *Renderer) Canonical() scan.Canonical { return r.canon }

// AxialCanonical is the canonical axial view of the volume, whatever the plane: the slices a
// scan.Prob is kept in, and the view whose ToPlane and FromPlane map a pixel of one plane to a
// voxel and to the pixels of the others (a linked cross-hair).
func (r *Renderer) AxialCanonical() scan.Canonical { return r.axial }

// Size is the width and height of a rendered slice in pixels (the plane's columns, rows).
func (r *Renderer) Size() (w, h int) { return r.canon.Dims[0], r.canon.Dims[1] }

// Slices is the number of slices of the plane.
func (r *Renderer) Slices() int { return r.canon.Dims[2] }

// Render draws slice k into the renderer's own buffer and returns it. The buffer is
// reused by the next call to Render; copy it to keep it.
func (r *Renderer) Render(k int) (*image.RGBA, error) {
	w, h := r.Size()
	if r.buf == nil {
		r.buf = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	if err := r.RenderTo(r.buf, k); err != nil {
		return nil, err
	}
	return r.buf, nil
}

// RenderTo draws slice k into dst, whose bounds must be Size() (at any origin, so a
// sub-image of a larger picture works).
func (r *Renderer) RenderTo(dst *image.RGBA, k int) error {
	w, h := r.Size()
	return r.render(dst, k, layerAll, image.Rect(0, 0, w, h))
}

type layers uint8

const (
	layerUncertainty layers = 1 << iota
	layerTruth
	layerPrediction
	layerDifference
	layerAll = layerUncertainty | layerTruth | layerPrediction | layerDifference
)

func (r *Renderer) checkDims(d [3]int, n int, what string) error {
	if d != r.vol.Dims || n != r.vol.Len() {
		return fmt.Errorf("viewer: %s is %dx%dx%d, volume is %dx%dx%d", what, d[0], d[1], d[2],
			r.vol.Dims[0], r.vol.Dims[1], r.vol.Dims[2])
	}
	return nil
}

// checkMask says whether m is a mask of the renderer's volume.
func (r *Renderer) checkMask(m *scan.Mask, what string) error {
	if !m.Valid() {
		return fmt.Errorf("viewer: %s is not a mask of %dx%dx%d", what, m.Dims[0], m.Dims[1], m.Dims[2])
	}
	return r.checkDims(m.Dims, m.Len(), what)
}

// render draws the layers ls of slice k into the pixels of rect (slice pixel
// coordinates, clipped to the slice) of dst, whose bounds must be the slice's size; the other
// pixels of dst are left as they are. RenderTo draws the whole slice, RenderRect a part.
func (r *Renderer) render(dst *image.RGBA, k int, ls layers, rect image.Rectangle) error {
	w, h := r.Size()
	if k < 0 || k >= r.canon.Dims[2] {
		return fmt.Errorf("viewer: %w: %d of %d", ErrSlice, k, r.canon.Dims[2])
	}
	if dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("viewer: destination is %dx%d, slice is %dx%d", dst.Rect.Dx(), dst.Rect.Dy(), w, h)
	}
	rect = rect.Intersect(image.Rect(0, 0, w, h))
	if rect.Empty() {
		return nil
	}
	var truth, pred *scan.Mask
	if r.Truth.Mask != nil && (r.Truth.Mode != Off || r.Difference.Enabled) {
		if err := r.checkMask(r.Truth.Mask, "truth mask"); err != nil {
			return err
		}
		truth = r.Truth.Mask
	}
	if r.Prediction.Mask != nil && (r.Prediction.Mode != Off || r.Difference.Enabled) {
		if err := r.checkMask(r.Prediction.Mask, "prediction mask"); err != nil {
			return err
		}
		pred = r.Prediction.Mask
	}
	var prob *scan.Prob
	if ls&layerUncertainty != 0 && r.Uncertainty.Prob != nil && r.Uncertainty.Mode != UncertaintyOff {
		prob = r.Uncertainty.Prob
		if err := r.checkDims(prob.Dims, r.vol.Len(), "probability map"); err != nil {
			return err
		}
		if prob.Canon != r.axial {
			return fmt.Errorf("viewer: probability map is kept in other slices than the volume's axial ones")
		}
		if len(r.probRow) < w {
			r.probRow = make([]uint8, w)
		}
		r.buildUncertainty()
	}
	if !r.lutValid || r.lutWin != r.Window {
		r.buildLUT()
	}

	shift := int32(r.canon.Offset(0, 0, k) - r.base)
	vox := r.vol.Voxels
	lut := &r.lut
	offs := r.offs
	x0, n := rect.Min.X, rect.Dx()

	// Pass 1: grey and uncertainty.
	for j := rect.Min.Y; j < rect.Max.Y; j++ {
		pix := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x0, dst.Rect.Min.Y+j):][:4*n]
		row := offs[j*w+x0 : j*w+x0+n]
		if prob == nil {
			for i, o := range row {
				g := lut[uint16(vox[o+shift])]
				p := pix[4*i : 4*i+4 : 4*i+4]
				p[0], p[1], p[2], p[3] = g, g, g, 255
			}
			continue
		}
		unc := &r.unc
		pr := r.probRow[:n]
		prob.PlaneRow(r.plane, k, j, x0, pr)
		for i, o := range row {
			o += shift
			g := uint32(lut[uint16(vox[o])])
			u := &unc[pr[i]]
			p := pix[4*i : 4*i+4 : 4*i+4]
			a := u[3]
			p[0] = uint8((u[0]*a + g*(256-a)) >> 8)
			p[1] = uint8((u[1]*a + g*(256-a)) >> 8)
			p[2] = uint8((u[2]*a + g*(256-a)) >> 8)
			p[3] = 255
		}
	}

	// Pass 2: masks.
	if r.Difference.Enabled && ls&layerDifference != 0 {
		if truth == nil && pred == nil {
			return nil
		}
		r.drawDifference(dst, truth, pred, shift, rect)
		return nil
	}
	if truth != nil && ls&layerTruth != 0 && r.Truth.Mode != Off {
		r.drawMask(dst, truth, shift, r.Truth, rect)
	}
	if pred != nil && ls&layerPrediction != 0 && r.Prediction.Mode != Off {
		r.drawMask(dst, pred, shift, r.Prediction, rect)
	}
	return nil
}

func alpha256(op float64) uint32 {
	if !(op > 0) {
		return 0
	}
	if op >= 1 {
		return 256
	}
	return uint32(op*256 + 0.5)
}

func blend(p []uint8, c color.RGBA, a uint32) {
	na := 256 - a
	p[0] = uint8((uint32(c.R)*a + uint32(p[0])*na) >> 8)
	p[1] = uint8((uint32(c.G)*a + uint32(p[1])*na) >> 8)
	p[2] = uint8((uint32(c.B)*a + uint32(p[2])*na) >> 8)
}

// drawMask blends ov's colour over the pixels of rect where m is set (Outline: only where a
// 4-neighbour is not, or lies outside the slice). It reads m a row at a time into the renderer's
// row buffers (Outline: the rows above and below too, and a column each side), never the volume.
func (r *Renderer) drawMask(dst *image.RGBA, m *scan.Mask, shift int32, ov Overlay, rect image.Rectangle) {
	w, h := r.Size()
	a := alpha256(ov.Opacity)
	if a == 0 {
		return
	}
	x0, n := rect.Min.X, rect.Dx()
	if ov.Mode != Outline {
		row := r.rowBuf(0, n)
		for j := rect.Min.Y; j < rect.Max.Y; j++ {
			offsLine(m, r.offs, shift, j*w+x0, row)
			pix := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x0, dst.Rect.Min.Y+j):][:4*n]
			for i := skipZeros(row, 0); i < n; i = skipZeros(row, i+1) {
				blend(pix[4*i:4*i+4:4*i+4], ov.Color, a)
			}
		}
		return
	}
	lo, hi := max(x0-1, 0), min(x0+n+1, w)
	above, cur, below := r.rowBuf(0, hi-lo), r.rowBuf(1, hi-lo), r.rowBuf(2, hi-lo)
	load := func(j int, row []uint8) {
		if j < 0 || j >= h {
			clear(row)
			return
		}
		offsLine(m, r.offs, shift, j*w+lo, row)
	}
	load(rect.Min.Y-1, above)
	load(rect.Min.Y, cur)
	for j := rect.Min.Y; j < rect.Max.Y; j++ {
		load(j+1, below)
		pix := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x0, dst.Rect.Min.Y+j):][:4*n]
		mid := cur[x0-lo : x0-lo+n] // the pixels drawn; cur also holds a column each side
		for di := skipZeros(mid, 0); di < n; di = skipZeros(mid, di+1) {
			i := x0 + di
			c := i - lo
			inner := i > 0 && i < w-1 && j > 0 && j < h-1 &&
				cur[c-1] != 0 && cur[c+1] != 0 && above[c] != 0 && below[c] != 0
			if !inner {
				blend(pix[4*di:4*di+4:4*di+4], ov.Color, a)
			}
		}
		above, cur, below = cur, below, above
	}
}

// drawDifference colours the pixels of rect by agreement of truth and pred (either may be nil).
func (r *Renderer) drawDifference(dst *image.RGBA, truth, pred *scan.Mask, shift int32, rect image.Rectangle) {
	w, _ := r.Size()
	d := r.Difference
	a := alpha256(d.Opacity)
	if a == 0 {
		return
	}
	x0, n := rect.Min.X, rect.Dx()
	trow, prow := r.rowBuf(0, n), r.rowBuf(1, n)
	clear(trow)
	clear(prow)
	for j := rect.Min.Y; j < rect.Max.Y; j++ {
		if truth != nil {
			offsLine(truth, r.offs, shift, j*w+x0, trow)
		}
		if pred != nil {
			offsLine(pred, r.offs, shift, j*w+x0, prow)
		}
		pix := dst.Pix[dst.PixOffset(dst.Rect.Min.X+x0, dst.Rect.Min.Y+j):][:4*n]
		for i := skipZeros2(trow, prow, 0); i < n; i = skipZeros2(trow, prow, i+1) {
			t, p := trow[i] != 0, prow[i] != 0
			switch {
			case t && p:
				blend(pix[4*i:4*i+4:4*i+4], d.Agree, a)
			case p:
				blend(pix[4*i:4*i+4:4*i+4], d.FalsePositive, a)
			case t:
				blend(pix[4*i:4*i+4:4*i+4], d.FalseNegative, a)
			}
		}
	}
}

// skipZeros is the index of the first nonzero byte of b at or after i (len(b) when none). It
// reads eight bytes at a time: most of a row of a slice lies outside the liver.
func skipZeros(b []uint8, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != 0 {
			break
		}
	}
	for ; i < len(b) && b[i] == 0; i++ {
	}
	return i
}

// skipZeros2 is the index of the first byte at or after i where a or b (as long as a) is nonzero.
func skipZeros2(a, b []uint8, i int) int {
	b = b[:len(a)]
	for ; i+8 <= len(a); i += 8 {
		if binary.LittleEndian.Uint64(a[i:])|binary.LittleEndian.Uint64(b[i:]) != 0 {
			break
		}
	}
	for ; i < len(a) && a[i]|b[i] == 0; i++ {
	}
	return i
}

// rowBuf is the renderer's row buffer b (0..2) cut to n bytes, grown when shorter.
func (r *Renderer) rowBuf(b, n int) []uint8 {
	if len(r.rows[b]) < n {
		r.rows[b] = make([]uint8, n)
	}
	return r.rows[b][:n]
}

func (r *Renderer) buildLUT() {
	w := r.Window
	for i := range r.lut {
		r.lut[i] = w.Gray(int16(uint16(i)))
	}
	r.lutWin = w
	r.lutValid = true
	r.lutBuilds++
}

func (r *Renderer) buildUncertainty() {
	u := r.Uncertainty
	base := alpha256(u.Opacity)
	for b := 0; b < 256; b++ {
		e := &r.unc[b]
		switch u.Mode {
		case UncertaintyBand:
			if b >= 64 && b <= 191 {
				*e = [4]uint32{uint32(u.Color.R), uint32(u.Color.G), uint32(u.Color.B), base}
			} else {
				*e = [4]uint32{}
			}
		case UncertaintyHeat:
			p := float64(b) / 255
			x := 1 - math.Abs(2*p-1) // 0 at certainty, 1 at p = 0.5
			e[0] = 255
			e[1] = uint32(255*(1-x) + 0.5)
			e[2] = 0
			e[3] = uint32(float64(base)*x + 0.5)
		default:
			*e = [4]uint32{}
		}
	}
}
