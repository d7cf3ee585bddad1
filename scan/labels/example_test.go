package labels_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"liverseg/scan"
	"liverseg/scan/labels"
)

// Load reads a label in whichever format it is — here a NIfTI file, written first from a small
// made-up CT — and aligns it to the CT it was drawn on; a label of another grid is an error
// wrapping scan.ErrGeometry.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "labels-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A CT of 4x3x2 voxels of 0.8x0.8x2.5 mm, and a liver of three voxels.
	ct := &scan.Volume{Dims: [3]int{4, 3, 2}, Spacing: [3]float64{0.8, 0.8, 2.5},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, Voxels: make([]int16, 24)}
	liver := scan.NewMask(ct.Dims)
	for _, o := range []int{5, 6, 17} {
		liver.Set(o, scan.Liver)
	}
	path := filepath.Join(dir, "liver.nii.gz")
	if err := labels.Write(path, labels.FormatNIfTI, ct, liver, scan.LabelMeta{}); err != nil {
		log.Fatal(err)
	}

	format, err := labels.Detect(path)
	if err != nil {
		log.Fatal(err)
	}
	m, err := labels.Load(path, ct, labels.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s label: %.4f ml of liver\n", format, scan.VolumeML(m, ct.VoxelVolumeML()))

	other := *ct
	other.Spacing[0] = 0.7
	_, err = labels.Load(path, &other, labels.Options{})
	fmt.Println("on another grid:", errors.Is(err, scan.ErrGeometry))
	// Output:
	// nifti label: 0.0048 ml of liver
	// on another grid: true
}
