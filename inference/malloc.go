package inference

/*
#include <malloc.h>

// lsFixMmapThreshold pins glibc's mmap threshold at its default. glibc raises the threshold
// after a large block is freed (up to 32 MB), so that ONNX Runtime's per-run activations (a few
// to tens of MB each, without the CPU arena) come from the heap of the thread that ran them and
// stay there, fragmented: reviewing IRCAD case 7 in the GUI then peaked at about 700 MB. With the
// threshold pinned they are mapped and unmapped each run: 433 MB. Setting it also turns off the
// dynamic adjustment. Returns 0 where mallopt refuses.
static int lsFixMmapThreshold(void) {
#ifdef M_MMAP_THRESHOLD
	return mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#else
	return 0;
#endif
}
*/
import "C"

// pinMmapThreshold is called once, before ONNX Runtime allocates anything.
func pinMmapThreshold() { C.lsFixMmapThreshold() }
