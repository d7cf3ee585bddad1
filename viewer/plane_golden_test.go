package viewer

// Golden images of coronal and sagittal renders of IRCAD case 7 through the liver's centre, and
// the benchmark of a slice of each plane. They need $LIVERSEG_DATA (testenv: skipped without it).

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
)

// ircad7Review loads IRCAD case 7 with its liver truth and a prediction made from the truth by a
// fixed distortion (distortedLiver), and the liver's centre in canonical axial voxels.
func ircad7Review(t testing.TB) (v *scan.Volume, truth, pred *scan.Mask, centre [3]int) {
	t.Helper()
	dir := testenv.IRCAD(t, 7)
	v, err := scan.LoadVolume(context.Background(), filepath.Join(dir, "PATIENT_DICOM"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	truth, err = scan.ReadMaskFolder(filepath.Join(dir, "MASKS_DICOM", "liver"), v)
	if err != nil {
		t.Fatal(err)
	}
	c := scan.NewCanonical(v.Dims, v.Spacing, v.Direction)
	pred, centre = distortedLiver(truth, c)
	return v, truth, pred, centre
}

// distortedLiver is a prediction that misses the truth in known ways: the truth moved 5 columns
// toward the patient's left, 3 rows toward anterior and 2 slices toward superior, and eroded by
// a voxel in each axial slice (a voxel is kept only when its four in-slice neighbours are liver).
// centre is the truth's centroid in canonical axial voxels, rounded.
func distortedLiver(truth *scan.Mask, c scan.Canonical) (pred *scan.Mask, centre [3]int) {
	pred = scan.NewMask(truth.Dims)
	d := c.Dims
	in := func(i, j, k int) bool {
		return i >= 0 && j >= 0 && k >= 0 && i < d[0] && j < d[1] && k < d[2] && truth.At(c.Offset(i, j, k)) != 0
	}
	var sum [3]float64
	n := 0
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			for i := 0; i < d[0]; i++ {
				if in(i, j, k) {
					sum[0], sum[1], sum[2] = sum[0]+float64(i), sum[1]+float64(j), sum[2]+float64(k)
					n++
				}
				si, sj, sk := i-5, j+3, k-2
				if in(si, sj, sk) && in(si-1, sj, sk) && in(si+1, sj, sk) && in(si, sj-1, sk) && in(si, sj+1, sk) {
					pred.Set(c.Offset(i, j, k), scan.Liver)
				}
			}
		}
	}
	for a := range centre {
		centre[a] = int(math.Round(sum[a] / float64(max(n, 1))))
	}
	return pred, centre
}

// TestGoldenIRCAD7Planes: the coronal and sagittal slices through the centre of case 7's liver,
// with the truth outlined over the prediction filled, and the difference view, compared pixel for
// pixel with testdata (go test ./viewer -run GoldenIRCAD7 -update rewrites them). A coronal pixel
// of case 7 is 0.78 mm wide and 1.6 mm tall: the aspect is about 2, never squared.
func TestGoldenIRCAD7Planes(t *testing.T) {
	v, truth, pred, centre := ircad7Review(t)
	for _, p := range []scan.Plane{scan.Coronal, scan.Sagittal} {
		r := mustPlaneRenderer(t, v, p)
		ax := r.AxialCanonical()
		_, _, s := ax.ToPlane(p, centre[0], centre[1], centre[2])
		if w, h := r.Size(); w != 512 || h != 151 {
			t.Fatalf("%v: %dx%d, want 512x151", p, w, h)
		}
		if a, want := r.Aspect(), ax.Spacing[2]/r.Canonical().Spacing[0]; math.Abs(a-want) > 1e-12 || a < 2 || a > 2.1 {
			t.Errorf("%v: Aspect %v, want %v (about 2.05)", p, a, want)
		}
		r.Truth = Overlay{Mask: truth, Mode: Outline, Color: ColorTruth, Opacity: 1}
		r.Prediction = Overlay{Mask: pred, Mode: Fill, Color: ColorPrediction, Opacity: 0.4}
		checkGolden(t, "ircad7_"+p.String()+"_overlays.png", mustRender(t, r, s))
		r.Difference.Enabled = true
		r.Difference.Opacity = 0.5
		checkGolden(t, "ircad7_"+p.String()+"_difference.png", mustRender(t, r, s))
	}
}
