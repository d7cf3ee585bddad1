package inference

import (
	"math"
	"testing"

	"liverseg/scan"
)

func TestResizeHandComputed(t *testing.T) {
	src := []float32{
		0, 2, 4, 6,
		8, 10, 12, 14,
		16, 18, 20, 22,
		24, 26, 28, 30,
	}
	dst := make([]float32, 4)
	Resize(src, 4, 4, dst, 2, 2)
	// Halving with half-pixel centres averages each 2x2 block.
	want := []float32{5, 9, 21, 25}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("4x4 -> 2x2 = %v, want %v", dst, want)
		}
	}
	up := make([]float32, 4)
	Resize([]float32{0, 8}, 2, 1, up, 4, 1)
	// Output x maps to source (x+0.5)/2-0.5: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped).
	wantUp := []float32{0, 2, 6, 8}
	for i := range wantUp {
		if up[i] != wantUp[i] {
			t.Fatalf("1x2 -> 1x4 = %v, want %v", up, wantUp)
		}
	}
}

func TestInputHandComputed(t *testing.T) {
	// Two slices of 2x2, standard axial; window -200..300, 3 channels, no resizing.
	v := &scan.Volume{
		Voxels:    []int16{-1000, -200, 50, 300, 1000, 175, -75, 0},
		Dims:      [3]int{2, 2, 2},
		Spacing:   [3]float64{1, 1, 1},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	}
	c := Contract{Channels: 3, WindowLow: -200, WindowHigh: 300, InputH: 2, InputW: 2, Orientation: "LPS", Threshold: 0.5}
	p, err := NewPreprocessor(c, v)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, p.InputLen())
	p.Input(0, dst)
	s0 := []float32{0, 0, 0.5, 1}                                    // slice 0 windowed
	s1 := []float32{1, 0.75, 0.25, 0.4}                              // slice 1 windowed
	want := append(append(append([]float32{}, s0...), s0...), s1...) // k-1 clamps to 0
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Fatalf("input = %v, want %v", dst, want)
		}
	}
}

// TestRestoreInvertsInput: a probability that is the windowed input itself, restored, gives back
// the input slice on the volume grid, for a volume stored upside down.
func TestRestoreInvertsInput(t *testing.T) {
	v := &scan.Volume{
		Voxels:    make([]int16, 4*4*3),
		Dims:      [3]int{4, 4, 3},
		Spacing:   [3]float64{1, 1, 1},
		Direction: [3][3]float64{{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}},
	}
	for i := range v.Voxels {
		v.Voxels[i] = int16(-200 + (i*37)%500)
	}
	c := Contract{Channels: 1, WindowLow: -200, WindowHigh: 300, InputH: 4, InputW: 4, Orientation: "LPS", Threshold: 0.5}
	p, _ := NewPreprocessor(c, v)
	prob := scan.NewProb(v.Dims, p.Canonical)
	in := make([]float32, p.InputLen())
	for k := 0; k < p.Slices(); k++ {
		p.Input(k, in)
		p.Restore(k, in, prob)
	}
	got := prob.Voxels()
	for i, hu := range v.Voxels {
		want := uint8(math.Round(float64(hu+200) / 500 * 255))
		if d := int(got[i]) - int(want); d < -1 || d > 1 {
			t.Fatalf("voxel %d: restored %d, want %d", i, got[i], want)
		}
	}
}
