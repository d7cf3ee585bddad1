package mesh

import (
	"math"
	"sync"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/scan"
)

var ircad7 struct {
	once sync.Once
	v    *scan.Volume
	m    *scan.Mask
	err  error
}

// liver7 is IRCAD 7's CT (512 x 512 x 151, 0.78 x 0.78 x 1.6 mm) and its liver mask, read once.
func liver7(tb testing.TB) (*scan.Volume, *scan.Mask) {
	tb.Helper()
	series, masks := testenv.IRCAD(tb, 7, "PATIENT_DICOM"), testenv.IRCAD(tb, 7, "MASKS_DICOM", "liver")
	ircad7.once.Do(func() {
		ircad7.v, ircad7.err = scan.LoadVolume(tb.Context(), series, "", nil)
		if ircad7.err == nil {
			ircad7.m, ircad7.err = scan.ReadMaskFolder(masks, ircad7.v)
		}
	})
	if ircad7.err != nil {
		tb.Fatal(ircad7.err)
	}
	return ircad7.v, ircad7.m
}

// IRCAD 7's liver at full resolution: closed and manifold, its volume that of the mask within
// 1 %; for display: 50,000 to 150,000 triangles, still closed, the volume within 2 %.
func TestLiverIRCAD7(t *testing.T) {
	v, m := liver7(t)
	want := float64(voxelCount(m)) * v.VoxelVolumeML()
	for _, c := range []struct {
		name    string
		opts    Options
		tol     float64
		minTris int
		maxTris int
	}{
		{"full", Options{}, 0.01, 0, math.MaxInt},
		{"display", ForDisplay(), 0.02, 50_000, 150_000},
	} {
		s, err := Build(m, v, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		checkSurface(t, s)
		got := s.Volume() / 1000
		t.Logf("%s: %d triangles, %d vertices, %.1f ml enclosed; mask %.1f ml (%+.2f %%)", c.name, len(s.Triangles), len(s.Vertices), got, want, 100*(got-want)/want)
		if math.Abs(got-want) > c.tol*want {
			t.Errorf("%s: %.1f ml enclosed, mask %.1f ml", c.name, got, want)
		}
		if n := len(s.Triangles); n < c.minTris || n > c.maxTris {
			t.Errorf("%s: %d triangles, want %d to %d", c.name, n, c.minTris, c.maxTris)
		}
	}
}

// BenchmarkBuildIRCAD7 is the surface of IRCAD 7's liver (512 x 512 x 151; the target:
// at most 1 s on one core), at full resolution for export and for the 3D view.
func BenchmarkBuildIRCAD7(b *testing.B) {
	v, m := liver7(b)
	for _, c := range []struct {
		name string
		opts Options
	}{{"full", Options{}}, {"display", ForDisplay()}} {
		b.Run(c.name, func(b *testing.B) {
			var tris int
			for b.Loop() {
				s, err := Build(m, v, c.opts)
				if err != nil {
					b.Fatal(err)
				}
				tris = len(s.Triangles)
			}
			b.ReportMetric(float64(tris), "triangles")
		})
	}
}

// shifted is m moved by dx columns: a stand-in prediction that misses the truth by a few mm.
func shifted(m *scan.Mask, dx int) *scan.Mask {
	out := scan.NewMask(m.Dims)
	nx := m.Dims[0]
	m.Each(func(o int, val uint8) {
		if x := o%nx + dx; x >= 0 && x < nx {
			out.Set(o+dx, val)
		}
	})
	return out
}

// BenchmarkSignedDistanceIRCAD7 colours the display surface of IRCAD 7's liver moved 4 columns
// (3.1 mm) by its distance to the truth: what the 3D view does after each model run.
func BenchmarkSignedDistanceIRCAD7(b *testing.B) {
	v, m := liver7(b)
	pred, err := Build(shifted(m, 4), v, ForDisplay())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := SignedDistance(pred, m, v); err != nil {
			b.Fatal(err)
		}
	}
}
