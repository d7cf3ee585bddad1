#!/bin/bash
# Starts the real application under Xvfb on IRCAD case 7, loads the truth (the IRCAD liver mask),
# runs the model, shows the layout on the worst slice (side-by-side: image | truth | prediction;
# four-up: axial, coronal, sagittal through the worst error and the 3D surfaces coloured by
# distance), and saves a screenshot of the whole screen with ImageMagick's import. Prints the
# figures the window shows and the peak memory of the application (GNU time).
#
# usage: scripts/screenshot.sh [OUT.png] [LAYOUT]   (LAYOUT: side-by-side, the default, four-up or single)
# Environment: LIVERSEG_DATA (default: the setup's unpacked data), LIVERSEG_BIN (default: build
# bin/liverseg), ONNXRUNTIME_SHARED_LIBRARY_PATH (default: the setup's library).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$repo/screenshot-ircad7.png}")
layout=${2:-side-by-side}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/liverseg
data=${LIVERSEG_DATA:-$cache/data}
export ONNXRUNTIME_SHARED_LIBRARY_PATH=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}
case7=$data/ct/ircad/3Dircadb1.7
[ -d "$case7/PATIENT_DICOM" ] || { echo "screenshot: no $case7/PATIENT_DICOM (run scripts/setup.sh)" >&2; exit 1; }
command -v import >/dev/null || { echo "screenshot: no import (apt-get install imagemagick)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "screenshot: no xvfb-run (apt-get install xvfb)" >&2; exit 1; }
bin=${LIVERSEG_BIN:-}
if [ -z "$bin" ]; then
  (cd "$repo" && . scripts/goflags.sh && go build -o bin/liverseg .)
  bin=$repo/bin/liverseg
fi

work=$(mktemp -d); keep=${KEEP:-}
trap 'rm -rf "$work"' EXIT
cat >"$work/run.sh" <<INNER
set -euo pipefail
. "$repo/scripts/app-ready.sh"
/usr/bin/time -f '%M' -o "$work/rss" "$bin" --fullscreen --workspace "$work/ws" --truth "$case7/MASKS_DICOM/liver" --infer \
  --layout "$layout" --ready-file "$work/ready.json" "$case7/PATIENT_DICOM" 2>"$work/app.log" &
app=\$!
wait_ready screenshot "$work/ready.json" \$app "$work/app.log" 120
sleep 1.5   # let the last frame reach the screen
import -window root "$out"
pkill -TERM -P \$app   # the application, child of time: time then writes its figure
wait \$app || true
INNER
t0=$(date +%s.%N)
xvfb-run -a -s "-screen 0 1600x1000x24" bash "$work/run.sh"
t1=$(date +%s.%N)
echo "screenshot: $out"
cat "$work/ready.json"
kib=$(tail -1 "$work/rss")   # GNU time's %M: KiB
target=400; [ "$layout" = four-up ] && target=450
echo "screenshot: peak resident memory of the application: $(( kib / 1024 )) MiB = $(( kib * 1024 / 1000000 )) MB (target $target MB)"
echo "screenshot: wall time $(echo "$t1 - $t0" | bc) s (start, load, truth, model, screenshot)"
