package inference

// The C side of loading ONNX Runtime: a check of the shared library before onnxruntime_go takes
// it (so that a wrong file gives a clear error, not a panic or a cryptic code), and the provider
// list, which onnxruntime_go v1.27 does not wrap.
//
// The OrtApi struct is append-only across ONNX Runtime versions (its ABI promise), so the
// positions of its function pointers below hold for every library that serves C API 24. They were
// taken with offsetof from the onnxruntime_c_api.h that onnxruntime_go v1.27.0 ships; the test
// TestProvidersListCPU fails if they were ever wrong.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const void *(*GetApi)(uint32_t version);
	const char *(*GetVersionString)(void);
} lsOrtApiBase;

typedef const lsOrtApiBase *(*lsGetApiBaseFn)(void);
typedef void *(*lsGetAvailableProvidersFn)(char ***out, int *n);
typedef void *(*lsReleaseAvailableProvidersFn)(char **p, int n);
typedef const char *(*lsGetErrorMessageFn)(const void *status);
typedef void (*lsReleaseStatusFn)(void *status);

enum {
	lsIdxGetErrorMessage = 2,
	lsIdxReleaseStatus = 93,
	lsIdxGetAvailableProviders = 125,
	lsIdxReleaseAvailableProviders = 126,
};

// Opens path; on failure returns NULL and a malloc'd message (dlerror's buffer is per thread, so
// it is copied on the same thread, inside this call).
static void *lsOpen(const char *path, char **err) {
	void *h = dlopen(path, RTLD_LAZY);
	if (!h) {
		const char *e = dlerror();
		*err = strdup(e ? e : "dlopen failed");
	}
	return h;
}

static void lsClose(void *h) { dlclose(h); }

// The library's OrtApiBase, or NULL when it exports no OrtGetApiBase.
static const lsOrtApiBase *lsApiBase(void *h) {
	lsGetApiBaseFn f = (lsGetApiBaseFn)dlsym(h, "OrtGetApiBase");
	if (!f) return NULL;
	return f();
}

static const char *lsVersion(const lsOrtApiBase *b) { return b->GetVersionString(); }

static const void *lsApi(const lsOrtApiBase *b, uint32_t version) { return b->GetApi(version); }

static char *lsStatusMessage(const void *api, void *status) {
	void *const *fns = (void *const *)api;
	char *msg = strdup(((lsGetErrorMessageFn)fns[lsIdxGetErrorMessage])(status));
	((lsReleaseStatusFn)fns[lsIdxReleaseStatus])(status);
	return msg;
}

// Fills *out and *n with the providers compiled into the library; returns a malloc'd error
// message, or NULL.
static char *lsProviders(const void *api, char ***out, int *n) {
	void *const *fns = (void *const *)api;
	void *st = ((lsGetAvailableProvidersFn)fns[lsIdxGetAvailableProviders])(out, n);
	return st ? lsStatusMessage(api, st) : NULL;
}

static void lsReleaseProviders(const void *api, char **p, int n) {
	void *const *fns = (void *const *)api;
	void *st = ((lsReleaseAvailableProvidersFn)fns[lsIdxReleaseAvailableProviders])(p, n);
	if (st) free(lsStatusMessage(api, st));
}

static char *lsProviderAt(char **p, int i) { return p[i]; }
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// ortAPIVersion is the C API version onnxruntime_go v1.27.0 asks for (ORT_API_VERSION in its
// header): ONNX Runtime 1.24 or newer serves it.
const ortAPIVersion = 24

// ortLib is a dlopen handle of an ONNX Runtime library that passed the checks.
type ortLib struct {
	handle  unsafe.Pointer
	api     unsafe.Pointer // const OrtApi*
	version string
}

// openORT checks that path is an ONNX Runtime library recent enough for onnxruntime_go and keeps
// it open. The error does not name the path: callers add it.
func openORT(path string) (*ortLib, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cerr *C.char
	h := C.lsOpen(cpath, &cerr)
	if h == nil {
		msg := C.GoString(cerr)
		C.free(unsafe.Pointer(cerr))
		return nil, fmt.Errorf("cannot load it as a shared library: %s", msg)
	}
	base := C.lsApiBase(h)
	if base == nil {
		C.lsClose(h)
		return nil, errors.New("not an ONNX Runtime library (it exports no OrtGetApiBase)")
	}
	version := C.GoString(C.lsVersion(base))
	api := C.lsApi(base, ortAPIVersion)
	if api == nil {
		C.lsClose(h)
		return nil, fmt.Errorf("ONNX Runtime %s is too old: liverseg needs C API %d (ONNX Runtime 1.24 or newer)", version, ortAPIVersion)
	}
	return &ortLib{handle: h, api: unsafe.Pointer(api), version: version}, nil
}

func (l *ortLib) close() { C.lsClose(l.handle) }

// providers lists the execution providers compiled into the library (GetAvailableProviders):
// that a provider is listed says nothing about whether its own libraries and the hardware are there.
func (l *ortLib) providers() ([]string, error) {
	var list **C.char
	var n C.int
	if msg := C.lsProviders(l.api, &list, &n); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return nil, fmt.Errorf("GetAvailableProviders: %s", C.GoString(msg))
	}
	defer C.lsReleaseProviders(l.api, list, n)
	out := make([]string, 0, int(n))
	for i := 0; i < int(n); i++ {
		out = append(out, C.GoString(C.lsProviderAt(list, C.int(i))))
	}
	return out, nil
}
