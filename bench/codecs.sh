#!/bin/bash
# Decode speed per transfer syntax: liverseg against GDCM (gdcmconv --raw), in the same run.
# SLICES slices of IRCAD case 1 are re-encoded by gdcmconv into each syntax. For each syntax, and
# for the uncompressed slices, both tools process the whole folder: `liverseg info --json DIR`
# (discover, decode, HU) and `gdcmconv --raw` on each file (read, decode, write raw). The
# uncompressed folder's time is each tool's cost of everything but decoding, so a syntax's decode
# time per slice is (time(syntax) - time(uncompressed)) / SLICES, in CPU time (user + system).
# Both run pinned to one CPU (taskset -c CPU; liverseg with GOMAXPROCS=1), so that neither gains
# from threads the other does not use (GDCM gives OpenJPEG threads; liverseg decodes slices in
# parallel). GDCM is also timed in one process through its Python binding (python3-gdcm), which
# has no start-up per file: the target is judged on that figure where it exists. One warm-up,
# then RUNS runs of each, alternating; the least CPU time of each. Then the Go benchmark
# BenchmarkCodecs (in-memory decode of one frame, per syntax) on the same machine.
# Usage: bench/codecs.sh   (RUNS=5, SLICES=32, CPU=0, LIVERSEG=bin/liverseg; ONLY=REGEX keeps
# the syntaxes whose name matches)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
data=${LIVERSEG_DATA:-$cache/data}
src=$data/ct/ircad/3Dircadb1.1/PATIENT_DICOM
runs=${RUNS:-5}
slices=${SLICES:-32}
cpu=${CPU:-0}
ours=${LIVERSEG:-$repo/bin/liverseg}
export PATH=$PATH:/usr/local/go/bin

[ -d "$src" ] || { echo "bench: no $src (run scripts/setup.sh; set LIVERSEG_DATA)" >&2; exit 1; }
[ -x "$ours" ] || { echo "bench: no $ours (make build)" >&2; exit 1; }
command -v gdcmconv >/dev/null || { echo "bench: no gdcmconv (apt-get install libgdcm-tools)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench: no taskset (util-linux)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: no /usr/bin/time (apt-get install time)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name|gdcmconv options
syntaxes=(
  "jpeg-lossless-sv1|-J"
  "jpeg2000-lossless|-K"
  "jpeg2000-lossy-r10|-K -Y -r 10"
  "jpeg-ls-lossless|-L"
  "jpeg-ls-near3|-L -Y -e 3"
  "rle|-R"
  "deflated|-d"
)
if [ -n "${ONLY:-}" ]; then
  kept=()
  for s in "${syntaxes[@]}"; do [[ ${s%%|*} =~ $ONLY ]] && kept+=("$s"); done
  syntaxes=("${kept[@]}")
fi
mkdir -p "$tmp/native"
for i in $(seq 40 $((40 + slices - 1))); do cp "$src/image_$i" "$tmp/native/"; done
for s in "${syntaxes[@]}"; do
  name=${s%%|*}; opts=${s#*|}
  mkdir -p "$tmp/$name"
  for f in "$tmp/native"/*; do
    # shellcheck disable=SC2086
    gdcmconv $opts "$f" "$tmp/$name/$(basename "$f")" >/dev/null 2>&1
  done
done

# timed NAME CMD...: appends CMD's CPU time (user + system, its child processes included) in
# microseconds to $tmp/NAME.wall. CPU time rather than wall time: on a shared machine, time spent
# waiting for the CPU is noise that would swamp a few milliseconds of decoding per slice.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@" >/dev/null 2>"$tmp/err" || { echo "bench: $name failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
  tail -1 "$tmp/cpu" | awk '{printf "%d\n", ($1 + $2) * 1e6}' >>"$tmp/$name.wall"
}
# least() is the least of a run's times: other work on the machine only ever adds CPU time (cache
# and memory-bus contention), so the least is the least disturbed estimate.
least() { sort -n "$1" | head -1; }
peer_folder() { for f in "$1"/*; do gdcmconv --raw "$f" "$tmp/out.dcm"; done; }
# The same decode in one process through GDCM's Python binding (no process start per file): a
# steadier figure for syntaxes whose decode is small beside gdcmconv's start-up.
cat >"$tmp/gdcm_inproc.py" <<'PY'
import sys, os, gdcm
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    r = gdcm.ImageReader()
    r.SetFileName(os.path.join(d, name))
    if not r.Read():
        sys.exit("gdcm cannot read " + name)
    r.GetImage().GetBuffer()
PY
export -f peer_folder
export tmp

names=(native)
for s in "${syntaxes[@]}"; do names+=("${s%%|*}"); done
for round in warm $(seq "$runs"); do
  for n in "${names[@]}"; do
    tag=$n; [ "$round" = warm ] && tag=warm-$n
    timed "ours-$tag" env GOMAXPROCS=1 taskset -c "$cpu" "$ours" info --json "$tmp/$n"
    timed "peer-$tag" taskset -c "$cpu" bash -c 'peer_folder "$0"' "$tmp/$n"
    if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import gdcm' 2>/dev/null; then
      timed "inproc-$tag" taskset -c "$cpu" /usr/bin/python3 "$tmp/gdcm_inproc.py" "$tmp/$n"
    fi
  done
done

base_ours=$(least "$tmp/ours-native.wall")
base_peer=$(least "$tmp/peer-native.wall")
base_inproc=$(least "$tmp/inproc-native.wall" 2>/dev/null || echo 0)
printf 'bench: %d slices of IRCAD case 1 (512x512 int16), %d runs after a warm-up, pinned to CPU %s of %d\n' "$slices" "$runs" "$cpu" "$(nproc)"
awk -v o="$base_ours" -v p="$base_peer" 'BEGIN { printf "  uncompressed folder: liverseg %.1f ms, gdcmconv --raw %.1f ms CPU (subtracted below)\n", o / 1000, p / 1000 }'
printf '  %-20s %11s %11s %8s %13s %8s %9s\n' syntax "ours ms/sl" "gdcmconv" ratio "gdcm in-proc" ratio "MB/slice"
worst=0
for n in "${names[@]:1}"; do
  o=$(least "$tmp/ours-$n.wall"); p=$(least "$tmp/peer-$n.wall")
  i=$( [ -f "$tmp/inproc-$n.wall" ] && least "$tmp/inproc-$n.wall" || echo 0)
  size=$(du -sb "$tmp/$n" | awk '{print $1}')
  line=$(awk -v o="$o" -v p="$p" -v i="$i" -v bo="$base_ours" -v bp="$base_peer" -v bi="$base_inproc" -v n="$slices" -v name="$n" -v size="$size" 'BEGIN {
    do_ = (o - bo) / n / 1000; dp = (p - bp) / n / 1000; di = (i - bi) / n / 1000
    if (do_ < 0.05) do_ = 0.05
    if (dp < 0.05) dp = 0.05
    if (di < 0.05) di = 0.05
    printf "%-20s %11.2f %11.2f %8.2f %13.2f %8.2f %9.3f", name, do_, dp, do_ / dp, di, do_ / di, size / n / 1e6 }')
  echo "  $line"
  # The target is judged on the in-process figure where there is one: gdcmconv's start-up (about
  # 25 ms of CPU a file) varies by more than a small decode (deflate, JPEG Lossless) costs.
  r=$(awk -v inproc="$i" '{print (inproc > 0) ? $6 : $4}' <<<"$line")
  worst=$(awk -v a="$worst" -v b="$r" 'BEGIN {print (b > a) ? b : a}')
done
printf 'target: no syntax slower than 1.5x GDCM (in-process where measured); worst ratio %.2f: %s\n' "$worst" "$(awk -v w="$worst" 'BEGIN {print (w <= 1.5) ? "met" : "NOT met"}')"

echo "bench: go test -bench BenchmarkCodecs ./scan/ (in-memory decode of one frame, GOMAXPROCS=1)"
(cd "$repo" && . scripts/goflags.sh && LIVERSEG_DATA=$data GOMAXPROCS=1 go test -run '^$' -bench '^BenchmarkCodecs$' -benchtime 20x ./scan/ | grep -E '^Benchmark|^ok')
