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
# On the GPU machine (../shared/GPU.md; about 6 min of training there):
#   scripts/interactive-model.sh pack       after export: .gpu/interactive-pack.part-aa, -ab, ...
#                                           (the job folder, xz, in parts of 45 MB: what one
#                                           `run` call may carry; the default config's is one
#                                           part of 19 MB)
#   then one `run` call per part, carrying that part, back to back (the machine keeps
#   /root/gpujob while it is warm), the last one followed by device-train:
#     bash scripts/interactive-model.sh device-part .gpu/interactive-pack.part-aa && \
#       SECONDS_MAX=360 NETWORK=copy bash scripts/interactive-model.sh device-train
#   device-train trains there on CUDA for SECONDS_MAX (default 360; NETWORK=copy or head
#   overrides the config's network; DEVICE=cpu and PYTHON try it here) and leaves the job's
#   results in $OUT/result.tar.xz.part-*; here, scripts/interactive-model.sh unpack-result
#   FILES_AT puts them into the job folder, then import.
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
pack)
	[ -f "$job/job.json" ] || { echo "no $job/job.json: run scripts/interactive-model.sh export first"; exit 1; }
	# the parent's weights travel in the job folder (job.json names them by an absolute path here)
	init=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["init"])' "$job/job.json")
	case "$init" in /*) cp "$init" "$job/init.npz" ;; esac
	rm -f .gpu/interactive-pack.part-*
	tar -C "$job" -c -h --exclude=auto_masks.npz --exclude=checkpoint.pt --exclude=worker.out --exclude=worker.log \
		--exclude=events.jsonl --exclude=weights.pt . | xz -T2 -6 | split -b 45M - .gpu/interactive-pack.part-
	ls -l .gpu/interactive-pack.part-*
	;;
device-part)
	# on the GPU machine: one part of the pack, appended to what earlier calls brought
	mkdir -p /root/gpujob
	[ "$(basename "${2:?the part}")" != interactive-pack.part-aa ] || rm -f /root/gpujob/pack.tar.xz
	cat "$2" >>/root/gpujob/pack.tar.xz
	ls -l /root/gpujob/pack.tar.xz
	;;
device-train)
	# on the GPU machine: the job on CUDA, its results (not the dataset) to $OUT/result.tar
	: "${OUT:?device-train writes to \$OUT}"
	rm -rf /root/gpujob/job && mkdir -p /root/gpujob/job
	xz -dc /root/gpujob/pack.tar.xz | tar -C /root/gpujob/job -x
	cd /root/gpujob/job
	python3 - "${SECONDS_MAX:-360}" "${DEVICE:-cuda}" "${NETWORK:-}" <<'PY'
import json, sys
j = json.load(open("job.json"))
j.update(device=sys.argv[2], max_seconds=float(sys.argv[1]), init="init.npz" if j["init"].startswith("/") else j["init"])
if sys.argv[3]:
    j["interactive"]["network"] = sys.argv[3]
json.dump(j, open("job.json", "w"), indent=1)
PY
	nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
	"${PYTHON:-python3}" -u worker.py --job job.json >worker.out 2>worker.log || { tail -n 20 worker.log; tail -n 1 worker.out; exit 1; }
	tail -n 1 worker.out | cut -c1-400
	# in parts of 15 MB: what one file of $OUT may be
	tar -c --exclude=./dataset --exclude=./auto_masks.npz --exclude=./checkpoint.pt --exclude=./init.npz \
		--exclude=./init_ref_inputs.npy --exclude=./init_ref_logits.npy . | xz -T0 -6 | split -b 15M - "$OUT/result.tar.xz.part-"
	ls -l "$OUT"
	;;
unpack-result)
	cat "${2:?the folder with the result parts of device-train}"/result.tar.xz.part-* | xz -dc | tar -C "$job" -x
	ls -l "$job/model.onnx"
	;;
*)
	sed -n '2,29p' "$0"
	exit 2
	;;
esac
