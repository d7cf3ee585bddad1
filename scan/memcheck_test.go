package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRefusesSeriesTooLarge: a 3000-slice 512x512 series on a machine with 2 GB free is
// refused before anything is allocated, the message giving what it needs and what there is;
// IRCAD case 7 is refused or read as the figure available falls under or above its need.
func TestLoadRefusesSeriesTooLarge(t *testing.T) {
	thin := &SeriesEntry{Dims: [3]int{512, 512, 3000}, Series: Series{Path: "/data/thin3000"}}
	avail := func() (int64, error) { return 2e9, nil }
	_, _, err := thin.LoadProgressive(context.Background(), LoadOptions{Available: avail})
	if !errors.Is(err, ErrMemory) {
		t.Fatalf("err = %v, want ErrMemory", err)
	}
	for _, s := range []string{"/data/thin3000", "512x512x3000", "2.7 GB", "2.0 GB"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q does not say %q", err, s)
		}
	}

	s, err := OpenSeries(context.Background(), ircad(t, "7", "PATIENT_DICOM"), "")
	if err != nil {
		t.Fatal(err)
	}
	need := ReviewBytes(s.Dims)
	if _, _, err := s.LoadProgressive(context.Background(), LoadOptions{Available: func() (int64, error) { return need - 1, nil }}); !errors.Is(err, ErrMemory) {
		t.Errorf("case 7 with one byte too few: err = %v, want ErrMemory", err)
	}
	_, l, err := s.LoadProgressive(context.Background(), LoadOptions{Available: func() (int64, error) { return need, nil }})
	if err != nil {
		t.Fatalf("case 7 with just enough: %v", err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("no /proc")
	if _, _, err := s.LoadProgressive(context.Background(), LoadOptions{Available: func() (int64, error) { return 0, broken }}); !errors.Is(err, broken) {
		t.Errorf("failing memory figure: err = %v", err)
	}
}

// TestAvailableMemory reads MemAvailable and the room under a cgroup v1 or v2 limit (the limit
// less the usage, inactive file pages not counted) from a fake /proc and /sys.
func TestAvailableMemory(t *testing.T) {
	write := func(root, rel, text string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	meminfo := "MemTotal:       24000000 kB\nMemFree:        1000000 kB\nMemAvailable:    8000000 kB\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"no cgroup limit", map[string]string{
			"proc/self/cgroup":             "0::/\n",
			"sys/fs/cgroup/memory.max":     "max\n",
			"sys/fs/cgroup/memory.current": "123\n",
		}, 8000000 * 1024},
		{"cgroup v2 limit", map[string]string{
			"proc/self/cgroup":                 "0::/app\n",
			"sys/fs/cgroup/app/memory.max":     "2000000000\n",
			"sys/fs/cgroup/app/memory.current": "900000000\n",
			"sys/fs/cgroup/app/memory.stat":    "anon 500000000\ninactive_file 400000000\n",
		}, 2000000000 - 500000000},
		{"cgroup v1 limit on a parent", map[string]string{
			"proc/self/cgroup": "4:memory:/docker/abc\n1:cpu:/\n",
			"sys/fs/cgroup/memory/docker/memory.limit_in_bytes":     "1000000000\n",
			"sys/fs/cgroup/memory/docker/memory.usage_in_bytes":     "300000000\n",
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n",
			"sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": "300000000\n",
			"sys/fs/cgroup/memory/docker/memory.stat":               "total_inactive_file 100000000\n",
		}, 1000000000 - 200000000},
		{"cgroup v1 mounted at the container's own", map[string]string{
			"proc/self/cgroup":                           "4:memory:/process_api/xyz\n0::/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "3000000000\n",
			"sys/fs/cgroup/memory/memory.usage_in_bytes": "1000000000\n",
		}, 2000000000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(root, "proc/meminfo", meminfo)
			for rel, text := range tc.files {
				write(root, rel, text)
			}
			got, err := availableMemory(root)
			if err != nil || got != tc.want {
				t.Errorf("available %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	if _, err := availableMemory(t.TempDir()); err == nil {
		t.Error("no /proc/meminfo: no error")
	}
	if a, err := AvailableMemory(); err != nil || a <= 0 {
		t.Errorf("this machine: %d, %v", a, err)
	}
}
