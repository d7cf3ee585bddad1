#!/usr/bin/env bash
# Trains the default interactive model (assets/interactive-model.json) from the default model,
# here on the CPU (or wherever torch finds CUDA), in the background, and brings it into assets.
#
#   scripts/interactive-model.sh export     .gpu/interactive-job/: the dataset, job.json (init: the
#                                           built-in model's ONNX weights), worker.py
#   scripts/interactive-model.sh train      runs the worker there under nohup (worker.out, worker.log);
#                                           the config's max_seconds caps the training, then the
#                                           click curve of the report runs (about 5 min on 2 cores)
#   scripts/interactive-model.sh import     checks the export in ONNX Runtime, registers it in
#                                           WORKSPACE (a scratch one by default), writes
#                                           assets/interactive.onnx, INTERACTIVE_MODEL_CARD.md and
#                                           assets/interactive-report/
#
# CONFIG, JOB, ASSETS, VERSION (default interactive-1) and WORKSPACE change what it works on.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goflags.sh
job=${JOB:-.gpu/interactive-job}
config=${CONFIG:-assets/interactive-model.json}
assets=${ASSETS:-assets}
ws=${WORKSPACE:-.gpu/interactive-ws}
: "${LIVERSEG_DATA:=$HOME/.cache/liverseg/data}"
export LIVERSEG_DATA
case "${1:-}" in
export)
	go build -o bin/liverseg .
	rm -rf "$job"
	bin/liverseg train --export-only --config "$config" --out "$job" --workspace "$ws"
	;;
train)
	[ -f "$job/job.json" ] || { echo "no $job/job.json: run scripts/interactive-model.sh export first"; exit 1; }
	cd "$job"
	nohup python3 -u worker.py --job job.json >worker.out 2>worker.log &
	echo "worker $! in $job: tail -f $job/worker.out (done when it says \"event\": \"done\")"
	;;
import)
	go build -o bin/liverseg .
	bin/liverseg train --import "$job" --assets "$assets" --version "${VERSION:-interactive-1}" --workspace "$ws"
	# The report of an interactive model has no CT panels (it shows curves and tables only).
	ls -l "$assets/interactive.onnx" "$assets/INTERACTIVE_MODEL_CARD.md" "$assets/interactive-report"
	;;
*)
	sed -n '2,16p' "$0"
	exit 2
	;;
esac
