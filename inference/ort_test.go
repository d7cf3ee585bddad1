package inference

import (
	"context"
	"errors"
	"io/fs"
	"liverseg/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testLibrary is the ONNX Runtime library the tests load: testenv's
// (ONNXRUNTIME_SHARED_LIBRARY_PATH, which the test script sets), else the setup's cache, which
// testenv cannot search. Tests skip only when both are missing, except in CI, where they fail.
func testLibrary(t testing.TB) string {
	t.Helper()
	if os.Getenv(testenv.EnvORTLibrary) != "" {
		return testenv.ORTLibrary(t)
	}
	if dir, err := CacheDir(); err == nil {
		if lib := cachedLibrary(dir); lib != "" {
			return lib
		}
	}
	testenv.Missing(t, "no ONNX Runtime library: %s is unset and the cache (ort/*/libonnxruntime.so* under LIVERSEG_CACHE or ~/.cache/liverseg) has none; run scripts/setup.sh", testenv.EnvORTLibrary)
	return ""
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("not a library\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindLibraryOrder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	touch(t, filepath.Join(cache, "ort", "1.9.0", "libonnxruntime.so"))
	touch(t, filepath.Join(cache, "ort", "1.30.0", "libonnxruntime.so.1"))
	touch(t, filepath.Join(cache, "ort", "1.30.0", "libonnxruntime.so.1.30.0"))
	envLib := filepath.Join(dir, "env", "libonnxruntime.so")
	touch(t, envLib)
	flagLib := filepath.Join(dir, "flag", "libonnxruntime.so")
	touch(t, flagLib)
	pkgBin := filepath.Join(dir, "pkg", "bin")
	pkgLib := filepath.Join(dir, "pkg", "lib", "liverseg", "libonnxruntime.so")
	touch(t, pkgLib)

	cases := []struct {
		name       string
		s          LibrarySearch
		path, from string
	}{
		{"flag first", LibrarySearch{Explicit: flagLib, Getenv: env(map[string]string{EnvORTLibrary: envLib}), CacheDir: cache, SkipPython: true}, flagLib, "--ort-lib"},
		{"variable next", LibrarySearch{Getenv: env(map[string]string{EnvORTLibrary: envLib}), CacheDir: cache, SkipPython: true}, envLib, EnvORTLibrary},
		{"variable before the package", LibrarySearch{Getenv: env(map[string]string{EnvORTLibrary: envLib}), ExeDir: pkgBin, CacheDir: cache, SkipPython: true}, envLib, EnvORTLibrary},
		{"the package's own", LibrarySearch{Getenv: env(nil), ExeDir: pkgBin, CacheDir: cache, SkipPython: true}, pkgLib, "package"},
		{"newest cached version", LibrarySearch{Getenv: env(nil), CacheDir: cache, SkipPython: true}, filepath.Join(cache, "ort", "1.30.0", "libonnxruntime.so.1"), "cache"},
		{"LIVERSEG_CACHE", LibrarySearch{Getenv: env(map[string]string{EnvCache: cache}), SkipPython: true}, filepath.Join(cache, "ort", "1.30.0", "libonnxruntime.so.1"), "cache"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lib, err := FindLibrary(ctx, c.s)
			if err != nil {
				t.Fatal(err)
			}
			if lib.Path != c.path || lib.Source != c.from {
				t.Errorf("got %s from %s, want %s from %s", lib.Path, lib.Source, c.path, c.from)
			}
		})
	}

	t.Run("named but missing", func(t *testing.T) {
		missing := filepath.Join(dir, "nowhere", "libonnxruntime.so")
		for _, s := range []LibrarySearch{
			{Explicit: missing, CacheDir: cache, SkipPython: true},
			{Getenv: env(map[string]string{EnvORTLibrary: missing}), CacheDir: cache, SkipPython: true},
		} {
			_, err := FindLibrary(ctx, s)
			if err == nil || !strings.HasPrefix(err.Error(), missing+": ") || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v: want %q first and fs.ErrNotExist", err, missing)
			}
		}
	})
	t.Run("nothing", func(t *testing.T) {
		_, err := FindLibrary(ctx, LibrarySearch{Getenv: env(nil), CacheDir: filepath.Join(dir, "empty"), SkipPython: true})
		if !errors.Is(err, ErrNoLibrary) {
			t.Fatalf("error %v, want ErrNoLibrary", err)
		}
	})
}

// A fake interpreter stands in for a Python with the onnxruntime package.
func TestFindLibraryPython(t *testing.T) {
	dir := t.TempDir()
	pkg := filepath.Join(dir, "site", "onnxruntime")
	lib := filepath.Join(pkg, "capi", "libonnxruntime.so.1.30.0")
	touch(t, lib)
	py := filepath.Join(dir, "python3")
	if err := os.WriteFile(py, []byte("#!/bin/sh\necho "+pkg+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	touch(t, filepath.Join(cache, "ort", "1.30.0", "libonnxruntime.so"))
	got, err := FindLibrary(context.Background(), LibrarySearch{Python: py, Getenv: env(nil), CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != lib || got.Source != "python "+py {
		t.Errorf("got %+v, want %s from python", got, lib)
	}
	// A Python without onnxruntime is passed over for the cache.
	bad := filepath.Join(dir, "python-bad")
	if err := os.WriteFile(bad, []byte("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'onnxruntime'\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err = FindLibrary(context.Background(), LibrarySearch{Python: bad, Getenv: env(nil), CacheDir: cache})
	if err != nil || got.Source != "cache" {
		t.Errorf("got %+v, %v; want the cache", got, err)
	}
}

func TestVersionLess(t *testing.T) {
	for _, c := range [][2]string{{"1.9.0", "1.30.0"}, {"1.30.0", "1.30.1"}, {"1.30", "1.30.0"}, {"1.29.0", "2.0.0"}} {
		if !versionLess(c[0], c[1]) || versionLess(c[1], c[0]) {
			t.Errorf("versionLess(%s, %s) wrong", c[0], c[1])
		}
	}
}

// Wrong files give errors that name them; none panics. This runs before TestLoad loads the real
// library (tests run in file order), but holds either way.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "libonnxruntime.so")
	if err := os.WriteFile(garbage, []byte("\x7fELF but not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing", "libonnxruntime.so")
	cases := []struct {
		path, want string
	}{
		{missing, "no such file"},
		{garbage, "damaged library: "},
		{dir, "is a folder"},
	}
	// A real shared library that is not ONNX Runtime.
	for _, so := range []string{"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6"} {
		if _, err := os.Stat(so); err == nil {
			cases = append(cases, struct{ path, want string }{so, "not an ONNX Runtime library"})
			break
		}
	}
	for _, c := range cases {
		rt, err := Load(c.path)
		if err == nil {
			t.Errorf("Load(%s) = %v, want an error", c.path, rt)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.path+": ") {
			t.Errorf("Load(%s): error %q does not start with the path", c.path, err)
		}
		alreadyLoaded := strings.Contains(err.Error(), "already loaded")
		if !alreadyLoaded && !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%s): error %q, want it to say %q", c.path, err, c.want)
		}
	}
	if _, err := Load(""); err == nil {
		t.Error("Load(\"\") gave no error")
	}
}

func TestLoad(t *testing.T) {
	path := testLibrary(t)
	rt, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if v := rt.Version(); !strings.HasPrefix(v, "1.") {
		t.Errorf("version %q", v)
	}
	providers, err := rt.Providers()
	if err != nil {
		t.Fatal(err)
	}
	if !contains(providers, "CPUExecutionProvider") {
		t.Errorf("providers %v lack CPUExecutionProvider", providers)
	}
	t.Logf("%s: ONNX Runtime %s, providers %v", path, rt.Version(), providers)

	again, err := Load(path)
	if err != nil || again != rt {
		t.Errorf("second Load of the same file: %v, %v; want the same Runtime", again, err)
	}
	// Through a symlink, the same file is the same Runtime.
	link := filepath.Join(t.TempDir(), "libonnxruntime.so")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if again, err := Load(link); err != nil || again != rt {
		t.Errorf("Load through a symlink: %v, %v; want the same Runtime", again, err)
	}
	// Another file (a sound library), after one is loaded: an error naming both.
	other := copyFile(t, path, t.TempDir())
	if _, err := Load(other); err == nil || !strings.HasPrefix(err.Error(), other+": ") || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of another file: %v", err)
	}

	cuda := rt.CUDA(context.Background())
	if cuda.Usable != (len(cuda.Reasons) == 0) {
		t.Errorf("CUDA %+v: usable must mean no reasons", cuda)
	}
	if !contains(providers, "CUDAExecutionProvider") && cuda.Usable {
		t.Errorf("CUDA usable without a CUDA provider: %+v", cuda)
	}
	t.Logf("CUDA: %+v", cuda)
}

func TestProbe(t *testing.T) {
	path := testLibrary(t)
	info, err := Probe(context.Background(), LibrarySearch{Explicit: path})
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != path || info.Source != "--ort-lib" || info.Version == "" || len(info.Providers) == 0 {
		t.Errorf("Probe: %+v", info)
	}
}
