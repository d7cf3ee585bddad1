package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/internal/atomicfile"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/scan/nifti"
)

// SegmentResult is what `liverseg segment --json` prints.
type SegmentResult struct {
	In           string        `json:"in"`
	Out          string        `json:"out,omitempty"`
	Format       string        `json:"format,omitempty"`
	Prob         string        `json:"prob,omitempty"`
	Model        string        `json:"model"`
	ModelVersion string        `json:"model_version"`
	Provider     string        `json:"provider"`
	CUDAReason   string        `json:"cuda_reason"` // why CUDA was not used; "" when it was
	Device       string        `json:"device"`
	ORTLibrary   string        `json:"ort_library"`
	ORTVersion   string        `json:"ort_version"`
	Threads      int           `json:"threads"`
	BatchSize    int           `json:"batch_size"`
	Dims         [3]int        `json:"dims"`
	LiverML      float64       `json:"liver_ml"`
	LoadS        float64       `json:"load_s"`   // reading the series and opening the model (at the same time)
	SeriesS      float64       `json:"series_s"` // reading the series
	ModelS       float64       `json:"model_s"`  // opening the model (ONNX Runtime session), warm-up included
	WarmUpS      float64       `json:"warmup_s"` // CUDA: the first run, on zeros, while opening the model
	InferS       float64       `json:"infer_s"`  // pre-processing, the model, restoring: preprocess_s + run_s + restore_s
	PreprocessS  float64       `json:"preprocess_s"`
	RunS         float64       `json:"run_s"`
	RestoreS     float64       `json:"restore_s"`
	PostS        float64       `json:"post_s"`
	WriteS       float64       `json:"write_s"`
	TotalS       float64       `json:"total_s"`
	Metrics      *scan.Metrics `json:"metrics,omitempty"` // with --truth: the figures of eval
	Warnings     []string      `json:"warnings"`          // the series' (slices left out, gaps), and --allow-gaps'
}

// Segment is `liverseg segment --in SERIES --out FILE`: the liver inferred by the model.
func Segment(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	start := time.Now()
	fs := newFlags("segment", "--in SERIES --out FILE [--model MODEL.onnx] [--device auto|cpu|cuda] [--truth LABEL] [--allow-gaps] [--json]", stderr)
	in := fs.String("in", "", "the CT series (folder, DICOMDIR or file)")
	uid := addSeriesUIDFlag(fs)
	out := fs.String("out", "", "the mask: .nii/.nii.gz, .dcm (DICOM SEG) or a folder (PNG stack); optional with --truth")
	format := addFormatFlag(fs)
	probOut := fs.String("prob", "", "also write the liver probability (0..255) as NIfTI (.nii or .nii.gz)")
	modelPath := fs.String("model", "", "the ONNX model (default: the model built into liverseg)")
	device := fs.String("device", inference.DeviceAuto, "auto (CUDA, else the CPU), cpu or cuda (CUDA or an error)")
	ortLib := addORTLibFlag(fs)
	python := addPythonFlag(fs)
	threads := fs.Int("threads", 0, "CPU threads (default: every core)")
	batch := fs.Int("batch", 0, "slices per model run (default: 8 on the CPU, 32 on CUDA)")
	truthPath := addTruthFlag(fs)
	perSlice := addPerSliceFlag(fs)
	author := addAuthorFlag(fs)
	allowGaps := addAllowGapsFlag(fs)
	asJSON := addJSONFlag(fs)
	lf := addLabelFlags(fs)
	if code, ok := parseOnlyFlags(fs, args, stderr); !ok {
		return code
	}
	if *in == "" {
		return usageError(stderr, fs, "--in is required")
	}
	if *out == "" && *truthPath == "" {
		return usageError(stderr, fs, "--out is required (or --truth, to score without writing)")
	}
	switch *device {
	case inference.DeviceAuto, inference.DeviceCPU, inference.DeviceCUDA:
	default:
		return usageError(stderr, fs, "--device %q: want auto, cpu or cuda", *device)
	}
	if *threads < 0 || *batch < 0 {
		return usageError(stderr, fs, "--threads and --batch must not be negative")
	}
	var outFormat labels.Format
	if *out != "" {
		f, err := labels.FormatForOutput(*out, *format)
		if err != nil {
			return usageError(stderr, fs, "%v", err)
		}
		outFormat = f
	}
	if *probOut != "" && !strings.HasSuffix(strings.ToLower(*probOut), ".nii") && !strings.HasSuffix(strings.ToLower(*probOut), ".nii.gz") {
		return usageError(stderr, fs, "--prob %s: the probability map is written as NIfTI (.nii or .nii.gz)", *probOut)
	}
	// Inputs that would block and outputs that cannot be written fail now, not after the inference.
	if err := checkInputs(*in, *truthPath); err != nil {
		return fail(stderr, err)
	}
	if *out != "" {
		if err := atomicfile.CheckWritable(*out, outFormat == labels.FormatPNG); err != nil {
			return fail(stderr, err)
		}
	}
	if *probOut != "" {
		if err := atomicfile.CheckWritable(*probOut, false); err != nil {
			return fail(stderr, err)
		}
	}
	model := *modelPath
	modelName := model
	if model == "" {
		p, err := defaultModelFile()
		if err != nil {
			return fail(stderr, err)
		}
		model, modelName = p, "(built-in) "+p
	}

	// The series and the model load at the same time.
	var (
		v               *scan.Volume
		m               *inference.Model
		vErr, mErr      error
		seriesS, modelS float64
		wg              sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		t0 := time.Now()
		v, vErr = loadSeries(ctx, *in, *uid, stderr)
		seriesS = time.Since(t0).Seconds()
	}()
	go func() {
		defer wg.Done()
		t0 := time.Now()
		m, mErr = inference.OpenModel(ctx, model, inference.Options{
			LibraryPath: *ortLib, Python: *python, Device: *device, Threads: *threads, BatchSize: *batch,
		})
		modelS = time.Since(t0).Seconds()
	}()
	wg.Wait()
	if m != nil {
		defer m.Close()
	}
	if vErr != nil {
		return fail(stderr, vErr)
	}
	if mErr != nil {
		return fail(stderr, mErr)
	}
	if outFormat == labels.FormatNIfTI || *probOut != "" {
		if err := checkGrid(v, *allowGaps, stderr); err != nil {
			return fail(stderr, err)
		}
	}
	loadS := time.Since(start).Seconds()

	bar := newProgress(stderr, "segmenting "+*in)
	mask, prob, tm, err := inference.Segment(ctx, m, v, bar.report())
	if err != nil {
		return fail(stderr, err)
	}
	c := m.Contract()
	res := SegmentResult{
		In: *in, Out: *out, Format: string(outFormat), Prob: *probOut, Model: modelName, ModelVersion: c.Version,
		Provider: m.Provider(), CUDAReason: m.CUDAReason(), Device: *device,
		ORTLibrary: m.Library().Path, ORTVersion: m.RuntimeVersion(), Threads: m.Threads(), BatchSize: tm.BatchSize,
		Dims: v.Dims, LiverML: scan.VolumeML(mask, v.VoxelVolumeML()),
		LoadS: loadS, SeriesS: seriesS, ModelS: modelS, WarmUpS: m.WarmUp().Seconds(),
		InferS: tm.Infer, PreprocessS: tm.Preprocess, RunS: tm.Run, RestoreS: tm.Restore, PostS: tm.Post,
	}

	t0 := time.Now()
	if *out != "" {
		meta := scan.LabelMeta{
			AlgorithmType: scan.AlgorithmAutomatic,
			AlgorithmName: "liverseg U-Net",
			ModelVersion:  c.Version,
			Author:        *author,
			Description:   "liver (liverseg segment)",
		}
		if err := labels.Write(*out, outFormat, v, mask, meta); err != nil {
			return fail(stderr, err)
		}
	}
	if *probOut != "" {
		if err := nifti.WriteProbability(*probOut, v, prob); err != nil {
			return fail(stderr, err)
		}
	}
	res.WriteS = time.Since(t0).Seconds()

	if *truthPath != "" {
		mt, err := scoreAgainst(*truthPath, v, mask, lf, *perSlice, stderr)
		if err != nil {
			return fail(stderr, err)
		}
		res.Metrics = mt
	}
	res.TotalS = time.Since(start).Seconds()
	res.Warnings = warnings(v)

	if *asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return fail(stderr, err)
		}
		return ExitOK
	}
	fmt.Fprintf(stdout, "liver       %.1f ml (%d x %d x %d voxels)\n", res.LiverML, v.Dims[0], v.Dims[1], v.Dims[2])
	fmt.Fprintf(stdout, "model       %s (version %s)\n", Printable(res.Model), Printable(orDash(res.ModelVersion)))
	if res.CUDAReason != "" {
		fmt.Fprintf(stdout, "provider    %s (CUDA not used: %s)\n", res.Provider, Printable(res.CUDAReason))
	} else {
		fmt.Fprintf(stdout, "provider    %s\n", res.Provider)
	}
	fmt.Fprintf(stdout, "runtime     ONNX Runtime %s, %s, %d threads, batch %d\n", Printable(res.ORTVersion), Printable(res.ORTLibrary), res.Threads, res.BatchSize)
	if *out != "" {
		fmt.Fprintf(stdout, "wrote       %s (%s)\n", Printable(*out), outFormat)
	}
	if *probOut != "" {
		fmt.Fprintf(stdout, "wrote       %s (probability, 0..255)\n", Printable(*probOut))
	}
	fmt.Fprintf(stdout, "seconds     load %.2f, infer %.2f (model %.2f), post %.2f, write %.2f, total %.2f\n",
		res.LoadS, res.InferS, res.RunS, res.PostS, res.WriteS, res.TotalS)
	if res.Metrics != nil {
		fmt.Fprintln(stdout)
		printMetrics(stdout, res.Metrics)
	}
	return ExitOK
}

// defaultModelFile is the built-in model as a file in the cache folder (ONNX Runtime reads the
// model from a file).
func defaultModelFile() (string, error) {
	dir, err := inference.CacheDir()
	if err != nil {
		return "", fmt.Errorf("built-in model: no cache folder: %w", err)
	}
	return assets.DefaultModelFile(dir)
}
