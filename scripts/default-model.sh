#!/usr/bin/env bash
# Trains the default model (assets/default-model.json) on a GPU machine that has no Go and no
# data: export here, train there, import here. See ../shared/GPU.md.
#
#   scripts/default-model.sh export          here: .gpu/default-job/ and .gpu/default-job.tar.xz (~11 MB)
#   scripts/default-model.sh train           there (run carrying .gpu/default-job.tar.xz): writes
#                                            model.onnx, weights.pt, events.jsonl, ref_*.npy into $OUT
#   scripts/default-model.sh import DIR      here, DIR = the files brought back: check in ONNX
#                                            Runtime, score case 17 and the training cases, register,
#                                            write assets/model.onnx, assets/MODEL_CARD.md, assets/report/
#
# CONFIG (assets/default-model.json), JOB (.gpu/default-job), ASSETS (assets), VERSION (default-1)
# and WORKSPACE (liverseg's default) change what it works on.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goflags.sh
job=${JOB:-.gpu/default-job}
config=${CONFIG:-assets/default-model.json}
assets=${ASSETS:-assets}
case "${1:-}" in
export)
	: "${LIVERSEG_DATA:=$HOME/.cache/liverseg/data}"
	export LIVERSEG_DATA
	go build -o bin/liverseg .
	rm -rf "$job" "$job.tar.xz"
	mkdir -p .gpu
	bin/liverseg train --export-only --config "$config" --out "$job"
	tar -C "$job" -cf - . | xz -T0 -6 >"$job.tar.xz"
	ls -l "$job.tar.xz"
	;;
train)
	run=/root/gpurun/default-job
	rm -rf "$run" && mkdir -p "$run"
	tar -C "$run" -xJf "$job.tar.xz"
	python3 - <<'PY'
import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PY
	# the epochs on the terminal, the steps only in events.jsonl
	status=0
	python3 "$run/worker.py" --job "$run/job.json" 2>"$run/worker.log" | grep -v '"event": "step"' || status=$?
	tail -5 "$run/worker.log"
	# the benchmark of the step (bench/train_step.sh): the worker's pipeline against a bare loop
	timeout 90 python3 "$run/worker.py" --job "$run/job.json" --bench 200 2>>"$run/worker.log" | tee "$run/bench.json" || true
	if [ ! -f "$run/model.onnx" ] && [ -f "$run/weights.pt" ]; then echo "no ONNX: bring weights.pt back and run worker.py --export here"; fi
	out="${OUT:-/tmp/out}"
	mkdir -p "$out"
	for f in model.onnx weights.pt events.jsonl ref_inputs.npy ref_logits.npy worker.log bench.json; do
		[ -f "$run/$f" ] && cp "$run/$f" "$out/"
	done
	ls -l "$out"
	exit $status
	;;
import)
	from="${2:?usage: scripts/default-model.sh import DIR (the files the GPU run brought back)}"
	: "${LIVERSEG_DATA:=$HOME/.cache/liverseg/data}"
	export LIVERSEG_DATA
	[ -d "$job/dataset" ] || { echo "no $job/dataset: run scripts/default-model.sh export first (same config)"; exit 1; }
	for f in model.onnx weights.pt events.jsonl ref_inputs.npy ref_logits.npy worker.log; do
		[ -f "$from/$f" ] && cp "$from/$f" "$job/"
	done
	if [ ! -f "$job/model.onnx" ]; then
		# torch there could not export: export here from weights.pt with Debian's torch
		/usr/bin/python3 "$job/worker.py" --job "$job/job.json" --export >/dev/null
	fi
	go build -o bin/liverseg .
	bin/liverseg train --import "$job" --assets "$assets" --version "${VERSION:-default-1}" ${WORKSPACE:+--workspace "$WORKSPACE"}
	# The panels show IRCAD CT slices, whose licence (CC BY-NC-ND) forbids sharing derivatives: the
	# report in the repository keeps them out (they stay in $job/report/panels/ on this machine).
	rm -rf "$assets/report/panels"
	sed -i -E -e 's#<img src="panels/[^"]*" alt="[^"]*">##g' \
		-e 's#<h2>Image \| truth \| prediction</h2>#&\n<p>The panels show IRCAD CT slices (CC BY-NC-ND: no derivatives may be shared), so the copy in the repository leaves them out; <code>scripts/default-model.sh import</code> draws them into <code>.gpu/default-job/report/panels/</code>.</p>#' \
		"$assets/report/index.html"
	;;
*)
	sed -n '2,16p' "$0"
	exit 2
	;;
esac
