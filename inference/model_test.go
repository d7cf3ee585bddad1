package inference

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"liverseg/internal/testenv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// exported caches the U-Nets exported by testdata/export_unet.py during one test run: an export
// takes a second or two.
var exported struct {
	mu    sync.Mutex
	dir   string
	paths map[string]string
}

// requireTorch is the setup's Python with torch and numpy, which export_unet.py needs
// (testenv: skipped without it, failed in CI).
func requireTorch(t testing.TB) string {
	t.Helper()
	return testenv.Python(t, "torch, numpy")
}

// exportUNet exports a seeded, untrained U-Net with export_unet.py's flags and returns the path
// of the .onnx file (without liverseg metadata unless args add --meta). The file is shared by
// the tests of this run: copy it before changing it.
func exportUNet(t testing.TB, args ...string) string {
	t.Helper()
	py := requireTorch(t)
	exported.mu.Lock()
	defer exported.mu.Unlock()
	if exported.paths == nil {
		d, err := os.MkdirTemp("", "liverseg-unet-")
		if err != nil {
			t.Fatal(err)
		}
		exported.dir, exported.paths = d, map[string]string{}
	}
	key := strings.Join(args, " ")
	if p, ok := exported.paths[key]; ok {
		return p
	}
	out := filepath.Join(exported.dir, "m"+itoa(len(exported.paths))+".onnx")
	full := append([]string{filepath.Join("testdata", "export_unet.py"), out}, args...)
	for i, a := range full {
		if a == "REF" {
			full[i] = strings.TrimSuffix(out, ".onnx")
		}
	}
	cmd := exec.Command(py, full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("export_unet.py %v: %v\n%s", args, err, stderr.String())
	}
	exported.paths[key] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exported.dir != "" {
		os.RemoveAll(exported.dir)
	}
	os.Exit(code)
}

func itoa(i int) string { return strconv.Itoa(i) }

// copyFile copies src into dir and returns the copy's path.
func copyFile(t testing.TB, src, dir string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// testContract is the contract of the small test U-Nets.
func testContract(channels, size int) Contract {
	c := DefaultContract()
	c.Channels, c.InputH, c.InputW = channels, size, size
	c.Version = "test-1"
	return c
}

// stampedUNet is a copy (in t's temp folder) of an exported U-Net with the contract stamped in.
func stampedUNet(t testing.TB, channels, base, size int, extra ...string) (string, Contract) {
	t.Helper()
	args := append([]string{"--channels", itoa(channels), "--base", itoa(base), "--size", itoa(size)}, extra...)
	p := copyFile(t, exportUNet(t, args...), t.TempDir())
	c := testContract(channels, size)
	if err := StampMetadata(t.Context(), p, c.Metadata()); err != nil {
		t.Fatal(err)
	}
	return p, c
}

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

// TestStampMetadata: stamping adds, replaces and deletes entries and keeps the rest byte for
// byte; ReadMetadata reads them back. Pure Go: a hand-made ModelProto.
func TestStampMetadata(t *testing.T) {
	var model []byte
	model = append(model, 0x08, 0x07) // ir_version 7
	model = appendBytesField(model, 2, []byte("pytorch"))
	model = appendBytesField(model, modelGraph, appendBytesField(nil, 1, []byte("node")))
	model = appendBytesField(model, modelMetadataProps, metadataEntry("liverseg.version", "old"))
	model = appendBytesField(model, modelMetadataProps, metadataEntry("other", "kept"))
	model = appendBytesField(model, modelMetadataProps, metadataEntry("liverseg.parent", "p0"))
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, model, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := StampMetadata(t.Context(), path, map[string]string{"liverseg.version": "new", "liverseg.channels": "3", "liverseg.parent": ""}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetadata(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"liverseg.version": "new", "liverseg.channels": "3", "other": "kept"}
	if len(got) != len(want) {
		t.Fatalf("metadata %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("metadata %v, want %v", got, want)
		}
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, model[:len(model)-len(appendBytesField(nil, modelMetadataProps, metadataEntry("liverseg.parent", "p0")))-
		len(appendBytesField(nil, modelMetadataProps, metadataEntry("other", "kept")))-
		len(appendBytesField(nil, modelMetadataProps, metadataEntry("liverseg.version", "old")))]) {
		t.Fatal("the fields before metadata_props changed")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after stamping, want 0600", st.Mode().Perm())
	}
	// Not a model: a clear error naming the file, and the file untouched.
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	os.WriteFile(bad, []byte("\xff\xff\xff garbage"), 0o644)
	if err := StampMetadata(t.Context(), bad, map[string]string{"a": "b"}); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "not an ONNX model") {
		t.Fatalf("stamping garbage: %v", err)
	}
}

// TestMetadataLastWins: a key appended twice (what a plain append of field 14 does) reads as
// its last value, in ONNX Runtime and in ReadMetadata alike.
func TestMetadataLastWins(t *testing.T) {
	testLibrary(t)
	p := exportUNet(t, "--channels", "1", "--base", "4", "--size", "32", "--levels", "2",
		"--meta", "liverseg.version=first", "--meta", "liverseg.version=second")
	if _, err := Load(testLibrary(t)); err != nil {
		t.Fatal(err)
	}
	md, err := ort.GetModelMetadata(p)
	if err != nil {
		t.Fatal(err)
	}
	defer md.Destroy()
	v, ok, err := md.LookupCustomMetadataMap("liverseg.version")
	if err != nil || !ok {
		t.Fatalf("ORT lookup: %q %v %v", v, ok, err)
	}
	mine, err := ReadMetadata(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if v != "second" || mine["liverseg.version"] != v {
		t.Fatalf("ORT reads %q, ReadMetadata %q, want both \"second\"", v, mine["liverseg.version"])
	}
}

// TestModelMatchesTorch: ONNX Runtime's logits equal PyTorch's on the same input within 1e-4.
func TestModelMatchesTorch(t *testing.T) {
	lib := testLibrary(t)
	src := exportUNet(t, "--channels", "3", "--base", "8", "--size", "64", "--ref", "REF")
	ref := strings.TrimSuffix(src, ".onnx")
	p := copyFile(t, src, t.TempDir())
	c := testContract(3, 64)
	if err := StampMetadata(t.Context(), p, c.Metadata()); err != nil {
		t.Fatal(err)
	}
	m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCPU, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.Contract(); got.Channels != 3 || got.InputH != 64 || got.InputW != 64 || got.Version != "test-1" {
		t.Fatalf("contract %+v", got)
	}
	if m.Provider() != ProviderCPU || m.CUDAReason() != "--device cpu" {
		t.Fatalf("provider %q, reason %q", m.Provider(), m.CUDAReason())
	}
	in, want := readF32(t, ref+".in.f32"), readF32(t, ref+".out.f32")
	got, err := m.Run(context.Background(), in, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d logits, torch gave %d", len(got), len(want))
	}
	maxd := 0.0
	for i := range got {
		maxd = math.Max(maxd, math.Abs(float64(got[i]-want[i])))
	}
	t.Logf("max |ORT - torch| = %.2g over %d logits", maxd, len(got))
	if maxd > 1e-4 {
		t.Fatalf("ORT and torch differ by %g", maxd)
	}
	// One slice at a time gives the same as the batch.
	one, err := m.Run(context.Background(), in[len(in)/2:], 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		if math.Abs(float64(one[i]-got[len(got)/2+i])) > 1e-5 {
			t.Fatalf("batch of 1 differs from batch of 2 at %d", i)
		}
	}
	// Wrong input length, cancelled context.
	if _, err := m.Run(context.Background(), in[:10], 1); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("short input: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Run(ctx, in, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
}

// TestOpenModelErrors: every broken model gives an error that names the file and says what is
// wrong.
func TestOpenModelErrors(t *testing.T) {
	lib := testLibrary(t)
	dir := t.TempDir()
	ctx := context.Background()
	opt := Options{LibraryPath: lib, Device: DeviceCPU, Threads: 1}
	good := exportUNet(t, "--channels", "3", "--base", "4", "--size", "32", "--levels", "2")
	data, _ := os.ReadFile(good)

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stamp := func(p string, c Contract) string {
		if err := StampMetadata(t.Context(), p, c.Metadata()); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := stamp(write("truncated.onnx", data), testContract(3, 32))
	tb, _ := os.ReadFile(truncated)
	os.WriteFile(truncated, tb[:len(tb)/2], 0o644)

	wrongOut := stamp(copyFile(t, exportUNet(t, "--channels", "3", "--base", "4", "--size", "32", "--levels", "2", "--break", "outputs"), t.TempDir()), testContract(3, 32))
	wrongName := stamp(copyFile(t, exportUNet(t, "--channels", "3", "--base", "4", "--size", "32", "--levels", "2", "--break", "names"), t.TempDir()), testContract(3, 32))

	cases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "none.onnx"), "no such file"},
		{"empty", write("empty.onnx", nil), "empty file"},
		{"garbage", write("garbage.onnx", []byte("\x0a\xff\xff\xff\xff\x0fnot onnx at all")), "not an ONNX model"},
		{"text", write("text.onnx", []byte("hello, this is a text file\n")), "not an ONNX model"},
		{"truncated", truncated, "not an ONNX model"},
		{"no metadata", write("plain.onnx", data), "no liverseg.contract"},
		{"wrong channels", stamp(write("ch1.onnx", data), testContract(1, 32)), "image is float32 [?,3,32,32], the contract"},
		{"wrong size", stamp(write("s64.onnx", data), testContract(3, 64)), "wants float32 [N,3,64,64]"},
		{"two outputs", wrongOut, "logits is float32 [?,2,32,32]"},
		{"input name", wrongName, `no input named "image" (it has input)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := OpenModel(ctx, tc.path, opt)
			if err == nil {
				m.Close()
				t.Fatalf("opened %s", tc.path)
			}
			if !strings.HasPrefix(err.Error(), tc.path+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q: ... %q", err, tc.path, tc.want)
			}
		})
	}
}

// TestDeviceFallback: with a CPU-only ONNX Runtime, auto runs on the CPU and says why CUDA was
// not used; cuda is an error that says why.
func TestDeviceFallback(t *testing.T) {
	lib := testLibrary(t)
	p, _ := stampedUNet(t, 3, 4, 32, "--levels", "2")
	rt, err := Load(lib)
	if err != nil {
		t.Fatal(err)
	}
	if rt.CUDA(context.Background()).Usable {
		t.Skip("CUDA is usable here: the fallback test needs a machine without it")
	}
	m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceAuto, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	reason := m.CUDAReason()
	if m.Provider() != ProviderCPU || reason == "" || reason == "--device cpu" {
		t.Fatalf("auto: provider %q, reason %q", m.Provider(), reason)
	}
	t.Logf("auto without CUDA: %s", reason)
	// The reason names what is missing: the provider in the build, its libraries, or CUDA itself.
	if !strings.Contains(reason, "CUDA provider") && !strings.Contains(reason, "libonnxruntime_providers_cuda.so") && !strings.Contains(reason, "CUDA session failed") {
		t.Fatalf("reason %q says nothing useful", reason)
	}
	_, err = OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCUDA})
	if err == nil || !strings.Contains(err.Error(), p+": --device cuda: CUDA cannot be used: "+reason) {
		t.Fatalf("cuda: %v", err)
	}
	if _, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: "gpu"}); err == nil || !strings.Contains(err.Error(), "auto, cpu or cuda") {
		t.Fatalf("device gpu: %v", err)
	}
}

func TestCUDAProviderOptions(t *testing.T) {
	o, err := CUDAProviderOptions(map[string]string{"use_tf32": "0"}, env(map[string]string{EnvCUDAOptions: "prefer_nhwc=,device_id=1"}))
	if err != nil {
		t.Fatal(err)
	}
	if o["use_tf32"] != "0" || o["device_id"] != "1" || o["cudnn_conv_algo_search"] != "HEURISTIC" {
		t.Fatalf("options %v", o)
	}
	if _, ok := o["prefer_nhwc"]; ok {
		t.Fatalf("an empty value should delete: %v", o)
	}
	if _, err := CUDAProviderOptions(nil, env(map[string]string{EnvCUDAOptions: "junk"})); err == nil {
		t.Fatal("junk accepted")
	}
}

// TestFindLibraryCUDABuild: the cache's CUDA build (make setup-gpu) comes first where an
// NVIDIA device exists, and is passed over where none does.
func TestFindLibraryCUDABuild(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache")
	touch(t, filepath.Join(cache, "ort", "1.30.0", "libonnxruntime.so"))
	touch(t, filepath.Join(cache, "ort-cuda", "lib", "libonnxruntime.so"))
	for _, gpu := range []bool{true, false} {
		got, err := FindLibrary(context.Background(), LibrarySearch{Getenv: env(nil), CacheDir: cache, SkipPython: true,
			NVIDIADevice: func() bool { return gpu }})
		want := filepath.Join(cache, "ort", "1.30.0", "libonnxruntime.so")
		if gpu {
			want = filepath.Join(cache, "ort-cuda", "lib", "libonnxruntime.so")
		}
		if err != nil || got.Path != want {
			t.Fatalf("gpu %v: %+v %v, want %s", gpu, got, err, want)
		}
	}
}

func TestShortORTError(t *testing.T) {
	err := errors.New("Error creating C session from file: /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory")
	want := "Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory"
	if got := shortORTError(err); got != want {
		t.Fatalf("got %q", got)
	}
	if got := shortORTError(errors.New("plain\nerror")); got != "plain error" {
		t.Fatalf("got %q", got)
	}
}

// TestRunFallsBackToCPU: with --device auto, a run that fails on CUDA moves the model to the
// CPU and runs again, and CUDAReason says why. A machine without CUDA stands in: the session is
// swapped for one of another model, which fails the run as a broken GPU would.
func TestRunFallsBackToCPU(t *testing.T) {
	lib := testLibrary(t)
	p, c := stampedUNet(t, 3, 4, 32, "--levels", "2")
	other, _ := stampedUNet(t, 1, 4, 32, "--levels", "2")
	m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceAuto, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	wrong, err := OpenModel(context.Background(), other, Options{LibraryPath: lib, Device: DeviceCPU, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.session.Destroy()
	m.session, wrong.session = wrong.session, nil
	m.provider, m.padBatch = ProviderCUDA, true
	m.mu.Unlock()
	in := make([]float32, 2*c.Channels*c.InputH*c.InputW)
	out, err := m.Run(context.Background(), in, 2)
	if err != nil {
		t.Fatalf("run after a CUDA failure: %v", err)
	}
	if len(out) != 2*c.InputH*c.InputW || m.Provider() != ProviderCPU || !strings.HasPrefix(m.CUDAReason(), "a CUDA run failed: ") {
		t.Fatalf("provider %q, reason %q", m.Provider(), m.CUDAReason())
	}
	// With --device cuda the same failure is an error.
	m2, _ := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCPU, Threads: 1})
	defer m2.Close()
	wrong2, _ := OpenModel(context.Background(), other, Options{LibraryPath: lib, Device: DeviceCPU, Threads: 1})
	m2.mu.Lock()
	m2.session.Destroy()
	m2.session, wrong2.session = wrong2.session, nil
	m2.provider, m2.opt.Device = ProviderCUDA, DeviceCUDA
	m2.mu.Unlock()
	if _, err := m2.Run(context.Background(), in, 2); err == nil || !strings.Contains(err.Error(), p+": running the model on CUDAExecutionProvider") {
		t.Fatalf("--device cuda: %v", err)
	}
}
