#!/bin/bash
# The training step: the worker's own step (its data pipeline: indexing, uint8 to float,
# augmentation on the device, then forward, loss, backward, Adam) against a bare PyTorch loop of
# the same model and batch size on tensors made once, in one run (worker.py --bench: the two
# alternate in blocks; the median block of each). Target: the pipeline adds at most 10 %.
# The default model's shape: U-Net base 16, depth 4, 192x192, 3 channels, batch 16 (bench/train_step.json).
# Usage: bench/train_step.sh   (STEPS=40, LIVERSEG=bin/liverseg, PYTHON=/usr/bin/python3; CUDA where torch sees it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
export LIVERSEG_DATA=${LIVERSEG_DATA:-$cache/data}
ours=${LIVERSEG:-$repo/bin/liverseg}
python=${PYTHON:-/usr/bin/python3}
steps=${STEPS:-40}
[ -x "$ours" ] || { echo "bench: no $ours (make build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ours" train --export-only --config "$repo/bench/train_step.json" --out "$tmp/job" >/dev/null
out=$("$python" "$tmp/job/worker.py" --job "$tmp/job/job.json" --bench "$steps")
echo "$out"
"$python" - "$out" <<'PY'
import json, sys
b = json.loads(sys.argv[1].strip().splitlines()[-1])
print("device %s, torch %s, U-Net base %d depth %d, %dx%d, batch %d, %d steps each" % (
    b["device"], b["torch"], b["base"], b["depth"], b["input_size"][0], b["input_size"][1], b["batch"], b["steps"]))
print("bare loop    %8.1f ms a step" % (b["bare_step_s"] * 1e3))
print("worker step  %8.1f ms a step" % (b["worker_step_s"] * 1e3))
print("pipeline adds %+.1f %% (target: at most +10 %%) %s" % (b["overhead"] * 100, "ok" if b["overhead"] <= 0.10 else "OVER"))
PY
