#!/usr/bin/env python3
"""Times the U-Net of inference/testdata/export_unet.py in PyTorch eager mode on the CPU:
SLICES random slices in batches of BATCH, THREADS threads; prints JSON {"infer_s": wall seconds,
"cpu_s": CPU seconds of the process} of the best of RUNS runs. inference/sizes_test.go puts the
figures beside ONNX Runtime's for the same sizes."""
import argparse, json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "inference", "testdata"))
import torch  # noqa: E402
from export_unet import make  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--base", type=int, default=16)
ap.add_argument("--size", type=int, default=256)
ap.add_argument("--channels", type=int, default=3)
ap.add_argument("--levels", type=int, default=4)
ap.add_argument("--slices", type=int, default=32)
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--runs", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
net = make(a.channels, a.base, a.levels, 1)
x = torch.rand(a.slices, a.channels, a.size, a.size)
best, best_cpu = None, None
with torch.no_grad():
    net(x[:a.batch])  # warm-up
    for _ in range(a.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, a.slices, a.batch):
            net(x[i:i + a.batch])
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best = dt if best is None else min(best, dt)
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
print(json.dumps({"infer_s": best, "cpu_s": best_cpu, "slices": a.slices, "torch": torch.__version__}))
