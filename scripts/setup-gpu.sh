#!/bin/bash
# make setup-gpu: the CUDA build of ONNX Runtime for a workstation with an NVIDIA GPU, CUDA 13 and
# cuDNN 9. Puts libonnxruntime.so (1.29, built with CUDA) and its two provider libraries into
# ${LIVERSEG_CACHE:-~/.cache/liverseg}/ort-cuda/lib with ../shared/gpu/fetch-ort-cuda.sh (about
# 275 MB from npm, once: a rerun finds the files and downloads nothing). liverseg then uses that
# library by itself where an NVIDIA device exists (or: --ort-lib, ONNXRUNTIME_SHARED_LIBRARY_PATH).
# Says what is missing for CUDA (driver, CUDA runtime, cuDNN); `liverseg doctor` says it too.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
dest=$cache/ort-cuda
lib=$dest/lib

say() { printf 'setup-gpu: %s\n' "$*"; }
die() { printf 'setup-gpu: %s\n' "$*" >&2; exit 1; }

complete() {
  for f in libonnxruntime.so libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
    [ -s "$lib/$f" ] || return 1
  done
}

if complete; then
  say "CUDA build of ONNX Runtime already in $lib"
else
  fetch=$shared/gpu/fetch-ort-cuda.sh
  [ -f "$fetch" ] || die "no $fetch (../shared must sit beside the repository)"
  command -v npm >/dev/null 2>&1 || die "no npm (make setup installs it)"
  say "fetching the CUDA build of ONNX Runtime 1.29 into $dest (about 275 MB, once)"
  # A half-written library from an interrupted run is fetched again; the npm archives are kept.
  rm -f "$lib/libonnxruntime.so" "$lib/libonnxruntime_providers_shared.so" "$lib/libonnxruntime_providers_cuda.so"
  bash "$fetch" "$dest" >/dev/null
  complete || die "fetch-ort-cuda.sh did not leave the three libraries in $lib"
  say "CUDA build of ONNX Runtime in $lib"
fi

# What CUDA needs on this machine: a warning each, not an error (the library also runs on the CPU).
libs=$( { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true; } | awk '{print $1}')
ldp=${LD_LIBRARY_PATH:-}
for d in ${ldp//:/ }; do [ -d "$d" ] && libs+=$'\n'$(ls "$d"); done
missing=()
ls /dev/nvidia[0-9]* >/dev/null 2>&1 || missing+=("an NVIDIA GPU device (/dev/nvidia0: no GPU or no driver)")
grep -q '^libcudart\.so\.13' <<<"$libs" || missing+=("the CUDA 13 runtime (libcudart.so.13; add /usr/local/cuda/lib64 to LD_LIBRARY_PATH)")
grep -q '^libcublas\.so\.13' <<<"$libs" || missing+=("cuBLAS for CUDA 13 (libcublas.so.13)")
grep -q '^libcudnn\.so\.9' <<<"$libs" || missing+=("cuDNN 9 (libcudnn.so.9)")
if [ ${#missing[@]} -eq 0 ]; then
  say "CUDA 13 and cuDNN 9 found: liverseg segment --device auto will run on the GPU"
else
  say "CUDA cannot be used on this machine yet; missing:"
  for m in "${missing[@]}"; do say "  - $m"; done
  say "liverseg runs on the CPU until then (--device auto says why)"
fi
echo
echo "liverseg picks $lib/libonnxruntime.so by itself where an NVIDIA device exists; to be explicit:"
echo "  export ONNXRUNTIME_SHARED_LIBRARY_PATH=$lib/libonnxruntime.so"
echo "  export LD_LIBRARY_PATH=/usr/local/cuda/lib64:\${LD_LIBRARY_PATH:-}"
echo "Then: bin/liverseg doctor   (says whether CUDA is usable, and if not, why)"
