package scan

// The memory check before a series is loaded: what its review needs against what the machine
// (or the container's cgroup) still gives, so that a series too large is refused with both
// figures instead of ending in an out-of-memory kill halfway through the load.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
)

// ErrMemory: a series' review would need more memory than is available.
var ErrMemory = errors.New("not enough memory")

// reviewMargin is what a review takes beside its volume and labels: Fyne with its fonts and
// textures, the slice images, ONNX Runtime's session (IRCAD case 7's review peaks at 383 MB
// with a 79 MB volume).
const reviewMargin = 320 << 20

// ReviewBytes estimates the memory a review of a series of dims needs: the HU volume (2 bytes a
// voxel), the labels (truth, prediction and the label being edited, kept by the liver's box in
// each slice: a byte a voxel for the three together is the most a liver's boxes take) and a
// margin for the application itself.
func ReviewBytes(dims [3]int) int64 {
	n := int64(dims[0]) * int64(dims[1]) * int64(dims[2])
	return 2*n + n + reviewMargin
}

// CheckMemory says whether a review of a series of dims fits in available bytes; the error wraps
// ErrMemory and gives both figures.
func CheckMemory(dims [3]int, available int64) error {
	need := ReviewBytes(dims)
	if need <= available {
		return nil
	}
	return fmt.Errorf("%w: reviewing %s voxels (%d slices) needs about %s, only %s is available",
		ErrMemory, DimsString(dims), dims[2], formatBytes(need), formatBytes(available))
}

// formatBytes writes a size in MB or GB (decimal), as the figures of a message.
func formatBytes(b int64) string {
	if b >= 1e9 {
		return fmt.Sprintf("%.1f GB", float64(b)/1e9)
	}
	return fmt.Sprintf("%d MB", b/1e6)
}

// AvailableMemory is how much memory the process may still take: the least of the system's
// MemAvailable and the room left under the limits of its memory cgroup (v1 or v2, the
// container's), plus what the Go heap holds free (a series loaded before is garbage by now).
func AvailableMemory() (int64, error) {
	avail, err := availableMemory("/")
	if err != nil {
		return 0, err
	}
	return avail + heapFree(), nil
}

// availableMemory is AvailableMemory without the Go heap, reading /proc and /sys under root.
func availableMemory(root string) (int64, error) {
	meminfo := filepath.Join(root, "proc", "meminfo")
	b, err := os.ReadFile(meminfo)
	if err != nil {
		return 0, fmt.Errorf("memory available: %w", err)
	}
	avail, ok := fieldKB(b, "MemAvailable:")
	if !ok {
		return 0, fmt.Errorf("memory available: %s has no MemAvailable", meminfo)
	}
	if room, ok := cgroupRoom(root); ok && room < avail {
		avail = room
	}
	return max(avail, 0), nil
}

// fieldKB reads a "Name: N kB" line of /proc/meminfo, in bytes.
func fieldKB(b []byte, name string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == name {
			v, err := strconv.ParseInt(f[1], 10, 64)
			return v * 1024, err == nil
		}
	}
	return 0, false
}

// cgroupRoom is the least room left under the memory limits of the process's cgroup and its
// parents: the limit less the usage, page cache that can be dropped (inactive files) not counted
// as used. ok is false when no limit applies.
func cgroupRoom(root string) (room int64, ok bool) {
	b, err := os.ReadFile(filepath.Join(root, "proc", "self", "cgroup"))
	if err != nil {
		return 0, false
	}
	fs := filepath.Join(root, "sys", "fs", "cgroup")
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var base string
		var files [3]string // limit, usage, the inactive-file field of memory.stat
		switch {
		case parts[0] == "0" && parts[1] == "":
			base, files = fs, [3]string{"memory.max", "memory.current", "inactive_file"}
			if _, err := os.Stat(filepath.Join(fs, "unified")); err == nil {
				base = filepath.Join(fs, "unified") // hybrid: v2 beside v1
			}
		case strings.Contains(","+parts[1]+",", ",memory,"):
			base, files = filepath.Join(fs, "memory"), [3]string{"memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"}
		default:
			continue
		}
		// The cgroup and its parents up to the mount; inside a container the mount may show the
		// container's own cgroup as its root, where the path named does not exist.
		for dir := filepath.Join(base, parts[2]); strings.HasPrefix(dir, base); dir = filepath.Dir(dir) {
			if r, has := cgroupDirRoom(dir, files); has && (!ok || r < room) {
				room, ok = r, true
			}
			if dir == base {
				break
			}
		}
	}
	return room, ok
}

// noLimit is where a cgroup v1 limit means none (the page-rounded largest int64).
const noLimit = 1 << 62

// cgroupDirRoom is the room left in one cgroup directory; has is false without a limit there.
func cgroupDirRoom(dir string, files [3]string) (room int64, has bool) {
	read := func(name string) (int64, bool) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64) // "max" fails: no limit
		return v, err == nil
	}
	limit, ok := read(files[0])
	if !ok || limit >= noLimit {
		return 0, false
	}
	usage, _ := read(files[1])
	if st, err := os.ReadFile(filepath.Join(dir, "memory.stat")); err == nil {
		for _, line := range strings.Split(string(st), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == files[2] {
				if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					usage -= min(v, usage)
				}
			}
		}
	}
	return max(limit-usage, 0), true
}

// heapFree is the memory the Go heap holds free (resident, ready for the next allocation).
func heapFree() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}
