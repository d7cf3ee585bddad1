package scan_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"liverseg/scan"
)

// LoadVolume reads the one CT series under a folder, a DICOMDIR or a file of it, as HU voxels in
// the files' own voxel order with the geometry that places them (LPS, mm). This example is
// compiled, not run: it needs a DICOM series, and the test data (LIVERSEG_DATA) is not in the
// repository; scan's tests load IRCAD's cases the same way.
func ExampleLoadVolume() {
	dir := filepath.Join(os.Getenv("LIVERSEG_DATA"), "ct", "ircad", "3Dircadb1.7", "PATIENT_DICOM")
	v, err := scan.LoadVolume(context.Background(), dir, "", func(done, total int) {
		fmt.Printf("\r%d/%d slices", done, total)
	})
	switch {
	case errors.Is(err, scan.ErrNoSeries):
		log.Fatalf("%s holds no image series", dir)
	case errors.Is(err, scan.ErrCompressed):
		log.Fatalf("%v (convert it to an uncompressed or image-compressed syntax)", err)
	case err != nil:
		log.Fatal(err) // the error names the file
	}
	lo, hi := scan.HURange(v)
	fmt.Printf("\n%s: %s voxels of %.3gx%.3gx%.3g mm, HU %d..%d\n", v.Series.Path, scan.DimsString(v.Dims),
		v.Spacing[0], v.Spacing[1], v.Spacing[2], lo, hi)
	for _, w := range v.Warnings {
		fmt.Println("warning:", w) // slices left out, gaps, duplicate UIDs...
	}
}
