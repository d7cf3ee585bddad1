package inference

import (
	"testing"

	"liverseg/scan"
)

// BenchmarkRedraw192: one click on a 512 x 512 slice with an interactive U-Net of the default
// model's size (6 input channels, base 16, 4 levels, 192 x 192; untrained, seeded), against
// the model run alone: what the rest of a click (channels, click maps, restoring) costs.
//
//	go test -run=^$ -bench=Redraw192 -cpu 2 -benchtime 20x ./inference
func BenchmarkRedraw192(b *testing.B) {
	p := copyFile(b, exportUNet(b, "--channels", "6", "--base", "16", "--size", "192", "--levels", "4", "--gain", "8"), b.TempDir())
	c := testContract(3, 192)
	c.Kind, c.ClickEncoding, c.ClickRadiusMM = KindInteractive, ClickDisk, 5
	if err := StampMetadata(b.Context(), p, c.Metadata()); err != nil {
		b.Fatal(err)
	}
	m, err := OpenModel(b.Context(), p, Options{LibraryPath: testLibrary(b), Device: DeviceCPU, Threads: 2, BatchSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	v := phantom([3]int{512, 512, 8})
	s, err := NewInteractive(m, v)
	if err != nil {
		b.Fatal(err)
	}
	label := make([]uint8, s.SliceLen())
	clicks := Clicks{Positive: [][2]float64{{200.5, 220.5}}, Negative: [][2]float64{{300.5, 260.5}}}
	b.Run("redraw", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Redraw(b.Context(), 4, label, clicks); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("model", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := m.RunInto(b.Context(), s.input, 1, s.out); err != nil {
				b.Fatal(err)
			}
		}
	})
	mask := scan.NewMask(v.Dims)
	b.Run("labelslice", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s.LabelSlice(mask, 4)
		}
	})
}
