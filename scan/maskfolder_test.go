package scan

import (
	"context"
	"errors"
	"math"
	"testing"
)

func TestReadMaskFolderIRCAD(t *testing.T) {
	tests := []struct {
		patient string
		ml      float64
		slices  int
	}{
		{"1", 1489, 98},
		{"7", 1430, 98},
		{"17", 1861, 113},
	}
	for _, tc := range tests {
		t.Run(tc.patient, func(t *testing.T) {
			v, err := LoadVolume(context.Background(), ircad(t, tc.patient, "PATIENT_DICOM"), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ReadMaskFolder(ircad(t, tc.patient, "MASKS_DICOM/liver"), v)
			if err != nil {
				t.Fatal(err)
			}
			ml := VolumeML(m, v.VoxelVolumeML())
			if math.Abs(ml-tc.ml) > 0.01*tc.ml {
				t.Errorf("liver %.0f ml, want about %.0f", ml, tc.ml)
			}
			withLiver := 0
			for k := 0; k < m.Dims[2]; k++ {
				for _, x := range m.SliceInto(k, nil) {
					if x != 0 {
						withLiver++
						break
					}
				}
			}
			if withLiver != tc.slices {
				t.Errorf("liver on %d slices, want %d", withLiver, tc.slices)
			}
		})
	}
}

func TestReadMaskFolderWrongVolume(t *testing.T) {
	v1, err := LoadVolume(context.Background(), ircad(t, "1", "PATIENT_DICOM"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadMaskFolder(ircad(t, "7", "MASKS_DICOM/liver"), v1)
	if !errors.Is(err, ErrGeometry) {
		t.Fatalf("mask of case 7 on case 1: err = %v, want ErrGeometry", err)
	}
	t.Log(err)
}
