package scan

import (
	"context"
	"testing"
)

// BenchmarkLoadIRCAD7 is discovery plus HU loading of a 151-slice 512x512 series; bench/
// compares the same work with pydicom + numpy in one run.
func BenchmarkLoadIRCAD7(b *testing.B) {
	dir := ircad(b, "7", "PATIENT_DICOM")
	b.SetBytes(512 * 512 * 2 * 151)
	for i := 0; i < b.N; i++ {
		if _, err := LoadVolume(context.Background(), dir, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiscoverIRCAD7 is the header pass alone: what opening a folder costs before pixels.
func BenchmarkDiscoverIRCAD7(b *testing.B) {
	dir := ircad(b, "7", "PATIENT_DICOM")
	for i := 0; i < b.N; i++ {
		if _, err := Discover(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaskFolderIRCAD7 reads the 151-file liver mask onto its volume.
func BenchmarkMaskFolderIRCAD7(b *testing.B) {
	v, err := LoadVolume(context.Background(), ircad(b, "7", "PATIENT_DICOM"), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	dir := ircad(b, "7", "MASKS_DICOM/liver")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ReadMaskFolder(dir, v); err != nil {
			b.Fatal(err)
		}
	}
}
