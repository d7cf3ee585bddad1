package nifti

// Writing: a label as uint8 (intent LABEL), a CT as int16 HU, both in the volume's voxel order
// with its affine as sform and qform, atomically.

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"liverseg/internal/atomicfile"
	"liverseg/scan"
	"liverseg/scan/internal/vec3"
)

// WriteLabel writes m as a uint8 NIfTI-1 label (intent NIFTI_INTENT_LABEL) with ref's geometry,
// in ref's voxel order (columns, rows, slices), gzip-compressed when path ends in .gz.
func WriteLabel(path string, ref *scan.Volume, m *scan.Mask) error {
	if err := ref.CheckMask(m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := checkWritable(path, ref); err != nil {
		return err
	}
	var maxLabel uint8
	m.Each(func(_ int, v uint8) { maxLabel = max(maxLabel, v) })
	// The label streams a slice at a time: a 1000-slice label is never a 262 MB array here.
	return writeFile(path, output{
		dims: ref.Dims, datatype: typeUint8, ras: rasOf(ref), intent: intentLabel,
		descrip: "liverseg label", calMin: 0, calMax: float64(maxLabel),
	}, func(w io.Writer) error {
		_, err := m.WriteTo(w)
		return err
	})
}

// WriteVolume writes the CT as int16 HU (scl_slope 1), as dcm2niix would, but in the volume's
// voxel order (columns, rows, slices) with the affine that places it: the same file that
// WriteLabel's labels line up with.
func WriteVolume(path string, v *scan.Volume) error {
	if len(v.Voxels) != v.Len() || v.Len() <= 0 {
		return fmt.Errorf("%s: %w: %d voxels for %s", path, scan.ErrGeometry, len(v.Voxels), scan.DimsString(v.Dims))
	}
	if err := checkWritable(path, v); err != nil {
		return err
	}
	lo, hi := int16(math.MaxInt16), int16(math.MinInt16)
	for _, x := range v.Voxels {
		lo, hi = min(lo, x), max(hi, x)
	}
	// The HU stream out a slice at a time, not as a second copy of the volume.
	return writeFile(path, output{
		dims: v.Dims, datatype: typeInt16, ras: rasOf(v), descrip: "liverseg CT (HU)",
		calMin: float64(lo), calMax: float64(hi),
	}, func(w io.Writer) error {
		buf := make([]byte, 2*v.SliceLen())
		for k := range v.Dims[2] {
			for i, x := range v.Slice(k) {
				binary.LittleEndian.PutUint16(buf[2*i:], uint16(x))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteProbability writes the liver probability p (0..255) of ref as int16 NIfTI on ref's grid,
// as WriteVolume writes a CT, streaming it a slice at a time (never a dense copy of the map).
func WriteProbability(path string, ref *scan.Volume, p *scan.Prob) error {
	if p == nil || p.Dims != ref.Dims {
		return fmt.Errorf("%s: %w: probability map of another volume", path, scan.ErrGeometry)
	}
	if err := checkWritable(path, ref); err != nil {
		return err
	}
	return writeFile(path, output{
		dims: ref.Dims, datatype: typeInt16, ras: rasOf(ref), descrip: "liverseg liver probability",
		calMin: 0, calMax: 255,
	}, func(w io.Writer) error {
		plane := make([]uint8, ref.SliceLen())
		buf := make([]byte, 2*ref.SliceLen())
		for k := range ref.Dims[2] {
			for i, b := range p.VolumeSlice(k, plane) {
				binary.LittleEndian.PutUint16(buf[2*i:], uint16(b))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// output is what a written file states besides its voxels.
type output struct {
	dims     [3]int
	datatype int16 // typeUint8 or typeInt16 (the only two liverseg writes)
	ras      [3][4]float64
	intent   int16
	descrip  string
	calMin   float64
	calMax   float64
}

// headerOf is the header liverseg writes for p. Both sform and qform are set, with code 1
// (scanner): some readers use only one of them.
func headerOf(p output) rawHeader {
	r := rawHeader{
		SizeofHdr:  headerSize,
		Regular:    'r', // "regular", as ANALYZE readers expect
		Dim:        [8]int16{3, int16(p.dims[0]), int16(p.dims[1]), int16(p.dims[2]), 1, 1, 1, 1},
		IntentCode: p.intent,
		Datatype:   p.datatype,
		Bitpix:     int16(8 * bytesPer(p.datatype)),
		VoxOffset:  dataOffset,
		// scl_slope 1, scl_inter 0: stored values are the values (as dcm2niix writes).
		SclSlope:  1,
		SclInter:  0,
		XYZTUnits: unitsMM,
		CalMax:    float32(p.calMax),
		CalMin:    float32(p.calMin),
		QformCode: xformScanner,
		SformCode: xformScanner,
		Magic:     [4]byte{'n', '+', '1', 0},
	}
	sp, qb, qc, qd, qfac := qformOf(p.ras)
	r.Pixdim = [8]float32{float32(qfac), float32(sp[0]), float32(sp[1]), float32(sp[2]), 1, 1, 1, 1}
	copy(r.Descrip[:], p.descrip)
	r.Quatern = [3]float32{float32(qb), float32(qc), float32(qd)}
	for row := 0; row < 3; row++ {
		r.Qoffset[row] = float32(p.ras[row][3])
		for c := 0; c < 4; c++ {
			r.Srow[row][c] = float32(p.ras[row][c])
		}
	}
	return r
}

// headerBytes is the dataOffset bytes before the data: the header and an empty extension flag.
func headerBytes(p output, o binary.ByteOrder) []byte {
	b, err := binary.Append(make([]byte, 0, dataOffset), o, headerOf(p))
	if err != nil {
		panic(err) // cannot happen: rawHeader has only fixed-size fields
	}
	return append(b, 0, 0, 0, 0)
}

// writeFile writes header and data to path, gzip-compressed when the name ends in .gz. It writes a
// temporary file in the same folder and renames it, so that a crash or a full disk never leaves a
// half-written label where a good one was.
func writeFile(path string, p output, data func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var gz *gzip.Writer
		if strings.HasSuffix(strings.ToLower(path), ".gz") {
			// BestSpeed: labels and CTs compress well anyway, and the default level is several
			// times slower on a 500-slice volume.
			gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
			w = gz
		}
		if _, err := w.Write(headerBytes(p, binary.LittleEndian)); err != nil {
			return err
		}
		if err := data(w); err != nil {
			return err
		}
		if gz != nil {
			return gz.Close()
		}
		return nil
	})
}

// checkWritable rejects a geometry that no NIfTI reader could place.
func checkWritable(path string, v *scan.Volume) error {
	for ax := 0; ax < 3; ax++ {
		if v.Dims[ax] < 1 || v.Dims[ax] > math.MaxInt16 {
			return fmt.Errorf("%s: %w: %s voxels do not fit a NIfTI-1 header (1..32767 per axis)", path, scan.ErrGeometry, scan.DimsString(v.Dims))
		}
		if !(v.Spacing[ax] > 0) || !vec3.Finite(v.Spacing[ax]) {
			return fmt.Errorf("%s: %w: spacing %v", path, scan.ErrGeometry, v.Spacing)
		}
	}
	if math.Abs(det(rasOf(v))) < 1e-12 {
		return fmt.Errorf("%s: %w: degenerate directions %v", path, scan.ErrGeometry, v.Direction)
	}
	return nil
}
