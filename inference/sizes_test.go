package inference

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUNetSizes times untrained U-Nets of several sizes in ONNX Runtime and in PyTorch eager
// mode, on the CPU with the same threads and batches: the figures the default model is sized by.
// Besides wall time it measures CPU time (getrusage, process_time), which a machine shared with
// other work disturbs far less: with one thread (the default), CPU seconds are the seconds of an
// idle core. It runs only with LIVERSEG_BENCH_SIZES=1; LIVERSEG_BENCH_BASES and
// LIVERSEG_BENCH_INPUTS pick the sizes (default 8,16,24 and 192,224,256), LIVERSEG_BENCH_THREADS
// the threads (default 1), LIVERSEG_BENCH_SLICES the slices timed (default 16).
func TestUNetSizes(t *testing.T) {
	if os.Getenv("LIVERSEG_BENCH_SIZES") == "" {
		t.Skip("set LIVERSEG_BENCH_SIZES=1 (bench/unet_sizes.sh)")
	}
	lib := testLibrary(t)
	py := requireTorch(t)
	list := func(env, def string) []int {
		s := os.Getenv(env)
		if s == "" {
			s = def
		}
		var out []int
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("%s: %v", env, err)
			}
			out = append(out, n)
		}
		return out
	}
	bases := list("LIVERSEG_BENCH_BASES", "8,16,24")
	inputs := list("LIVERSEG_BENCH_INPUTS", "192,224,256")
	threads := list("LIVERSEG_BENCH_THREADS", "1")[0]
	slices := list("LIVERSEG_BENCH_SLICES", "16")[0]
	const batch, full = 8, 151
	fmt.Printf("U-Net, 4 levels, 3 channels; CPU, %d threads, batch %d; seconds for %d slices (IRCAD case 7), from %d timed\n", threads, batch, full, slices)
	fmt.Printf("%5s %6s %7s %8s %10s %10s %10s %10s %7s\n", "base", "input", "MB", "GMAC", "ort_cpu_s", "torch_cpu_s", "ort_wall_s", "torch_wall", "ratio")
	for _, base := range bases {
		for _, size := range inputs {
			p := copyFile(t, exportUNet(t, "--channels", "3", "--base", strconv.Itoa(base), "--size", strconv.Itoa(size)), t.TempDir())
			c := testContract(3, size)
			if err := StampMetadata(t.Context(), p, c.Metadata()); err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(p)
			m, err := OpenModel(context.Background(), p, Options{LibraryPath: lib, Device: DeviceCPU, Threads: threads, BatchSize: batch})
			if err != nil {
				t.Fatal(err)
			}
			in := make([]float32, batch*3*size*size)
			for i := range in {
				in[i] = float32(i%251) / 251
			}
			out := make([]float32, batch*size*size)
			m.RunInto(context.Background(), in, batch, out) // warm-up
			t0, c0 := time.Now(), cpuTime()
			for i := 0; i < slices; i += batch {
				if err := m.RunInto(context.Background(), in, batch, out); err != nil {
					t.Fatal(err)
				}
			}
			best, bestCPU := time.Since(t0), cpuTime()-c0
			m.Close()
			cmd := exec.Command(py, filepath.Join("..", "bench", "unet_time_torch.py"), "--base", strconv.Itoa(base), "--size", strconv.Itoa(size),
				"--slices", strconv.Itoa(slices), "--batch", strconv.Itoa(batch), "--threads", strconv.Itoa(threads), "--runs", "1")
			outb, err := cmd.Output()
			if err != nil {
				t.Fatalf("torch timing: %v", err)
			}
			var tr struct {
				InferS float64 `json:"infer_s"`
				CPUS   float64 `json:"cpu_s"`
			}
			if err := json.Unmarshal(outb, &tr); err != nil {
				t.Fatalf("torch timing %q: %v", outb, err)
			}
			scale := float64(full) / float64(slices)
			ortS, torchS := best.Seconds()*scale, tr.InferS*scale
			ortC, torchC := bestCPU.Seconds()*scale, tr.CPUS*scale
			fmt.Printf("%5d %6d %7.1f %8.0f %10.2f %10.2f %10.2f %10.2f %7.2f\n", base, size, float64(st.Size())/1e6,
				float64(full)*unetMACs(base, size)/1e9, ortC, torchC, ortS, torchS, ortC/torchC)
		}
	}
}

// cpuTime is the CPU time (user and system) of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// unetMACs is the multiply-accumulates of one slice through export_unet.py's U-Net (4 levels,
// 3 input channels) at size x size.
func unetMACs(base, size int) float64 {
	const depth, cin = 4, 3
	hw := func(i int) float64 { return float64((size >> i) * (size >> i)) }
	ch := func(i int) float64 { return float64(base << i) }
	t, c := 0.0, float64(cin)
	for i := 0; i <= depth; i++ {
		t += 9 * hw(i) * (c*ch(i) + ch(i)*ch(i))
		c = ch(i)
	}
	for i := 0; i < depth; i++ {
		t += hw(i)*ch(i+1)*ch(i) + 27*hw(i)*ch(i)*ch(i)
	}
	return t + hw(0)*ch(0)
}
