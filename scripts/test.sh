#!/bin/bash
# The project's test command (make test, .ci/run): setup (fast when done), go vet, go test on every
# package (under xvfb-run when there is no display; the packages with goroutines under -race), then
# 10 s of each fuzz target.
# Exits non-zero on any failure. go test's own output is printed as it is.
#
# Environment: LIVERSEG_DATA (default: the setup's unpacked data), ONNXRUNTIME_SHARED_LIBRARY_PATH
# (default: the setup's cached library), LIVERSEG_FUZZTIME (default 10s; 0 skips fuzzing).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
command -v go >/dev/null 2>&1 || export PATH=$PATH:/usr/local/go/bin
. scripts/goflags.sh

bash scripts/setup.sh

cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
export LIVERSEG_DATA=${LIVERSEG_DATA:-$cache/data}
export ONNXRUNTIME_SHARED_LIBRARY_PATH=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}
fuzztime=${LIVERSEG_FUZZTIME:-10s}
echo "test: LIVERSEG_DATA=$LIVERSEG_DATA"
echo "test: ONNXRUNTIME_SHARED_LIBRARY_PATH=$ONNXRUNTIME_SHARED_LIBRARY_PATH"

# The GUI tests need a display: without one, a virtual one.
wrap=()
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  wrap=(xvfb-run -a)
fi

# Same flags on every run, so that the build cache (cgo packages included) is reused.
echo "test: go vet ./..."
go vet ./...

# The packages that run goroutines (the GUI and its job runner, the workspace's autosave and locks, the training
# parent and its worker, PACS transfers, inference's sessions, the 3D scene replaced while drawn) run under the race detector; the
# rest plainly. Each package runs once: a race pass runs every test a plain one does.
race_pkgs=(./ui/... ./workspace ./training ./pacs/... ./inference ./viewer/view3d)
mapfile -t plain_pkgs < <(go list ./... | grep -v -x -F -f <(go list "${race_pkgs[@]}"))
echo "test: go test -count=1 -timeout 25m ${plain_pkgs[*]}"
"${wrap[@]}" go test -count=1 -timeout 25m "${plain_pkgs[@]}"
echo "test: go test -race -count=1 -timeout 25m ${race_pkgs[*]}"
"${wrap[@]}" go test -race -count=1 -timeout 25m "${race_pkgs[@]}"

if [ "$fuzztime" = 0 ] || [ "$fuzztime" = 0s ]; then
  echo "test: fuzzing skipped (LIVERSEG_FUZZTIME=$fuzztime)"
  exit 0
fi
# go test -list prints a package's matching names, then its "ok  <package>" line.
list=$(go test -list '^Fuzz' ./...)
targets=()
names=()
while IFS= read -r line; do
  case $line in
    Fuzz*) names+=("$line") ;;
    ok*)
      pkg=$(awk '{print $2}' <<<"$line")
      for n in "${names[@]}"; do targets+=("$pkg $n"); done
      names=()
      ;;
    *) names=() ;;
  esac
done <<<"$list"
echo "test: ${#targets[@]} fuzz targets, $fuzztime each"
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "test: go test -run=^\$ -fuzz=^$name\$ -fuzztime=$fuzztime $pkg"
  # A short minimisation: the default (60 s) would spend the whole budget shrinking one input.
  log=$(mktemp)
  if ! go test -run='^$' -fuzz="^$name\$" -fuzztime="$fuzztime" -fuzzminimizetime=5s "$pkg" 2>&1 | tee "$log"; then
    # Go's fuzzing coordinator sometimes ends a timed run with "context deadline exceeded" and
    # no failing input (a race between its deadline and a worker, not a finding). A real
    # finding always writes its input under testdata/fuzz: only that, or any other error, fails.
    if grep -q "Failing input written" "$log" || ! grep -q "context deadline exceeded" "$log"; then
      rm -f "$log"
      exit 1
    fi
    echo "test: $name: the fuzzing run ended on Go's deadline race without a finding; not a failure"
  fi
  rm -f "$log"
done
echo "test: all passed"
