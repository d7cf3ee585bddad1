// Package inference runs liverseg models in ONNX Runtime. This file finds and loads the ONNX
// Runtime shared library.
package inference

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"liverseg/internal/pyinterp"
)

// EnvORTLibrary names the ONNX Runtime shared library to load, when --ort-lib does not.
const EnvORTLibrary = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// EnvCache names the cache folder that scripts/setup.sh fills (ort/VERSION/libonnxruntime.so*,
// data/); default os.UserCacheDir()/liverseg.
const EnvCache = "LIVERSEG_CACHE"

// ErrNoLibrary is wrapped by FindLibrary's error when no candidate exists at all.
var ErrNoLibrary = errors.New("no ONNX Runtime shared library found")

// LibrarySearch says where FindLibrary looks, in this order: Explicit (the --ort-lib flag), the
// ONNXRUNTIME_SHARED_LIBRARY_PATH variable, the onnxruntime/capi folder of the Python interpreter
// (Python, else the candidates of pyinterp.Candidates), then the setup's cache folder: the CUDA
// build of make setup-gpu (ort-cuda/lib) where an NVIDIA device exists, else ort/VERSION.
type LibrarySearch struct {
	Explicit string
	Python   string
	CacheDir string              // "" = CacheDir()
	Getenv   func(string) string // nil = os.Getenv
	// SkipPython leaves the Python step out (it starts an interpreter: about a second).
	SkipPython bool
	// ExeDir is the folder of the running program ("" = that of os.Executable()): a desktop
	// package (scripts/package.sh) carries the library in ExeDir/../lib/liverseg/.
	ExeDir string
	// NVIDIADevice says whether an NVIDIA GPU is there, to prefer the cache's CUDA build
	// (nil = whether a /dev/nvidia0-like device node exists).
	NVIDIADevice func() bool
}

func (s LibrarySearch) nvidiaDevice() bool {
	if s.NVIDIADevice != nil {
		return s.NVIDIADevice()
	}
	return nvidiaDevicePresent()
}

// bundledLibrary is the library a desktop package carries beside the program, or "".
func (s LibrarySearch) bundledLibrary() string {
	dir := s.ExeDir
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return ""
		}
		if exe, err = filepath.EvalSymlinks(exe); err != nil {
			return ""
		}
		dir = filepath.Dir(exe)
	}
	lib := filepath.Join(dir, "..", "lib", "liverseg", "libonnxruntime.so")
	if st, err := os.Stat(lib); err == nil && st.Mode().IsRegular() && st.Size() > 0 {
		return filepath.Clean(lib)
	}
	return ""
}

func (s LibrarySearch) getenv(k string) string {
	if s.Getenv != nil {
		return s.Getenv(k)
	}
	return os.Getenv(k)
}

// Library is a shared library FindLibrary chose, and why.
type Library struct {
	Path   string `json:"path"`
	Source string `json:"source"` // "--ort-lib", "ONNXRUNTIME_SHARED_LIBRARY_PATH", "package", "python PATH", "cache"
}

// CacheDir is the folder scripts/setup.sh fills: $LIVERSEG_CACHE, else os.UserCacheDir()/liverseg.
func CacheDir() (string, error) { return cacheDir(os.Getenv) }

// PACSCacheDir is where series retrieved from a PACS are kept (`liverseg pacs get`, the GUI's
// Open from PACS): the cache folder's pacs/, which both find again without asking.
func PACSCacheDir() (string, error) {
	d, err := CacheDir()
	if err != nil {
		return "", fmt.Errorf("PACS cache: no cache folder: %w", err)
	}
	return filepath.Join(d, "pacs"), nil
}

func cacheDir(getenv func(string) string) (string, error) {
	if d := getenv(EnvCache); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "liverseg"), nil
}

// FindLibrary picks the ONNX Runtime shared library. A path given by the flag or the variable is
// taken as it is (an error if it does not exist: what the user named is never silently replaced);
// the Python and cache steps are skipped when they find nothing.
func FindLibrary(ctx context.Context, s LibrarySearch) (Library, error) {
	if s.Explicit != "" {
		return Library{Path: s.Explicit, Source: "--ort-lib"}, checkExists(s.Explicit)
	}
	if p := s.getenv(EnvORTLibrary); p != "" {
		return Library{Path: p, Source: EnvORTLibrary}, checkExists(p)
	}
	if lib := s.bundledLibrary(); lib != "" {
		return Library{Path: lib, Source: "package"}, nil
	}
	var tried []string
	if !s.SkipPython {
		pythons := []string{s.Python}
		if s.Python == "" {
			pythons = nil
			for _, c := range pyinterp.Candidates("", s.getenv) {
				pythons = append(pythons, c.Path)
			}
		}
		for _, py := range pythons {
			lib, err := pythonORTLibrary(ctx, py)
			if err == nil {
				return Library{Path: lib, Source: "python " + py}, nil
			}
			tried = append(tried, err.Error())
		}
	}
	dir := s.CacheDir
	if dir == "" {
		d, err := cacheDir(s.getenv)
		if err != nil {
			tried = append(tried, "cache: "+err.Error())
		}
		dir = d
	}
	if dir != "" {
		// make setup-gpu's CUDA build first, where there is an NVIDIA device to run it on.
		if lib := filepath.Join(dir, "ort-cuda", "lib", "libonnxruntime.so"); s.nvidiaDevice() {
			if st, err := os.Stat(lib); err == nil && st.Mode().IsRegular() && st.Size() > 0 {
				return Library{Path: lib, Source: "cache (CUDA build)"}, nil
			}
		}
		if lib := cachedLibrary(dir); lib != "" {
			return Library{Path: lib, Source: "cache"}, nil
		}
		tried = append(tried, filepath.Join(dir, "ort", "*", "libonnxruntime.so*")+": none")
	}
	return Library{}, fmt.Errorf("%w (set --ort-lib or %s, or run scripts/setup.sh); tried: %s",
		ErrNoLibrary, EnvORTLibrary, strings.Join(tried, "; "))
}

// nvidiaDevicePresent says whether an NVIDIA GPU device node exists.
func nvidiaDevicePresent() bool {
	nodes, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return len(nodes) > 0
}

// checkExists gives "PATH: reason" when path does not name a file. A bare name ("libonnxruntime.so")
// is left to the dynamic loader's search.
func checkExists(path string) error {
	if !strings.ContainsRune(path, '/') {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return pathErr(path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s: is a folder, not the ONNX Runtime shared library", path)
	}
	return nil
}

// pathErr names path once: "PATH: reason", wrapping the reason.
func pathErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// pythonORTLibrary asks python where its onnxruntime package is and returns the
// libonnxruntime.so* in its capi folder (pip wheels of some versions carry none).
func pythonORTLibrary(ctx context.Context, python string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", "import onnxruntime,os;print(os.path.dirname(onnxruntime.__file__))")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("python %s: no onnxruntime package (%s)", python, lastLine(stderr.String(), err))
	}
	capi := filepath.Join(strings.TrimSpace(string(out)), "capi")
	libs, _ := filepath.Glob(filepath.Join(capi, "libonnxruntime.so*"))
	if len(libs) == 0 {
		return "", fmt.Errorf("python %s: no libonnxruntime.so* in %s", python, capi)
	}
	return preferLibrary(libs), nil
}

// cachedLibrary returns the library of the newest version under dir/ort, or "".
func cachedLibrary(dir string) string {
	versions, _ := filepath.Glob(filepath.Join(dir, "ort", "*"))
	sort.Slice(versions, func(i, j int) bool {
		return versionLess(filepath.Base(versions[j]), filepath.Base(versions[i]))
	})
	for _, v := range versions {
		libs, _ := filepath.Glob(filepath.Join(v, "libonnxruntime.so*"))
		var ok []string
		for _, l := range libs {
			if st, err := os.Stat(l); err == nil && st.Mode().IsRegular() {
				ok = append(ok, l)
			}
		}
		if len(ok) > 0 {
			return preferLibrary(ok)
		}
	}
	return ""
}

// preferLibrary picks libonnxruntime.so where it exists, else the shortest name (.so.1 before
// .so.1.30.0).
func preferLibrary(libs []string) string {
	sort.Slice(libs, func(i, j int) bool {
		if len(libs[i]) != len(libs[j]) {
			return len(libs[i]) < len(libs[j])
		}
		return libs[i] < libs[j]
	})
	return libs[0]
}

// versionLess compares dotted versions numerically ("1.9.0" < "1.30.0"); other names sort by text.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea != nil || eb != nil {
			if pa[i] != pb[i] {
				return pa[i] < pb[i]
			}
			continue
		}
		if na != nb {
			return na < nb
		}
	}
	return len(pa) < len(pb)
}

// Runtime is ONNX Runtime loaded into this process.
//
// onnxruntime_go keeps one environment per process in its own globals, so a process loads one
// library, once: the first successful Load initialises the environment, later Loads of the same
// file return the same Runtime, and Loads of another file fail. The environment lives until the
// process ends. loaded below is the only state of ours around it; a failed Load leaves nothing
// behind, so a later Load can try another path.
type Runtime struct {
	path string // as given to Load
	real string // symlinks resolved, to compare
	lib  *ortLib
}

// loaded is package state on purpose: it mirrors onnxruntime_go's process-wide environment
// (ort.SetSharedLibraryPath and ort.InitializeEnvironment are globals of that package, and
// ONNX Runtime's API is initialised once per process), so a value of ours could not hold it.
// No test replaces it.
var loaded struct {
	mu sync.Mutex
	rt *Runtime
}

// Load loads the ONNX Runtime shared library at path and initialises onnxruntime_go's
// environment. Errors name the path: "PATH: reason"; a missing or wrong file is an error, never a
// panic, and a damaged one (ErrBadLibrary) is refused before dlopen maps it.
func Load(path string) (*Runtime, error) {
	if path == "" {
		return nil, errors.New("no ONNX Runtime library path given")
	}
	if err := checkExists(path); err != nil {
		return nil, err
	}
	// Before anything else, so that a damaged file says so whether or not a library is loaded.
	if err := checkLibraryFile(path); err != nil {
		return nil, err
	}
	real := path
	if r, err := filepath.EvalSymlinks(path); err == nil {
		real = r
	}
	loaded.mu.Lock()
	defer loaded.mu.Unlock()
	if rt := loaded.rt; rt != nil {
		if rt.real == real {
			return rt, nil
		}
		return nil, fmt.Errorf("%s: ONNX Runtime is already loaded from %s, and a process can load only one", path, rt.path)
	}
	pinMmapThreshold()
	lib, err := openORT(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		lib.close()
		return nil, fmt.Errorf("%s: initialising ONNX Runtime %s: %w", path, lib.version, err)
	}
	loaded.rt = &Runtime{path: path, real: real, lib: lib}
	return loaded.rt, nil
}

// Path is the library file, as given to Load.
func (rt *Runtime) Path() string { return rt.path }

// Version is ONNX Runtime's version string, say "1.30.0".
func (rt *Runtime) Version() string { return ort.GetVersion() }

// Providers lists the execution providers compiled into the library, say
// [CPUExecutionProvider]. A CUDA build lists CUDAExecutionProvider even where CUDA is missing:
// CUDA tells whether it can be used.
func (rt *Runtime) Providers() ([]string, error) { return rt.lib.providers() }

// CUDAStatus says whether the CUDA execution provider can be used, and if not, why.
type CUDAStatus struct {
	Usable  bool     `json:"usable"`
	Reasons []string `json:"reasons"` // each fact against CUDA; empty when usable
}

// CUDA checks what the CUDA execution provider needs: the provider in this build, the provider
// library and CUDA libraries loadable (ONNX Runtime loads them when the provider is appended to
// session options), the CUDA runtime and cuDNN known to the loader, and an NVIDIA device node.
func (rt *Runtime) CUDA(ctx context.Context) CUDAStatus {
	var reasons []string
	providers, err := rt.Providers()
	missing := rt.missingProviderLibraries()
	switch {
	case err != nil:
		reasons = append(reasons, err.Error())
	case !contains(providers, "CUDAExecutionProvider"):
		reasons = append(reasons, fmt.Sprintf("this ONNX Runtime build has no CUDA provider (it has %s); point --ort-lib at a CUDA build", strings.Join(providers, ", ")))
	case len(missing) > 0:
		reasons = append(reasons, fmt.Sprintf("this ONNX Runtime build has a CUDA provider, but %s%s not beside %s (the setup takes only the core from npm; ../shared/gpu/fetch-ort-cuda.sh fetches a CUDA build)",
			strings.Join(missing, " and "), isOrAre(len(missing)), rt.path))
	default:
		if err := tryAppendCUDA(); err != nil {
			reasons = append(reasons, "the CUDA provider does not load: "+oneLine(err.Error()))
		}
	}
	libs := loaderLibraries(ctx)
	for _, want := range []struct{ name, what string }{{"libcudart.so", "the CUDA runtime"}, {"libcudnn.so", "cuDNN"}} {
		if !hasLibrary(libs, want.name) {
			reasons = append(reasons, fmt.Sprintf("%s (%s*) not found by ldconfig -p or in LD_LIBRARY_PATH", want.what, want.name))
		}
	}
	if !nvidiaDevicePresent() {
		reasons = append(reasons, "no NVIDIA GPU device (/dev/nvidia0 and the like are missing)")
	}
	return CUDAStatus{Usable: len(reasons) == 0, Reasons: reasons}
}

// missingProviderLibraries lists the CUDA provider's libraries that are not in the folder of the
// core library, where ONNX Runtime looks for them.
func (rt *Runtime) missingProviderLibraries() []string {
	var missing []string
	for _, name := range []string{"libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"} {
		found := false
		for _, dir := range []string{filepath.Dir(rt.path), filepath.Dir(rt.real)} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				found = true
			}
		}
		if !found {
			missing = append(missing, name)
		}
	}
	return missing
}

func isOrAre(n int) string {
	if n == 1 {
		return " is"
	}
	return " are"
}

func tryAppendCUDA() error {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return err
	}
	defer so.Destroy()
	co, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer co.Destroy()
	return so.AppendExecutionProviderCUDA(co)
}

// loaderLibraries lists the file names the dynamic loader can find: ldconfig's cache and the
// folders of LD_LIBRARY_PATH.
func loaderLibraries(ctx context.Context) []string {
	var names []string
	for _, ldconfig := range []string{"ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"} {
		p, err := exec.LookPath(ldconfig)
		if err != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := exec.CommandContext(cctx, p, "-p").Output()
		cancel()
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 0 && strings.HasPrefix(f[0], "lib") {
				names = append(names, f[0])
			}
		}
		break
	}
	for _, dir := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
		if dir == "" {
			continue
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			names = append(names, e.Name())
		}
	}
	return names
}

func hasLibrary(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// RuntimeInfo is what doctor reports about ONNX Runtime.
type RuntimeInfo struct {
	Library
	Version   string     `json:"version"`
	Providers []string   `json:"providers"`
	CUDA      CUDAStatus `json:"cuda"`
}

// Probe finds, loads and describes ONNX Runtime. The Library is filled in as far as the search
// got, also on error.
func Probe(ctx context.Context, s LibrarySearch) (RuntimeInfo, error) {
	lib, err := FindLibrary(ctx, s)
	info := RuntimeInfo{Library: lib}
	if err != nil {
		return info, err
	}
	rt, err := Load(lib.Path)
	if err != nil {
		return info, err
	}
	info.Version = rt.Version()
	info.Providers, err = rt.Providers()
	if err != nil {
		return info, fmt.Errorf("%s: %w", lib.Path, err)
	}
	info.CUDA = rt.CUDA(ctx)
	return info, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lastLine is the last non-empty line of a child's stderr, else err's text.
func lastLine(stderr string, err error) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return err.Error()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
