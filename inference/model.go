package inference

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// Names of the model's input and output (DESIGN.md, the model contract).
const (
	InputName  = "image"
	OutputName = "logits"
)

// Devices for Options.Device.
const (
	DeviceAuto = "auto" // CUDA where it works, else the CPU, saying why
	DeviceCPU  = "cpu"
	DeviceCUDA = "cuda" // CUDA or an error that says why not
)

// Providers as Model.Provider names them.
const (
	ProviderCPU  = "CPUExecutionProvider"
	ProviderCUDA = "CUDAExecutionProvider"
)

// EnvCUDAOptions adds or overrides CUDA provider options, as "key=value,key=value" (say
// "use_tf32=0,cudnn_conv_algo_search=EXHAUSTIVE"), after Options.CUDAOptions.
const EnvCUDAOptions = "LIVERSEG_CUDA_OPTIONS"

// DefaultCUDAOptions are the CUDA provider options liverseg sets unless told otherwise: heuristic
// convolution algorithms (the exhaustive search costs most of a second on the first run) and
// TF32 (about 20 % faster on an H100; logits move by about 1e-3).
func DefaultCUDAOptions() map[string]string {
	return map[string]string{
		"device_id":              "0",
		"cudnn_conv_algo_search": "HEURISTIC",
		"use_tf32":               "1",
		"prefer_nhwc":            "1",
	}
}

// Options say how to open a model.
type Options struct {
	LibraryPath string // ONNX Runtime library (--ort-lib); "" = FindLibrary's search
	Python      string // interpreter whose onnxruntime package FindLibrary may use (--python)
	Device      string // "auto" (also ""), "cpu" or "cuda"
	Threads     int    // CPU threads of the session; 0 = every core
	BatchSize   int    // slices per run; 0 = DefaultBatch(provider)
	// CPUBatchSize, where BatchSize is 0, is the batch on the CPU (a GUI that holds a volume
	// and its labels keeps the activations small: about 30 MB a slice of batch); 0 = DefaultBatch.
	CPUBatchSize int
	CUDAOptions  map[string]string // over DefaultCUDAOptions
}

// DefaultBatch is the number of slices per run where Options.BatchSize is 0.
func DefaultBatch(provider string) int {
	if provider == ProviderCUDA {
		return 32
	}
	return 8
}

// Model is an ONNX model of the liverseg contract in an ONNX Runtime session, created once and
// reused for every batch. Its methods may be called from several goroutines; runs are serialised.
type Model struct {
	path       string
	lib        Library
	rt         *Runtime
	contract   Contract
	meta       map[string]string
	opt        Options
	threads    int
	mu         sync.Mutex
	session    *ort.DynamicAdvancedSession
	provider   string
	cudaReason string
	padBatch   bool // run full batches only (CUDA: one shape, one algorithm search)
	fixedBatch int  // the model's batch dimension where it is fixed (exported without a dynamic N), else 0
	warmUp     time.Duration
	// overlapOnCPU overlaps Segment's stages on the CPU too, as on CUDA: the tests run the
	// CUDA pipeline on machines without a GPU.
	overlapOnCPU bool
}

// WarmUp is how long the first CUDA run took while opening the model (0 on the CPU).
func (m *Model) WarmUp() time.Duration { return m.warmUp }

// OpenModel loads ONNX Runtime (once per process), reads the contract from the model's metadata,
// checks its input and output against the contract and creates the session on the device that
// opt asks for. Errors name the file: "PATH: reason".
func OpenModel(ctx context.Context, path string, opt Options) (*Model, error) {
	switch opt.Device {
	case "":
		opt.Device = DeviceAuto
	case DeviceAuto, DeviceCPU, DeviceCUDA:
	default:
		return nil, fmt.Errorf("device %q: want auto, cpu or cuda", opt.Device)
	}
	if opt.BatchSize < 0 || opt.Threads < 0 {
		return nil, errors.New("batch size and threads must not be negative")
	}
	data, err := ReadModel(ctx, path)
	if err != nil {
		return nil, err
	}
	if _, err := modelFields(data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Fail on what the file says before ONNX Runtime spends time on it.
	meta, err := metadataOf(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c, err := ParseContract(meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	fixedBatch, err := checkIO(data, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lib, err := FindLibrary(ctx, LibrarySearch{Explicit: opt.LibraryPath, Python: opt.Python})
	if err != nil {
		return nil, err
	}
	rt, err := Load(lib.Path)
	if err != nil {
		return nil, err
	}
	m := &Model{path: path, lib: lib, rt: rt, opt: opt, threads: opt.Threads, fixedBatch: fixedBatch}
	if m.threads == 0 {
		m.threads = runtime.NumCPU()
	}
	if err := m.open(ctx, data); err != nil {
		return nil, err
	}
	// The contract as ONNX Runtime reads the metadata (the last value of a repeated key).
	ortMeta, err := sessionMetadata(m.session)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: reading metadata: %w", path, err)
	}
	if m.contract, err = ParseContract(ortMeta); err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.meta = ortMeta
	if m.provider == ProviderCUDA {
		// The first CUDA run loads kernels and picks convolution algorithms (a few hundred ms);
		// one batch of zeros here makes that part of opening the model, where it belongs, so
		// that inference times measure inference. It is reported as WarmUp.
		start := time.Now()
		n := m.BatchSize()
		in := make([]float32, n*m.contract.InputChannels()*m.contract.InputH*m.contract.InputW)
		if _, err := m.Run(ctx, in, n); err != nil && m.provider == ProviderCUDA {
			m.Close()
			return nil, fmt.Errorf("%s: first CUDA run: %w", path, err)
		}
		m.warmUp = time.Since(start)
	}
	return m, nil
}

// open creates the session: CUDA first where the device allows it, else the CPU.
func (m *Model) open(ctx context.Context, data []byte) error {
	if m.opt.Device != DeviceCPU {
		reason := m.cudaUnavailable()
		if reason == "" {
			s, err := m.newSession(data, true)
			if err == nil {
				m.session, m.provider, m.padBatch = s, ProviderCUDA, true
				return nil
			}
			reason = "creating a CUDA session failed: " + shortORTError(err)
			if missing := missingCUDALibraries(ctx); len(missing) > 0 {
				reason += " (not found by ldconfig -p or in LD_LIBRARY_PATH: " + strings.Join(missing, ", ") + ")"
			}
		}
		if m.opt.Device == DeviceCUDA {
			return fmt.Errorf("%s: --device cuda: CUDA cannot be used: %s", m.path, reason)
		}
		m.cudaReason = reason
	} else {
		m.cudaReason = "--device cpu"
	}
	s, err := m.newSession(data, false)
	if err != nil {
		return fmt.Errorf("%s: ONNX Runtime cannot load the model: %s", m.path, shortORTError(err))
	}
	m.session, m.provider = s, ProviderCPU
	return nil
}

// cudaUnavailable says why the CUDA provider cannot even be tried, or "".
func (m *Model) cudaUnavailable() string {
	providers, err := m.rt.Providers()
	if err != nil {
		return err.Error()
	}
	if !contains(providers, ProviderCUDA) {
		return fmt.Sprintf("the ONNX Runtime library %s has no CUDA provider (it has %s); point --ort-lib at a CUDA build (make setup-gpu)",
			m.rt.Path(), strings.Join(providers, ", "))
	}
	if missing := m.rt.missingProviderLibraries(); len(missing) > 0 {
		return fmt.Sprintf("%s%s missing beside %s (make setup-gpu fetches a complete CUDA build)",
			strings.Join(missing, " and "), isOrAre(len(missing)), m.rt.Path())
	}
	if !nvidiaDevicePresent() {
		return "no NVIDIA GPU device (/dev/nvidia0 and the like are missing: no GPU, or no driver)"
	}
	return ""
}

// missingCUDALibraries lists the CUDA libraries the CUDA provider needs that the dynamic loader
// does not know.
func missingCUDALibraries(ctx context.Context) []string {
	libs := loaderLibraries(ctx)
	var missing []string
	for _, want := range []string{"libcudart.so", "libcublasLt.so", "libcublas.so", "libcudnn.so"} {
		if !hasLibrary(libs, want) {
			missing = append(missing, want+"*")
		}
	}
	return missing
}

// shortORTError keeps what an ONNX Runtime error says, without its source location.
func shortORTError(err error) string {
	msg := oneLine(err.Error())
	if i := strings.LastIndex(msg, "] : "); i >= 0 {
		// "... [ONNXRuntimeError] : 1 : FAIL : Failed to load library X with error: Y"
		rest := msg[i+4:]
		if j := strings.Index(rest, " : "); j >= 0 {
			rest = rest[j+3:]
		}
		if j := strings.Index(rest, " : "); j >= 0 && j < 20 {
			rest = rest[j+3:]
		}
		msg = rest
	}
	return msg
}

// CUDAProviderOptions merges DefaultCUDAOptions, opt and LIVERSEG_CUDA_OPTIONS.
func CUDAProviderOptions(opt map[string]string, getenv func(string) string) (map[string]string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	o := DefaultCUDAOptions()
	for k, v := range opt {
		o[k] = v
	}
	if env := strings.TrimSpace(getenv(EnvCUDAOptions)); env != "" {
		for _, kv := range strings.Split(env, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%s: %q is not key=value", EnvCUDAOptions, kv)
			}
			o[k] = v
		}
	}
	for k, v := range o {
		if v == "" {
			delete(o, k)
		}
	}
	return o, nil
}

func (m *Model) newSession(data []byte, cuda bool) (*ort.DynamicAdvancedSession, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(m.threads); err != nil {
		return nil, err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll); err != nil {
		return nil, err
	}
	if !cuda {
		// The CPU arena keeps the largest batch's activations for the life of the session
		// (about 32 MB a slice of batch at 192x192); without it they go back after each run,
		// which costs no measurable time here and keeps a GUI that reviews a volume in budget.
		if err := so.SetCpuMemArena(false); err != nil {
			return nil, err
		}
	}
	if cuda {
		o, err := CUDAProviderOptions(m.opt.CUDAOptions, nil)
		if err != nil {
			return nil, err
		}
		co, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return nil, err
		}
		defer co.Destroy()
		if err := co.Update(o); err != nil {
			return nil, err
		}
		if err := so.AppendExecutionProviderCUDA(co); err != nil {
			return nil, err
		}
	}
	return ort.NewDynamicAdvancedSessionWithONNXData(data, []string{InputName}, []string{OutputName}, so)
}

func sessionMetadata(s *ort.DynamicAdvancedSession) (map[string]string, error) {
	md, err := s.GetModelMetadata()
	if err != nil {
		return nil, err
	}
	defer md.Destroy()
	keys, err := md.GetCustomMetadataMapKeys()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		v, ok, err := md.LookupCustomMetadataMap(k)
		if err != nil {
			return nil, err
		}
		if ok {
			out[k] = v
		}
	}
	return out, nil
}

// checkIO compares the graph's input image and output logits with the contract: float32,
// [N, C, H, W] and [N, 1, H, W]; a symbolic dimension passes. It returns N where the model fixes
// it (exported without a dynamic batch), else 0.
func checkIO(data []byte, c Contract) (int, error) {
	ins, outs, err := graphIO(data)
	if err != nil {
		return 0, err
	}
	find := func(list []tensorIO, name, what string) (tensorIO, error) {
		var names []string
		for _, t := range list {
			if t.name == name {
				return t, nil
			}
			names = append(names, t.name)
		}
		sort.Strings(names)
		return tensorIO{}, fmt.Errorf("%w: no %s named %q (it has %s)", ErrContract, what, name, strings.Join(names, ", "))
	}
	in, err := find(ins, InputName, "input")
	if err != nil {
		return 0, err
	}
	out, err := find(outs, OutputName, "output")
	if err != nil {
		return 0, err
	}
	check := func(t tensorIO, want []int64, wantS string) error {
		ok := t.isTensor && t.elemType == 1 && len(t.dims) == len(want)
		for i := 0; ok && i < len(want); i++ {
			ok = t.dims[i] < 0 || want[i] < 0 || t.dims[i] == want[i]
		}
		if !ok {
			typ := "float32"
			if t.elemType != 1 {
				typ = fmt.Sprintf("element type %d", t.elemType)
			}
			return fmt.Errorf("%w: %s is %s %s, the contract (%s=%d, %s=%d,%d) wants float32 %s",
				ErrContract, t.name, typ, t.shapeString(), KeyChannels, c.Channels, KeyInputSize, c.InputH, c.InputW, wantS)
		}
		return nil
	}
	h, w := int64(c.InputH), int64(c.InputW)
	if err := check(in, []int64{-1, int64(c.InputChannels()), h, w}, fmt.Sprintf("[N,%d,%d,%d]", c.InputChannels(), h, w)); err != nil {
		return 0, err
	}
	if err := check(out, []int64{-1, 1, h, w}, fmt.Sprintf("[N,1,%d,%d]", h, w)); err != nil {
		return 0, err
	}
	if n := in.dims[0]; n > 0 {
		return int(n), nil
	}
	return 0, nil
}

// Path is the model file.
func (m *Model) Path() string { return m.path }

// Contract is how the model wants its input, as its metadata says.
func (m *Model) Contract() Contract { return m.contract }

// Metadata is the model's metadata_props as ONNX Runtime reads them.
func (m *Model) Metadata() map[string]string {
	out := make(map[string]string, len(m.meta))
	for k, v := range m.meta {
		out[k] = v
	}
	return out
}

// Library is the ONNX Runtime library the model runs in, and where it was found.
func (m *Model) Library() Library { return m.lib }

// RuntimeVersion is the version of that library.
func (m *Model) RuntimeVersion() string { return m.rt.Version() }

// Provider is the execution provider the session runs on: CPUExecutionProvider or
// CUDAExecutionProvider.
func (m *Model) Provider() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.provider
}

// CUDAReason says why CUDA is not used ("--device cpu", no CUDA build, a failure...), "" when it is.
func (m *Model) CUDAReason() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cudaReason
}

// Threads is the number of CPU threads of the session.
func (m *Model) Threads() int { return m.threads }

// BatchSize is the number of slices Segment runs at once: the model's own where it fixes one.
func (m *Model) BatchSize() int {
	if m.fixedBatch > 0 {
		return m.fixedBatch
	}
	if m.opt.BatchSize > 0 {
		return m.opt.BatchSize
	}
	p := m.Provider()
	if p == ProviderCPU && m.opt.CPUBatchSize > 0 {
		return m.opt.CPUBatchSize
	}
	return DefaultBatch(p)
}

// Run runs n slices of input ([n, C, H, W] float32, already pre-processed) and returns their
// logits ([n, 1, H, W]). On CUDA with --device auto, a failed run moves the model to the CPU and
// runs again there: a CUDA failure never stops the job. ctx cancels a run in progress.
func (m *Model) Run(ctx context.Context, input []float32, n int) ([]float32, error) {
	c := m.contract
	out := make([]float32, n*c.InputH*c.InputW)
	if err := m.RunInto(ctx, input, n, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RunInto is Run writing the logits into out (n*H*W floats), without allocating them.
func (m *Model) RunInto(ctx context.Context, input []float32, n int, out []float32) error {
	c := m.contract
	if n <= 0 {
		return fmt.Errorf("%s: run of %d slices", m.path, n)
	}
	if m.fixedBatch > 0 && n != m.fixedBatch {
		return fmt.Errorf("%s: the model runs batches of exactly %d slices, not %d", m.path, m.fixedBatch, n)
	}
	if want := n * c.InputChannels() * c.InputH * c.InputW; len(input) != want {
		return fmt.Errorf("%s: input has %d values, %d slices of [%d,%d,%d] need %d", m.path, len(input), n, c.InputChannels(), c.InputH, c.InputW, want)
	}
	if len(out) < n*c.InputH*c.InputW {
		return fmt.Errorf("%s: output buffer of %d values for %d slices", m.path, len(out), n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.session == nil {
		return fmt.Errorf("%s: model is closed", m.path)
	}
	err := m.run(ctx, input, n, out)
	if err == nil || ctx.Err() != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil
	}
	if m.provider != ProviderCUDA || m.opt.Device != DeviceAuto {
		return fmt.Errorf("%s: running the model on %s: %s", m.path, m.provider, oneLine(err.Error()))
	}
	// CUDA failed mid-job: carry on with the CPU.
	data, rerr := ReadModel(ctx, m.path)
	if rerr != nil {
		return fmt.Errorf("%s: CUDA run failed (%s) and reopening on the CPU failed: %w", m.path, oneLine(err.Error()), rerr)
	}
	s, serr := m.newSession(data, false)
	if serr != nil {
		return fmt.Errorf("%s: CUDA run failed (%s) and the CPU session failed: %s", m.path, oneLine(err.Error()), oneLine(serr.Error()))
	}
	m.session.Destroy()
	m.session, m.provider, m.padBatch = s, ProviderCPU, false
	m.cudaReason = "a CUDA run failed: " + oneLine(err.Error())
	if err := m.run(ctx, input, n, out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s: running the model on %s: %s", m.path, m.provider, oneLine(err.Error()))
	}
	return nil
}

// run is one session run; the caller holds m.mu.
func (m *Model) run(ctx context.Context, input []float32, n int, out []float32) error {
	c := m.contract
	in, err := ort.NewTensor(ort.NewShape(int64(n), int64(c.InputChannels()), int64(c.InputH), int64(c.InputW)), input)
	if err != nil {
		return err
	}
	defer in.Destroy()
	ot, err := ort.NewTensor(ort.NewShape(int64(n), 1, int64(c.InputH), int64(c.InputW)), out)
	if err != nil {
		return err
	}
	defer ot.Destroy()
	ro, err := ort.NewRunOptions()
	if err != nil {
		return err
	}
	defer ro.Destroy()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			ro.Terminate()
		case <-done:
		}
	}()
	err = m.session.RunWithOptions([]ort.Value{in}, []ort.Value{ot}, ro)
	close(done)
	<-stopped
	return err
}

// Close releases the session. The ONNX Runtime library stays loaded for the process.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.session == nil {
		return nil
	}
	err := m.session.Destroy()
	m.session = nil
	return err
}
