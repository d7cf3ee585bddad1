#!/bin/bash
# Loading a CT series: liverseg against pydicom + numpy, in the same run.
# Both load $LIVERSEG_DATA/ct/ircad/3Dircadb1.7/PATIENT_DICOM (151 files, 512x512 int16) into one
# int16 HU volume: `bin/liverseg info --json PATH` (reads every slice, converts to HU, stacks) and
# bench/load_pydicom.py. One warm-up run of each (page cache warm), then RUNS runs of each,
# alternating; prints the median wall time and the peak RSS (/usr/bin/time %M) of each, the ratio,
# and the target.
# Usage: bench/load_ircad7.sh   (RUNS=5, LIVERSEG=bin/liverseg, PYTHON=/usr/bin/python3)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
data=${LIVERSEG_DATA:-$cache/data}
series=$data/ct/ircad/3Dircadb1.7/PATIENT_DICOM
runs=${RUNS:-5}
ours=${LIVERSEG:-$repo/bin/liverseg}
python=${PYTHON:-/usr/bin/python3}
peer=$repo/bench/load_pydicom.py

[ -d "$series" ] || { echo "bench: no $series (run scripts/setup.sh; set LIVERSEG_DATA)" >&2; exit 1; }
[ -x "$ours" ] || { echo "bench: no $ours (make build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: no /usr/bin/time (apt-get install time)" >&2; exit 1; }
nfiles=$(find "$series" -maxdepth 1 -type f | wc -l)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME CMD...: runs CMD once; appends its wall seconds to $tmp/NAME.wall and its peak RSS in
# KiB to $tmp/NAME.rss; keeps its stdout in $tmp/NAME.out. Fails the bench when CMD fails.
run() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  if ! /usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    echo "bench: $name failed: $*" >&2
    cat "$tmp/$name.err" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 ))" >>"$tmp/$name.wall"
  tail -1 "$tmp/rss" >>"$tmp/$name.rss"
  sed -n 's/.*"load_seconds": \([0-9.]*\).*/\1/p' "$tmp/$name.out" >>"$tmp/$name.inside"
}

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

cmd_ours=("$ours" info --json "$series")
cmd_peer=("$python" "$peer" "$series")

# Warm-up: fills the page cache, and checks that both work.
run warm_ours "${cmd_ours[@]}"
run warm_peer "${cmd_peer[@]}"
for _ in $(seq "$runs"); do
  run ours "${cmd_ours[@]}"
  run peer "${cmd_peer[@]}"
done

wall_ours=$(median "$tmp/ours.wall")
wall_peer=$(median "$tmp/peer.wall")
rss_ours=$(sort -n "$tmp/ours.rss" | tail -1)
rss_peer=$(sort -n "$tmp/peer.rss" | tail -1)
peer_inside=$(median "$tmp/peer.inside")
peer_shape=$(sed -n 's/.*"shape": \[\([0-9, ]*\)\].*/\1/p' "$tmp/peer.out")

awk -v wo="$wall_ours" -v wp="$wall_peer" -v ro="$rss_ours" -v rp="$rss_peer" -v runs="$runs" \
    -v n="$nfiles" -v inside="$peer_inside" -v shape="$peer_shape" -v series="$series" -v cpu="$(nproc)" '
BEGIN {
  volume = 151 * 512 * 512 * 2 / 1e6        # MB (10^6 bytes) of the int16 volume
  limit = 1.5 * volume + 60
  ratio = wo / wp
  printf "bench: %s (%d files), %d runs after a warm-up, %d CPUs; median wall time, highest peak RSS\n", series, n, runs, cpu
  printf "  liverseg info --json   %7.3f s   peak RSS %7.1f MB\n", wo / 1e6, ro * 1024 / 1e6
  printf "  pydicom + numpy        %7.3f s   peak RSS %7.1f MB   (median inside python, imports left out: %s s; shape %s)\n", wp / 1e6, rp * 1024 / 1e6, inside, shape
  printf "  ratio ours/pydicom     %7.3f\n", ratio
  printf "target: ratio <= 0.5; peak <= 1.5 x volume bytes (%.1f MB) + 60 MB = %.1f MB\n", volume, limit
  printf "result: ratio %.3f %s; peak %.1f MB %s\n", ratio, (ratio <= 0.5 ? "met" : "NOT met"), ro * 1024 / 1e6, (ro * 1024 / 1e6 <= limit ? "met" : "NOT met")
}'
