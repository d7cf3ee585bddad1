#!/bin/bash
# The hostile-input and fault probe of issue 20, rerun against bin/liverseg: each case runs the real
# command on a broken input and must end with a clear "liverseg: ..." error (or success where the input
# is fine), with no Go stack trace, within 10 s of SIGTERM, and under 500 MB peak (GNU time's
# maximum resident set). Prints one line a case and "N passed, N failed"; exits 1 when any failed.
#
#   scripts/probe.sh [BIN]      (default bin/liverseg; needs LIVERSEG_DATA and the ONNX Runtime library)
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$repo/bin/liverseg}
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
data=${LIVERSEG_DATA:-$cache/data}
ort=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}
ircad7=$data/ct/ircad/3Dircadb1.7/PATIENT_DICOM
mask7=$data/ct/ircad/3Dircadb1.7/MASKS_DICOM/liver
[ -x "$bin" ] || { echo "probe: no $bin (make build)" >&2; exit 2; }
[ -d "$ircad7" ] || { echo "probe: no $ircad7 (LIVERSEG_DATA)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ws=$tmp/workspace
mkdir -p "$ws"
passed=0
failed=0
peak_limit_kb=$((500 * 1024))

# run NAME EXPECT CMD...: EXPECT is ok (exit 0) or fail (exit 1 with a liverseg: line on stderr).
# The command gets SIGTERM after 20 s (a well-behaved command on these inputs ends long before);
# it must then be gone within 10 s.
run() {
  local name=$1 expect=$2
  shift 2
  local out=$tmp/out err=$tmp/err tm=$tmp/time
  local start end rc peak why=""
  start=$(date +%s.%N)
  /usr/bin/time -f %M -o "$tm" timeout -s TERM -k 10 20 "$@" >"$out" 2>"$err" </dev/null
  rc=$?
  end=$(date +%s.%N)
  peak=$(tail -1 "$tm" 2>/dev/null | tr -dc 0-9)
  peak=${peak:-0}
  if grep -qE '^goroutine [0-9]+ \[|^panic:|SIGBUS|SIGSEGV|fatal error:' "$err"; then why="stack trace"; fi
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then why="${why:+$why, }hung (killed after 20 s)"; fi
  if [ "$peak" -gt "$peak_limit_kb" ]; then why="${why:+$why, }peak $((peak / 1024)) MB"; fi
  case $expect in
    ok) [ "$rc" = 0 ] || why="${why:+$why, }exit $rc" ;;
    fail)
      [ "$rc" = 1 ] || [ "$rc" = 2 ] || why="${why:+$why, }exit $rc"
      grep -q '^liverseg: ' "$err" || why="${why:+$why, }no liverseg: error line"
      ;;
  esac
  local secs
  secs=$(echo "$end - $start" | bc)
  if [ -z "$why" ]; then
    passed=$((passed + 1))
    printf 'ok    %-44s exit %d %6.2f s %5d MB  %s\n' "$name" "$rc" "$secs" $((peak / 1024)) "$(grep -m1 '^liverseg: ' "$err" | cut -c1-110)"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-44s %s\n' "$name" "$why"
    sed 's/^/        /' "$err" | head -5
  fi
}

# sigterm NAME CMD...: a command that runs for a while; SIGTERM after 2 s; it must exit within 10 s.
sigterm() {
  local name=$1
  shift
  "$@" >/dev/null 2>"$tmp/err" </dev/null &
  local pid=$! t0 waited=0
  sleep 2
  kill -TERM "$pid" 2>/dev/null
  t0=$(date +%s.%N)
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    failed=$((failed + 1))
    printf 'FAIL  %-44s still running 10 s after SIGTERM\n' "$name"
    return
  fi
  wait "$pid"
  local rc=$? secs
  secs=$(echo "$(date +%s.%N) - $t0" | bc)
  if grep -qE '^goroutine [0-9]+ \[|^panic:' "$tmp/err"; then
    failed=$((failed + 1))
    printf 'FAIL  %-44s stack trace after SIGTERM\n' "$name"
    return
  fi
  passed=$((passed + 1))
  printf 'ok    %-44s exit %d, gone %.2f s after SIGTERM\n' "$name" "$rc" "$secs"
}

# Inputs.
head -c 1000000 "$(readlink -f "$ort")" >"$tmp/truncated.so"
: >"$tmp/empty.so"
echo "not a library" >"$tmp/text.so"
truncate -s 3G "$tmp/sparse.onnx"
truncate -s 3G "$tmp/sparse.json"
mkfifo "$tmp/fifo" "$tmp/fifo.onnx" "$tmp/fifo.json" "$tmp/fifo.nii"
mkdir -p "$tmp/withfifo"
cp "$ircad7"/image_0 "$ircad7"/image_1 "$ircad7"/image_2 "$tmp/withfifo/"
mkfifo "$tmp/withfifo/image_3"
# A NIfTI bomb: a gzip of 1 GB of zeros behind a header that declares 1024^3 voxels (about 1 MB packed).
python3 - "$tmp/bomb.nii.gz" <<'EOF'
import gzip, struct, sys
hdr = bytearray(348)
struct.pack_into('<i', hdr, 0, 348)
struct.pack_into('<8h', hdr, 40, 3, 1024, 1024, 1024, 1, 1, 1, 1)
struct.pack_into('<h', hdr, 70, 2)       # datatype uint8
struct.pack_into('<h', hdr, 72, 8)       # bitpix
struct.pack_into('<8f', hdr, 76, 1, 1, 1, 1, 0, 0, 0, 0)
struct.pack_into('<f', hdr, 108, 352)    # vox_offset
hdr[344:348] = b'n+1\0'
with gzip.open(sys.argv[1], 'wb', compresslevel=9) as f:
    f.write(bytes(hdr) + b'\0' * 4)
    zero = b'\0' * (1 << 24)
    for _ in range(64):
        f.write(zero)
EOF
# A series with a slice missing and one with a truncated file.
mkdir -p "$tmp/gap" "$tmp/trunc"
for i in $(seq 0 19); do
  [ "$i" = 10 ] || cp "$ircad7/image_$i" "$tmp/gap/"
  cp "$ircad7/image_$i" "$tmp/trunc/"
done
head -c 4000 "$ircad7/image_5" >"$tmp/trunc/image_5"

w=(--workspace "$ws")
echo "probe: $bin"
run "doctor, truncated ONNX Runtime library" ok env ONNXRUNTIME_SHARED_LIBRARY_PATH="$tmp/truncated.so" "$bin" doctor "${w[@]}"
if ls -A "$ws" | grep -q '^\.liverseg-doctor-'; then
  failed=$((failed + 1)); echo "FAIL  doctor left a .liverseg-doctor-* file in the workspace"
fi
run "doctor --json, empty library" ok "$bin" doctor --json --ort-lib "$tmp/empty.so" "${w[@]}"
run "segment, truncated ONNX Runtime library" fail "$bin" segment --ort-lib "$tmp/truncated.so" --in "$ircad7" --out "$tmp/o.nii.gz"
run "segment, text file as the library" fail "$bin" segment --ort-lib "$tmp/text.so" --in "$ircad7" --out "$tmp/o.nii.gz"
run "segment --model /dev/zero" fail "$bin" segment --model /dev/zero --in "$ircad7" --out "$tmp/o.nii.gz"
run "segment --model sparse 3 GB" fail "$bin" segment --model "$tmp/sparse.onnx" --in "$ircad7" --out "$tmp/o.nii.gz"
run "segment --model FIFO" fail "$bin" segment --model "$tmp/fifo.onnx" --in "$ircad7" --out "$tmp/o.nii.gz"
run "segment, unwritable output" fail "$bin" segment --in "$ircad7" --out /proc/no/such/o.nii.gz
run "train --config sparse 3 GB" fail "$bin" train --config "$tmp/sparse.json" "${w[@]}"
run "train --config FIFO" fail "$bin" train --config "$tmp/fifo.json" "${w[@]}"
run "train --config /dev/zero" fail "$bin" train --config /dev/zero "${w[@]}"
run "info FIFO" fail "$bin" info "$tmp/fifo"
run "info /dev/zero" fail "$bin" info /dev/zero
run "info folder holding a FIFO" ok "$bin" info "$tmp/withfifo"
run "eval --pred FIFO" fail "$bin" eval --series "$ircad7" --truth "$mask7" --pred "$tmp/fifo.nii"
run "eval --pred NIfTI gzip bomb" fail "$bin" eval --series "$ircad7" --truth "$mask7" --pred "$tmp/bomb.nii.gz"
run "convert, a slice missing (no --allow-gaps)" fail "$bin" convert --series "$tmp/gap" --out "$tmp/gap.nii.gz"
run "convert --allow-gaps, a slice missing" ok "$bin" convert --allow-gaps --series "$tmp/gap" --out "$tmp/gap.nii.gz"
if ! grep -qi 'missing' "$tmp/err"; then failed=$((failed + 1)); echo "FAIL  convert --allow-gaps printed no warning"; fi
run "convert, a truncated slice" fail "$bin" convert --series "$tmp/trunc" --out "$tmp/trunc.nii.gz"
run "eval, masks of patient 7 against patient 1" fail "$bin" eval --series "$data/ct/ircad/3Dircadb1.1/PATIENT_DICOM" --truth "$data/ct/ircad/3Dircadb1.1/MASKS_DICOM/liver" --pred "$mask7"
sigterm "segment IRCAD 7 on the CPU, SIGTERM" "$bin" segment --device cpu --in "$ircad7" --out "$tmp/s.nii.gz"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
