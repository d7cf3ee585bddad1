#!/bin/bash
# The robot annotator benchmark of the AI click tool (issue 23): starting from the automatic
# model's mask of a series, the robot clicks at the centre of the largest error region of the axial
# slice with the most error, one click at a time (at most 100), through the GUI tool's own calls;
# then the same robot with a 10 mm brush and eraser. Prints the report as JSON: start_dice,
# dice_at (5, 10, 20, 50 clicks), noc_98, noc_99 (null past the clicks made), slice_noc90_mean,
# latency_ms_p50/p95 (click to the slice redrawn and rendered), propagation_ms_p95, brush_dice_at.
#
# Usage: bench/clicks.sh --series S --truth LABEL [--model M] [--auto-model A] [--json]
#                        [--clicks N] [--threads T] [--slice-noc=false]
#   --model defaults to $LIVERSEG_INTERACTIVE_MODEL; --auto-model to the built-in model; the
#   models run on T CPU threads (2: the target machine). Without --json the clicks are logged on
#   stderr as they go.
# Example (IRCAD 17, held out of training):
#   bench/clicks.sh --series $LIVERSEG_DATA/ct/ircad/3Dircadb1.17/PATIENT_DICOM \
#     --truth $LIVERSEG_DATA/ct/ircad/3Dircadb1.17/MASKS_DICOM/liver --json
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
command -v go >/dev/null 2>&1 || export PATH=$PATH:/usr/local/go/bin
. scripts/goflags.sh
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
export LIVERSEG_DATA=${LIVERSEG_DATA:-$cache/data}
export ONNXRUNTIME_SHARED_LIBRARY_PATH=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/clicks" ./bench/clicks
"$bin/clicks" "$@"
