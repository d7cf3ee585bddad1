#!/bin/bash
# The Go benchmarks of two revisions of liverseg, in the same run: for a change that must not make
# anything slower (a restructuring), the figures of before and after side by side.
#
# Each benchmark is found by name in each revision (so one that moved to another package between
# them is still compared), its package's test binary is built once per revision, and the two
# binaries run alternately ROUNDS times (old, new, old, new, ...) so that the machine's drift hits
# both alike. Prints, per benchmark, the median ns/op (and B/op, allocs/op) of each revision and
# the ratio new/old.
#
# Usage: bench/revisions.sh [OLD [NEW]]   OLD defaults to main's first parent (HEAD~1 on a merge),
#        NEW to the working tree; ROUNDS=5, BENCHTIME=20x, BENCH="name ..." (the default list below:
#        rendering, the next slice, loading a series and its mask, segmenting).
# Needs: LIVERSEG_DATA and ONNXRUNTIME_SHARED_LIBRARY_PATH (scripts/test.sh's defaults are used);
# a display or xvfb-run for the GUI's benchmarks.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
command -v go >/dev/null 2>&1 || export PATH=$PATH:/usr/local/go/bin
. scripts/goflags.sh
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
export LIVERSEG_DATA=${LIVERSEG_DATA:-$cache/data}
export ONNXRUNTIME_SHARED_LIBRARY_PATH=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}

old=${1:-HEAD~1}
new=${2:-}
rounds=${ROUNDS:-5}
benchtime=${BENCHTIME:-20x}
read -r -a benches <<<"${BENCH:-Render512TwoOverlays Render512NextSlice WindowChange NextSlice NextSliceZoomed LoadIRCAD7 MaskFolderIRCAD7 SegmentIRCAD7}"

wrap=()
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  wrap=(xvfb-run -a)
fi

tmp=$(mktemp -d)
cleanup() {
  for side in old new; do
    [ -d "$tmp/$side/tree" ] && git worktree remove --force "$tmp/$side/tree" >/dev/null 2>&1
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# tree SIDE REV: the source of a revision (the working tree when REV is empty).
tree() {
  local side=$1 rev=$2
  mkdir -p "$tmp/$side"
  if [ -z "$rev" ]; then
    echo "$repo"
  else
    git worktree add --detach -q "$tmp/$side/tree" "$rev"
    echo "$tmp/$side/tree"
  fi
}
oldtree=$(tree old "$old")
newtree=$(tree new "$new")
echo "bench: old = $old ($(git -C "$oldtree" rev-parse --short HEAD)), new = ${new:-working tree} ($(git -C "$newtree" rev-parse --short HEAD)$( [ -n "$(git -C "$newtree" status --porcelain --untracked-files=no)" ] && echo ", modified"))"
echo "bench: $rounds rounds of -benchtime $benchtime, alternating"

# binary SIDE TREE NAME: the test binary of the package that declares BenchmarkNAME in TREE.
binary() {
  local side=$1 dir=$2 name=$3 file pkg bin
  file=$(cd "$dir" && grep -rl --include='*_test.go' "^func Benchmark$name(" . | head -1)
  [ -n "$file" ] || { echo "bench: no Benchmark$name in the $side revision" >&2; return 1; }
  pkg=$(dirname "$file")
  bin=$tmp/$side/$(echo "$pkg" | tr '/.' '__').test
  [ -x "$bin" ] || (cd "$dir" && go test -c -o "$bin" "$pkg")
  echo "$bin $dir/$pkg"
}

declare -A bins
for b in "${benches[@]}"; do
  for side in old new; do
    dir=$oldtree
    [ "$side" = new ] && dir=$newtree
    bins[$side.$b]=$(binary "$side" "$dir" "$b")
  done
done

for ((r = 1; r <= rounds; r++)); do
  for b in "${benches[@]}"; do
    for side in old new; do
      read -r bin pkgdir <<<"${bins[$side.$b]}"
      # A test binary runs in its package's folder, as go test runs it (testdata, golden files).
      (cd "$pkgdir" && "${wrap[@]}" "$bin" -test.run '^$' -test.bench "^Benchmark$b\$" \
        -test.benchtime "$benchtime" -test.benchmem) | grep "^Benchmark$b" >>"$tmp/$side.$b.txt" || {
        echo "bench: Benchmark$b ($side) failed" >&2
        exit 1
      }
    done
  done
  echo "bench: round $r of $rounds done"
done

# median FILE FIELD: the median of the value before the unit FIELD (ns/op, B/op, allocs/op).
median() {
  awk -v unit="$2" '{for (i = 2; i <= NF; i++) if ($i == unit) print $(i - 1)}' "$1" | sort -g |
    awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) printf "%.0f\n", v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

printf '%-34s %14s %14s %7s %12s %12s %10s %10s\n' benchmark "old ns/op" "new ns/op" new/old "old B/op" "new B/op" "old allocs" "new allocs"
for b in "${benches[@]}"; do
  o=$(median "$tmp/old.$b.txt" ns/op)
  n=$(median "$tmp/new.$b.txt" ns/op)
  printf '%-34s %14s %14s %7.3f %12s %12s %10s %10s\n' "$b" "$o" "$n" "$(awk -v o="$o" -v n="$n" 'BEGIN {print n / o}')" \
    "$(median "$tmp/old.$b.txt" B/op)" "$(median "$tmp/new.$b.txt" B/op)" \
    "$(median "$tmp/old.$b.txt" allocs/op)" "$(median "$tmp/new.$b.txt" allocs/op)"
done
