#!/bin/bash
# Retrieving a series from a PACS: `liverseg pacs get` against curl of the same WADO-RS URL, in
# the same run. Starts a throw-away Orthanc (with its DICOMweb plugin, basic auth on) on a free
# loopback port, uploads $LIVERSEG_DATA/ct/ircad/3Dircadb1.7/PATIENT_DICOM (151 files) through
# its REST API, then times, RUNS times each after a warm-up, alternating:
#   ours: liverseg pacs get --study S --cache EMPTY_DIR SERIES   (streams the multipart answer
#         into one file per instance, checks each, renames the folder into the cache)
#   peer: curl -o BODY with the same URL and Accept header   (the raw multipart body, one file)
# --study is given so that both send exactly one request (without it liverseg asks QIDO-RS for
# the study first). Prints the median wall time of each, the throughput, the ratio and the
# target.
# liverseg's time includes its start (about 0.06 s: a Go binary that links the GUI) and opening
# the workspace database, which curl has neither of.
# Usage: bench/pacs_retrieve.sh   (RUNS=5, LIVERSEG=bin/liverseg)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
data=${LIVERSEG_DATA:-$cache/data}
series=$data/ct/ircad/3Dircadb1.7/PATIENT_DICOM
runs=${RUNS:-5}
ours=${LIVERSEG:-$repo/bin/liverseg}
user=bench
password=bench-secret

[ -d "$series" ] || { echo "bench: no $series (run scripts/setup.sh; set LIVERSEG_DATA)" >&2; exit 1; }
[ -x "$ours" ] || { echo "bench: no $ours (make build)" >&2; exit 1; }
orthanc=$(command -v Orthanc || ls /usr/sbin/Orthanc 2>/dev/null || true)
[ -n "$orthanc" ] || { echo "bench: no Orthanc (apt-get install orthanc orthanc-dicomweb; scripts/setup.sh does it)" >&2; exit 1; }
plugin=$(ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/libOrthancDicomWeb.so* 2>/dev/null | head -1 || true)
[ -n "$plugin" ] || { echo "bench: no DICOMweb plugin (apt-get install orthanc-dicomweb)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench: no curl" >&2; exit 1; }
nfiles=$(find "$series" -maxdepth 1 -type f | wc -l)

tmp=$(mktemp -d)
pid=
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/orthanc.json" <<EOF
{
  "Name": "liverseg-bench", "HttpPort": $port, "DicomServerEnabled": false,
  "StorageDirectory": "$tmp/storage", "IndexDirectory": "$tmp/storage",
  "Plugins": ["$plugin"], "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true, "RegisteredUsers": {"$user": "$password"},
  "HttpCompressionEnabled": false,
  "DicomWeb": {"Enable": true, "Root": "/dicom-web/"}
}
EOF
"$orthanc" "$tmp/orthanc.json" >"$tmp/orthanc.log" 2>&1 &
pid=$!
root=http://127.0.0.1:$port
for _ in $(seq 300); do
  curl -fs -u "$user:$password" "$root/system" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "bench: Orthanc exited:" >&2; tail -20 "$tmp/orthanc.log" >&2; exit 1; }
  sleep 0.1
done
curl -fs -u "$user:$password" "$root/system" >/dev/null || { echo "bench: Orthanc does not answer on $root" >&2; exit 1; }

for f in "$series"/*; do
  curl -fs -u "$user:$password" -X POST --data-binary @"$f" "$root/instances" -o /dev/null
done

ws=$tmp/workspace
"$ours" pacs servers add bench "$root/dicom-web" --user "$user" --password "$password" --workspace "$ws" >/dev/null
"$ours" pacs search --workspace "$ws" --patient liver_07 --json >"$tmp/search.json" || true
read -r study uid count < <(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["series"]
print(s[0]["study_uid"], s[0]["series_uid"], s[0]["instances"]) if len(s) == 1 else sys.exit("found %d series" % len(s))
' "$tmp/search.json")
[ "$count" = "$nfiles" ] || { echo "bench: Orthanc holds $count instances of the series, uploaded $nfiles files" >&2; exit 1; }
url="$root/dicom-web/studies/$study/series/$uid"
accept='multipart/related; type="application/dicom"; transfer-syntax=*'

# run NAME CMD...: runs CMD once and appends its wall time in microseconds to $tmp/NAME.wall.
run() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  if ! "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    echo "bench: $name failed: $*" >&2
    cat "$tmp/$name.err" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 ))" >>"$tmp/$name.wall"
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# The cache and the body are removed before each run, outside the timing.
get_ours() { "$ours" pacs get --workspace "$ws" --study "$study" --cache "$tmp/cache" "$uid" --json; }
get_peer() { curl -fsS -u "$user:$password" -H "Accept: $accept" -o "$tmp/body" "$url"; }

run warm_ours get_ours
run warm_peer get_peer
dir=$(sed -n 's/.*"dir": "\(.*\)".*/\1/p' "$tmp/warm_ours.out")
got=$(find "$dir" -name '*.dcm' | wc -l)
[ "$got" = "$nfiles" ] || { echo "bench: liverseg retrieved $got instances, want $nfiles" >&2; exit 1; }
bytes_ours=$(find "$dir" -name '*.dcm' -printf '%s\n' | awk '{s += $1} END {print s}')
bytes_peer=$(stat -c %s "$tmp/body")
for _ in $(seq "$runs"); do
  rm -rf "$tmp/cache"; sync
  run ours get_ours
  sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' "$tmp/ours.out" >>"$tmp/inside.s"
  rm -f "$tmp/body"; sync
  run peer get_peer
done
# Once more with the series in the cache: no network at all.
for _ in $(seq "$runs"); do run cached get_ours; done
wall_ours=$(median "$tmp/ours.wall")
wall_cached=$(median "$tmp/cached.wall")
inside=$(median "$tmp/inside.s")
wall_peer=$(median "$tmp/peer.wall")

awk -v wo="$wall_ours" -v wc="$wall_cached" -v inside="$inside" -v wp="$wall_peer" -v bo="$bytes_ours" -v bp="$bytes_peer" -v runs="$runs" \
    -v n="$nfiles" -v series="$series" -v cpu="$(nproc)" -v url="$url" '
BEGIN {
  ratio = wo / wp
  printf "bench: %s (%d files) from a local Orthanc, %d runs after a warm-up, %d CPUs; median wall time\n", series, n, runs, cpu
  printf "  GET %s\n", url
  printf "  liverseg pacs get (empty cache)  %7.3f s   %7.1f MB/s   %d instance files, %.1f MB\n", wo / 1e6, bo / wo, n, bo / 1e6
  printf "  curl -o BODY                     %7.3f s   %7.1f MB/s   one multipart body, %.1f MB\n", wp / 1e6, bp / wp, bp / 1e6
  printf "    of which the retrieve itself %7.3f s   (the rest: starting the binary, opening the workspace)\n", inside
  printf "  liverseg pacs get (cached)       %7.3f s   (reads the cache, no request)\n", wc / 1e6
  printf "  ratio liverseg/curl              %7.3f   (%+.0f ms)\n", ratio, (wo - wp) / 1e3
  printf "  ratio retrieve itself/curl       %7.3f\n", inside * 1e6 / wp
  printf "target: ratio <= 1.5 (parsing the multipart stream and writing one file per instance costs little beside the transfer)\n"
  printf "result: ratio %.3f %s\n", ratio, (ratio <= 1.5 ? "met" : "NOT met")
}'
