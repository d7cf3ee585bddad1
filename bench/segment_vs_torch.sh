#!/bin/bash
# Segmenting a CT series: `liverseg segment` (ONNX Runtime, CPU) against the same weights in
# PyTorch eager mode on the CPU (bench/segment_torch.py), in the same run, with the same threads,
# batch and pre-processing. Series: IRCAD case 7 (151 slices of 512x512).
#
# Model: MODEL (.onnx with the liverseg contract) and WEIGHTS (its PyTorch weights: the training
# worker's weights.pt, or export_unet.py's --pt). Without them, an untrained U-Net of BASE (16)
# base channels and SIZE (256) input is exported with inference/testdata/export_unet.py.
#
# Prints the median wall time of each whole command (process start to exit: loading, inference,
# post-processing and writing NIfTI), the in-process inference times, the ratio and the targets
# (ours <= 0.5x PyTorch, ours < 8 s), and the Dice between the two masks (they should agree).
# Usage: bench/segment_vs_torch.sh   (RUNS=3 THREADS=2 BATCH=8 WINDOW=-200,300 LIVERSEG=bin/liverseg
#        PYTHON=/usr/bin/python3)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
data=${LIVERSEG_DATA:-$cache/data}
series=$data/ct/ircad/3Dircadb1.7/PATIENT_DICOM
runs=${RUNS:-3}
threads=${THREADS:-2}
batch=${BATCH:-8}
ours=${LIVERSEG:-$repo/bin/liverseg}
python=${PYTHON:-/usr/bin/python3}
export ONNXRUNTIME_SHARED_LIBRARY_PATH=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}

[ -d "$series" ] || { echo "bench: no $series (run scripts/setup.sh; set LIVERSEG_DATA)" >&2; exit 1; }
[ -x "$ours" ] || { echo "bench: no $ours (make build)" >&2; exit 1; }
"$python" -c 'import torch, numpy, pydicom, nibabel, scipy' 2>/dev/null || { echo "bench: $python lacks torch, numpy, pydicom, nibabel or scipy" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=${MODEL:-}
weights=${WEIGHTS:-}
if [ -z "$model" ] || [ -z "$weights" ]; then
  base=${BASE:-16}; size=${SIZE:-256}
  model=$tmp/unet.onnx; weights=$tmp/unet.pt
  echo "bench: exporting an untrained U-Net (base $base, input $size) with export_unet.py"
  "$python" "$repo/inference/testdata/export_unet.py" "$model" --base "$base" --size "$size" --gain 20 --pt "$weights" \
    --meta liverseg.contract=1 --meta liverseg.channels=3 --meta liverseg.window=-200,300 \
    --meta liverseg.input_size="$size,$size" --meta liverseg.orientation=LPS --meta liverseg.threshold=0.5 \
    --meta liverseg.version="untrained-b$base-s$size" >/dev/null
fi
window=${WINDOW:--200,300} # the model's liverseg.window

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run_ours() {
  "$ours" segment --in "$series" --out "$tmp/ours.nii.gz" --model "$model" --device cpu --threads "$threads" \
    --batch "$batch" --json >"$tmp/ours.json"
}
run_torch() {
  "$python" "$repo/bench/segment_torch.py" --series "$series" --weights "$weights" --out "$tmp/torch.nii.gz" \
    --threads "$threads" --batch "$batch" --window="$window" >"$tmp/torch.json"
}

echo "bench: warm-up (page cache)"
run_ours; run_torch
for i in $(seq "$runs"); do
  t0=$(ms); run_ours; t1=$(ms); echo $((t1 - t0)) >>"$tmp/ours.wall"
  "$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["infer_s"])' "$tmp/ours.json" >>"$tmp/ours.infer"
  t0=$(ms); run_torch; t1=$(ms); echo $((t1 - t0)) >>"$tmp/torch.wall"
  "$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["infer_s"])' "$tmp/torch.json" >>"$tmp/torch.infer"
done
ow=$(median <"$tmp/ours.wall"); tw=$(median <"$tmp/torch.wall")
oi=$(median <"$tmp/ours.infer"); ti=$(median <"$tmp/torch.infer")
dice=$("$ours" eval --series "$series" --truth "$tmp/ours.nii.gz" --pred "$tmp/torch.nii.gz" --json |
  "$python" -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["dice"])')

echo
echo "IRCAD case 7 (151 slices, 512x512), $(basename "$model"), CPU, $threads threads, batch $batch, median of $runs runs"
printf '%-36s %10s %12s\n' "" "command_s" "inference_s"
printf '%-36s %10.2f %12.2f\n' "liverseg segment (ONNX Runtime)" "$(echo "$ow/1000" | bc -l)" "$oi"
printf '%-36s %10.2f %12.2f\n' "PyTorch eager (segment_torch.py)" "$(echo "$tw/1000" | bc -l)" "$ti"
printf '%-36s %10.2f %12.2f\n' "ratio ours / PyTorch" "$(echo "$ow/$tw" | bc -l)" "$(echo "$oi/$ti" | bc -l)"
echo "targets: ratio <= 0.5; liverseg segment (whole command) < 8 s"
echo "agreement of the two masks: Dice $dice"
echo "liverseg: $(cat "$tmp/ours.json" | tr -d '\n' | sed 's/  */ /g' | grep -o '"provider[^,]*,\|"load_s[^,]*,\|"run_s[^,]*,\|"post_s[^,]*,\|"write_s[^,]*,' | tr -d '\n')"
echo "pytorch:  $(cat "$tmp/torch.json")"
