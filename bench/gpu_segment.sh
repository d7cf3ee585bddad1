#!/bin/bash
# liverseg segment on CUDA: IRCAD case 7 with --device cuda --json, printing the provider and the
# timings of each run (the first one pays for CUDA's start), then CUDA options and batch sizes,
# and the agreement of the CUDA mask with the CPU one. Meant for the lent GPU machine (see
# ../shared/GPU.md), and any workstation with CUDA 13 and cuDNN 9.
#
# Usage: bench/gpu_segment.sh ORTDIR
#   ORTDIR: a folder with the CUDA build of ONNX Runtime (libonnxruntime.so and its two provider
#   libraries), in it or in ORTDIR/lib: make setup-gpu's ~/.cache/liverseg/ort-cuda, or
#   /root/gpurun on the GPU machine (bench/gpu_pack.sh's parts unpacked).
# Environment: LIVERSEG (default ORTDIR/liverseg, else bin/liverseg), MODEL (default
#   ORTDIR/models/model.onnx, else the built-in model), SERIES (default ORTDIR/case7, else
#   $LIVERSEG_DATA/ct/ircad/3Dircadb1.7/PATIENT_DICOM), RUNS (3), SWEEP=1 also times every
#   ORTDIR/models/*.onnx on CUDA and on 2 CPU cores (taskset), OUT (a folder for the JSON),
#   PART3 (bench/gpu_pack.sh's part3.tar.xz: unpacked into ORTDIR first).
set -uo pipefail

dir=${1:?usage: bench/gpu_segment.sh ORTDIR}
if [ -n "${PART3:-}" ]; then
  mkdir -p "$dir"
  if command -v xz >/dev/null; then xz -dc "$PART3"; else
    python3 -c 'import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$PART3"; fi |
    tar -x -C "$dir" || { echo "gpu_segment: cannot unpack $PART3" >&2; exit 1; }
fi
dir=$(cd "$dir" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
lib=$dir/libonnxruntime.so
[ -f "$lib" ] || lib=$dir/lib/libonnxruntime.so
[ -f "$lib" ] || { echo "gpu_segment: no libonnxruntime.so in $dir or $dir/lib" >&2; exit 1; }
ours=${LIVERSEG:-}
[ -n "$ours" ] || { [ -x "$dir/liverseg" ] && ours=$dir/liverseg; } || ours=$repo/bin/liverseg
model=${MODEL:-}
[ -n "$model" ] || { [ -f "$dir/models/model.onnx" ] && model=$dir/models/model.onnx; }
series=${SERIES:-}
[ -n "$series" ] || { [ -d "$dir/case7" ] && series=$dir/case7; } ||
  series=${LIVERSEG_DATA:-$HOME/.cache/liverseg/data}/ct/ircad/3Dircadb1.7/PATIENT_DICOM
runs=${RUNS:-3}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
[ -x "$ours" ] || { echo "gpu_segment: no liverseg binary ($ours)" >&2; exit 1; }
[ -d "$series" ] || { echo "gpu_segment: no series $series" >&2; exit 1; }

export ONNXRUNTIME_SHARED_LIBRARY_PATH=$lib
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
modelflag=()
[ -n "$model" ] && modelflag=(--model "$model")

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
echo "cores $(nproc); liverseg $ours; library $lib; model ${model:-built-in}; series $series"

echo "== liverseg doctor (ONNX Runtime)"
"$ours" doctor --json >"$out/doctor.json" 2>"$out/doctor.err"
python3 - "$out/doctor.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["onnxruntime"]
print("version", d["version"], "providers", ",".join(d["providers"]), "cuda_usable", d["cuda_usable"])
for r in d["cuda_reasons"]:
    print("  not CUDA:", r)
PY

# seg NAME ARGS...: one segment run; prints one line of figures, keeps its JSON in $out/NAME.json.
seg() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  if ! "$ours" segment --in "$series" "${modelflag[@]}" --json "$@" >"$out/$name.json" 2>"$out/$name.err"; then
    echo "$name: FAILED: $(tail -3 "$out/$name.err")"
    return 1
  fi
  t1=$(date +%s%N)
  python3 - "$out/$name.json" "$name" "$(( (t1 - t0) / 1000000 ))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("%-22s %-22s wall %5.2f s | load %.2f (model %.2f, warm-up %.2f) infer %.3f (pre %.3f run %.3f restore %.3f) post %.2f write %.2f total %.2f | batch %d threads %d%s" % (
    sys.argv[2], r["provider"], int(sys.argv[3]) / 1000, r["load_s"], r["model_s"], r.get("warmup_s", 0), r["infer_s"], r["preprocess_s"], r["run_s"],
    r["restore_s"], r["post_s"], r["write_s"], r["total_s"], r["batch_size"], r["threads"],
    "" if not r["cuda_reason"] else " | not CUDA: " + r["cuda_reason"]))
PY
}

echo "== segment --device cuda, $runs runs (the first pays for CUDA's start)"
for i in $(seq "$runs"); do
  seg "cuda$i" --device cuda --out "$out/cuda.nii.gz"
done
echo "== CUDA options (LIVERSEG_CUDA_OPTIONS) and batch sizes"
LIVERSEG_CUDA_OPTIONS=use_tf32=0 seg "cuda_tf32off" --device cuda --out "$out/cuda_fp32.nii.gz"
LIVERSEG_CUDA_OPTIONS=prefer_nhwc=0 seg "cuda_nchw" --device cuda --out "$out/x.nii.gz"
LIVERSEG_CUDA_OPTIONS=cudnn_conv_algo_search=EXHAUSTIVE seg "cuda_exhaustive" --device cuda --out "$out/x.nii.gz"
for b in 8 16 64; do seg "cuda_batch$b" --device cuda --batch "$b" --out "$out/x.nii.gz"; done
echo "== CPU, for comparison"
seg "cpu_all_cores" --device cpu --out "$out/cpu.nii.gz"
if [ -f "$out/cuda.nii.gz" ] && [ -f "$out/cpu.nii.gz" ]; then
  for f in cuda cuda_fp32; do
    [ -f "$out/$f.nii.gz" ] || continue
    "$ours" eval --series "$series" --truth "$out/cpu.nii.gz" --pred "$out/$f.nii.gz" --json |
      python3 -c 'import json,sys; print("agreement of the '"$f"' mask with the CPU mask: Dice %.5f" % json.load(sys.stdin)["dice"])'
  done
fi

if [ "${SWEEP:-0}" = 1 ] && [ -d "$dir/models" ]; then
  echo "== every model: CUDA (second run), then the whole command on 2 CPU cores (taskset -c 0,1)"
  for m in "$dir"/models/*.onnx; do
    n=$(basename "$m" .onnx)
    modelflag=(--model "$m")
    seg "sweep_${n}_cuda_a" --device cuda --out "$out/x.nii.gz" >/dev/null
    seg "sweep_${n}_cuda" --device cuda --out "$out/x.nii.gz"
  done
  for m in "$dir"/models/*.onnx; do
    n=$(basename "$m" .onnx)
    modelflag=(--model "$m")
    if command -v taskset >/dev/null; then
      t0=$(date +%s%N)
      taskset -c 0,1 "$ours" segment --in "$series" --model "$m" --json --device cpu --threads 2 --out "$out/x.nii.gz" >"$out/sweep_${n}_cpu2.json" 2>/dev/null
      t1=$(date +%s%N)
      python3 - "$out/sweep_${n}_cpu2.json" "sweep_${n}_cpu2" "$(( (t1 - t0) / 1000000 ))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("%-22s %-22s wall %5.2f s | load %.2f infer %.2f (run %.2f) post %.2f write %.2f total %.2f" % (
    sys.argv[2], r["provider"], int(sys.argv[3]) / 1000, r["load_s"], r["infer_s"], r["run_s"], r["post_s"], r["write_s"], r["total_s"]))
PY
    fi
  done
fi
echo "== JSON of every run in $out"
