package main

import (
	"context"
	"runtime/debug"
	"testing"

	"liverseg/internal/testenv"
)

// TestMeasureCase7 runs the whole measurement on IRCAD case 7 (its truth as the prediction too)
// and checks what the table relies on: every figure measured, SEG and NIfTI back voxel-identical,
// the undo history of 1000 strokes within the 50 MB, the three labels compact.
func TestMeasureCase7(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a CT and writes labels")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100)) // measure sets the process's pace
	series, truth := testenv.IRCAD(t, 7, "PATIENT_DICOM"), testenv.IRCAD(t, 7, "MASKS_DICOM", "liver")
	row, err := measure(context.Background(), series, truth, "")
	if err != nil {
		t.Fatal(err)
	}
	if row.Slices != 151 || !row.RoundTrip {
		t.Errorf("slices %d, round trip %v", row.Slices, row.RoundTrip)
	}
	for name, v := range map[string]float64{"load_s": row.LoadS, "next_slice_ms": row.NextSliceMS, "brush_ms": row.BrushMS,
		"undo_ms": row.UndoMS, "snapshot_ms": row.SnapshotMS, "save_version_s": row.SaveVersionS,
		"seg_write_s": row.SEGWriteS, "nifti_write_s": row.NIfTIWriteS, "undo_1000_mb": row.Undo1000MB} {
		if !(v > 0) {
			t.Errorf("%s = %v", name, v)
		}
	}
	if row.Undo1000MB > 50 {
		t.Errorf("1000 strokes hold %.1f MB of undo history", row.Undo1000MB)
	}
	// Three labels of case 7 held densely are 3 x 39.6 MB.
	if row.LabelsMB > 30 {
		t.Errorf("the three labels hold %.1f MB", row.LabelsMB)
	}
}
