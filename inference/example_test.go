package inference_test

import (
	"context"
	"fmt"
	"log"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/scan"
)

// Segment is the one pipeline from a CT volume to a liver mask: load the series, open a model
// (ONNX Runtime is found and loaded as `liverseg segment` finds it: --ort-lib, then
// $ONNXRUNTIME_SHARED_LIBRARY_PATH, python's onnxruntime, the setup's cache), segment. The
// example needs the ONNX Runtime library and a CT series, so it is compiled but not run.
func ExampleSegment() {
	ctx := context.Background()
	v, err := scan.LoadVolume(ctx, "3Dircadb1.7/PATIENT_DICOM", "", nil) // a folder, DICOMDIR or file
	if err != nil {
		log.Fatal(err)
	}

	// The model built into liverseg, written once to the cache folder; any stamped .onnx will do.
	cache, err := inference.CacheDir()
	if err != nil {
		log.Fatal(err)
	}
	modelPath, err := assets.DefaultModelFile(cache)
	if err != nil {
		log.Fatal(err)
	}
	m, err := inference.OpenModel(ctx, modelPath, inference.Options{Device: inference.DeviceAuto})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	mask, prob, tm, err := inference.Segment(ctx, m, v, func(done, total int) {
		fmt.Printf("\r%d/%d slices", done, total)
	})
	if err != nil {
		log.Fatal(err)
	}
	liver := mask.Count()
	fmt.Printf("\nliver %.0f mL on %s in %.1f s; probability map %v\n",
		float64(liver)*v.VoxelVolumeML(), m.Provider(), tm.Infer+tm.Post, prob.Dims)
}
