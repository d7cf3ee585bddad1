#!/bin/bash
# Thin-slice CT at scale: what opening, reviewing, editing and segmenting a series costs as its
# slice count grows, for N = 151 (IRCAD case 7 as stored) and thin series made from it
# (bench/thinseries: the same patient resampled along the slice axis to N slices, real DICOM and
# a mask folder), all in one run.
#
# Per N it runs
#   - `liverseg segment` on the CPU under GNU time: segment_s (its total_s) and its peak RSS;
#   - the application under Xvfb with the truth and the model (prediction and probability map),
#     four-up, until its ready file: the time from launch to the first image (--first-image-file)
#     and the peak RSS of the whole review;
#   - bench/scale (one Go process): load, next slice, brush stroke, undo, the undo history of
#     1000 strokes, autosave snapshot, version save, SEG and NIfTI write (each read back and
#     compared voxel for voxel).
# and prints a table with each figure's ratio to N = 151 (per slice for the figures that should
# grow with N: load, segment, snapshot, version save, SEG and NIfTI write), then the targets.
#
# usage: bench/scale.sh [--json] [N ...]        (default N: 151 604 1000; 151 is case 7 itself)
# Environment: LIVERSEG_DATA, LIVERSEG_BIN (default: build bin/liverseg), THIN_DIR (keep the
# thin series there between runs; default: a temporary folder), ONNXRUNTIME_SHARED_LIBRARY_PATH.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/liverseg
data=${LIVERSEG_DATA:-$cache/data}
export ONNXRUNTIME_SHARED_LIBRARY_PATH=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}
json=
sizes=()
for a in "$@"; do
  case $a in
    --json) json=1 ;;
    [0-9]*) sizes+=("$a") ;;
    *) echo "usage: bench/scale.sh [--json] [N ...]" >&2; exit 2 ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(151 604 1000)
case7=$data/ct/ircad/3Dircadb1.7
[ -d "$case7/PATIENT_DICOM" ] || { echo "scale: no $case7/PATIENT_DICOM (run scripts/setup.sh; set LIVERSEG_DATA)" >&2; exit 1; }
for tool in xvfb-run /usr/bin/time python3; do
  command -v $tool >/dev/null || { echo "scale: no $tool (scripts/setup.sh installs it)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
thin=${THIN_DIR:-$work/thin}
bin=${LIVERSEG_BIN:-}
(cd "$repo" && . scripts/goflags.sh && go build -o "$work/scale" ./bench/scale && go build -o "$work/thinseries" ./bench/thinseries)
if [ -z "$bin" ]; then
  (cd "$repo" && . scripts/goflags.sh && go build -o bin/liverseg .)
  bin=$repo/bin/liverseg
fi

# series N: prints the series folder and its mask folder, making the thin series when needed.
series() {
  local n=$1
  if [ "$n" = 151 ]; then
    echo "$case7/PATIENT_DICOM $case7/MASKS_DICOM/liver"
    return
  fi
  local dir=$thin/n$n
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    "$work/thinseries" --series "$case7/PATIENT_DICOM" --mask "$case7/MASKS_DICOM/liver" --slices "$n" --out "$dir" >&2
    touch "$dir/.done"
  fi
  echo "$dir/PATIENT_DICOM $dir/MASKS_DICOM/liver"
}

# gui SERIES MASK OUT.json FIRST.json: the application with truth and model until ready; writes
# the ready file to OUT.json, the first image's (with the launch time added) to FIRST.json, and
# prints the peak RSS in KiB.
gui() {
  local s=$1 m=$2 out=$3 first=$4 run=$work/gui
  rm -rf "$run"; mkdir -p "$run"
  cat >"$run/run.sh" <<INNER
set -euo pipefail
. "$repo/scripts/app-ready.sh"
date +%s.%N >"$run/launched"
/usr/bin/time -f '%M' -o "$run/rss" "$bin" --workspace "$run/ws" --truth "$m" --infer --layout four-up \
  --first-image-file "$run/first.json" --ready-file "$out" "$s" 2>"$run/app.log" &
app=\$!
wait_ready scale "$out" \$app "$run/app.log" 300
pkill -TERM -P \$app
wait \$app || true
INNER
  xvfb-run -a -s "-screen 0 1600x1000x24" bash "$run/run.sh" >&2
  python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); f["first_image_s"]=f["unix"]-float(open(sys.argv[2]).read()); print(json.dumps(f))' \
    "$run/first.json" "$run/launched" >"$first"
  tail -1 "$run/rss"
}

rows=$work/rows.jsonl
: >"$rows"
for n in "${sizes[@]}"; do
  read -r s m < <(series "$n")
  echo "scale: N=$n: segment" >&2
  /usr/bin/time -f '%M' -o "$work/seg.rss" "$bin" segment --device cpu --in "$s" --out "$work/pred-$n.nii.gz" --json >"$work/seg-$n.json"
  echo "scale: N=$n: the application" >&2
  gui_kib=$(gui "$s" "$m" "$work/ready-$n.json" "$work/first-$n.json")
  echo "scale: N=$n: load, review, edit, save" >&2
  "$work/scale" --series "$s" --truth "$m" --pred "$work/pred-$n.nii.gz" --json >"$work/scale-$n.json"
  python3 - "$work/scale-$n.json" "$work/seg-$n.json" "$(tail -1 "$work/seg.rss")" "$work/first-$n.json" "$gui_kib" >>"$rows" <<'PY'
import json, sys
row = json.load(open(sys.argv[1]))
seg = json.load(open(sys.argv[2]))
first = json.load(open(sys.argv[4]))
row["segment_s"] = seg["total_s"]
row["segment_peak_mb"] = int(sys.argv[3]) * 1024 / 1e6
row["first_image_s"] = first["first_image_s"]
row["gui_peak_mb"] = int(sys.argv[5]) * 1024 / 1e6
print(json.dumps(row))
PY
done

python3 - "$rows" "$json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["load_s", "segment_s", "segment_peak_mb", "first_image_s", "gui_peak_mb", "next_slice_ms",
        "brush_ms", "undo_ms", "snapshot_ms", "save_version_s", "seg_write_s", "nifti_write_s"]
extra = ["undo_1000_mb", "labels_mb", "round_trip"]
per_slice = {"load_s", "segment_s", "snapshot_ms", "save_version_s", "seg_write_s", "nifti_write_s"}
base = next((r for r in rows if r["slices"] == 151), None)
def ratio(r, k):
    if base is None or not base.get(k) or r.get(k) is None:
        return None
    x = r[k] / base[k]
    return x * 151 / r["slices"] if k in per_slice else x
if sys.argv[2]:
    out = []
    for r in rows:
        o = {"slices": r["slices"]}
        o.update({k: r.get(k) for k in keys + extra})
        o["ratio_to_151"] = {k: ratio(r, k) for k in keys}
        out.append(o)
    print(json.dumps({"rows": out}, indent=1))
    sys.exit(0)
fmt = lambda x: "-" if x is None else (("%.3g" % x) if isinstance(x, float) else str(x))
print("%-16s" % "slices" + "".join("%18d" % r["slices"] for r in rows))
for k in keys + extra:
    cells = []
    for r in rows:
        q = ratio(r, k) if k in keys and r is not base else None
        cells.append("%18s" % (fmt(r.get(k)) + ("" if q is None else " (%.2fx%s)" % (q, "/sl" if k in per_slice else ""))))
    print("%-16s" % k + "".join(cells))
print("ratios to N=151; /sl: per slice")
big = next((r for r in rows if r["slices"] == 1000), None)
if big and base:
    checks = [
        ("GUI review peak <= 1200 MB", big["gui_peak_mb"] <= 1200),
        ("segment peak <= 900 MB", big["segment_peak_mb"] <= 900),
        ("first image <= 1.5 s", big.get("first_image_s") is not None and big["first_image_s"] <= 1.5),
        ("next slice, brush, undo within 1.5x of N=151", all(ratio(big, k) <= 1.5 for k in ("next_slice_ms", "brush_ms", "undo_ms"))),
        ("1000 undo steps <= 50 MB", big["undo_1000_mb"] <= 50),
        ("load and segment per slice within 1.25x of N=151", all(ratio(big, k) <= 1.25 for k in ("load_s", "segment_s"))),
        ("SEG and NIfTI read back voxel-identical", all(r["round_trip"] for r in rows)),
    ]
    for name, ok in checks:
        print("target: %-50s %s" % (name, "met" if ok else "NOT met"))
PY
