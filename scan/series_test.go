package scan

import (
	"context"
	"math"
	"testing"
)

func TestLoadIRCAD(t *testing.T) {
	tests := []struct {
		patient      string
		slices       int
		pixel, step  float64
		huMin, huMax int16
	}{
		{"7", 151, 0.782, 1.6, -1023, 1024},
		{"1", 129, 0.57, 1.6, 0, 0},
		{"17", 119, 0.743, 1.6, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.patient, func(t *testing.T) {
			v, err := LoadVolume(context.Background(), ircad(t, tc.patient, "PATIENT_DICOM"), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.Dims != [3]int{512, 512, tc.slices} {
				t.Errorf("dims %v, want 512x512x%d", v.Dims, tc.slices)
			}
			if math.Abs(v.Spacing[0]-tc.pixel) > 0.001 || math.Abs(v.Spacing[2]-tc.step) > 0.001 {
				t.Errorf("spacing %v, want %.3f pixels and %.1f step", v.Spacing, tc.pixel, tc.step)
			}
			lo, hi := HURange(v)
			if tc.huMin != 0 && (lo != tc.huMin || hi != tc.huMax) {
				t.Errorf("HU %d..%d, want %d..%d", lo, hi, tc.huMin, tc.huMax)
			}
			if len(v.Warnings) != 0 {
				t.Errorf("warnings: %v", v.Warnings)
			}
		})
	}
}
