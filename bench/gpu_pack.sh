#!/bin/bash
# Prepares the GPU run of bench/gpu_segment.sh (see ../shared/GPU.md): the CUDA build of ONNX
# Runtime (make setup-gpu), bin/liverseg, the model and IRCAD case 7, in three parts under
# .gpu/seg/, each well under 60 MB:
#   part1.tar.xz  ONNX Runtime's core library, bin/liverseg, models/model.onnx (../shared/gpu/pack.sh)
#   part2.tar.xz  the CUDA provider, pruned to sm_90 (H100/H200) code (../shared/gpu/pack.sh)
#   part3.tar.xz  case7/ (the DICOM series) and, with SWEEP=1, models/b*_s*.onnx
# Model: MODEL (an .onnx with the liverseg contract; default assets/model.onnx, the default model)
# goes in as models/model.onnx; where there is neither, an untrained U-Net (base 16, input 256). SWEEP=1 adds untrained
# U-Nets of base 8, 16, 24 at inputs 192, 224, 256 (weights rounded to 4 mantissa bits so that
# they compress: the same compute) to time every size.
#
# Then three `run` calls on the GPU machine, back to back (it is given back after ~30 s idle; the
# tree that travels, ~10 MB, plus what a call carries must stay under 64 MiB):
#   1. carry .gpu/seg/device-unpack.sh .gpu/seg/part1.tar.xz:
#        bash .gpu/seg/device-unpack.sh .gpu/seg/part1.tar.xz
#   2. carry .gpu/seg/device-unpack.sh .gpu/seg/part2.tar.xz:
#        bash .gpu/seg/device-unpack.sh .gpu/seg/part2.tar.xz
#   3. carry .gpu/seg/part3.tar.xz:
#        PART3=.gpu/seg/part3.tar.xz SWEEP=1 OUT=$OUT bash bench/gpu_segment.sh /root/gpurun
# If a call finds /root/gpurun gone, the machine was given back: start again at 1.
# (../shared is not in the tree that travels: device-unpack.sh is copied to .gpu/seg/.)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. scripts/goflags.sh
shared=$(cd "$repo/.." && pwd)/shared
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
data=${LIVERSEG_DATA:-$cache/data}
series=$data/ct/ircad/3Dircadb1.7/PATIENT_DICOM
python=${PYTHON:-/usr/bin/python3}
command -v go >/dev/null 2>&1 || export PATH=$PATH:/usr/local/go/bin

bash scripts/setup-gpu.sh >/dev/null
go build -o bin/liverseg .
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/models" "$w/p3/models" "$w/p3/case7"
cp -L "$series"/* "$w/p3/case7/"

export_model() { # PATH BASE SIZE
  "$python" inference/testdata/export_unet.py "$1" --base "$2" --size "$3" --gain 20 --coarse \
    --meta liverseg.contract=1 --meta liverseg.channels=3 --meta liverseg.window=-200,300 \
    --meta liverseg.input_size="$3,$3" --meta liverseg.orientation=LPS --meta liverseg.threshold=0.5 \
    --meta liverseg.version="untrained-b$2-s$3" >/dev/null
}
model=${MODEL:-}
[ -n "$model" ] || [ ! -f assets/model.onnx ] || model=assets/model.onnx
if [ -n "$model" ]; then
  cp "$model" "$w/models/model.onnx"
else
  export_model "$w/models/model.onnx" 16 256
fi
if [ "${SWEEP:-0}" = 1 ]; then
  for b in 8 16 24; do for s in 192 224 256; do export_model "$w/p3/models/b${b}_s${s}.onnx" "$b" "$s"; done; done
fi
rm -rf .gpu/seg
mkdir -p .gpu/seg
cp "$shared/gpu/device-unpack.sh" .gpu/seg/
bash "$shared/gpu/pack.sh" .gpu/seg "$cache/ort-cuda" bin/liverseg "$w/models"
tar -C "$w/p3" -cf - . | xz -6 -T2 >.gpu/seg/part3.tar.xz
ls -l .gpu/seg/
