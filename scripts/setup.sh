#!/bin/bash
# Sets up a Debian 12 machine for liverseg: Debian packages, the ONNX Runtime shared library,
# the test data, the Go modules and bin/liverseg. Idempotent: a rerun on a set-up machine skips
# apt and npm and takes seconds. Run as root, or as a user who may sudo.
#
# Environment:
#   LIVERSEG_CACHE   cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/liverseg):
#                    ort/VERSION/ holds the ONNX Runtime library, data/ the unpacked test data
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
shared=$(cd "$repo/.." && pwd)/shared
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
ort_version=1.30.0
ort_dir=$cache/ort/$ort_version

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  sudo=()
fi

# 1. Debian packages. dpkg-query first, so that a set-up machine never touches apt.
packages=(build-essential pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev
  xvfb xauth python3-torch python3-numpy python3-pydicom python3-nibabel python3-gdcm libgdcm-tools
  python3-pil python3-scipy imagemagick xz-utils time ca-certificates git dbus-daemon
  libopenjp2-7-dev libcharls-dev zlib1g-dev dcmtk orthanc orthanc-dicomweb curl desktop-file-utils bc
  dicom3tools)
# libopenjp2-7-dev, libcharls-dev, zlib1g-dev: the JPEG 2000 / HTJ2K, JPEG-LS and deflate
# decoders of scan/codec (cgo); libgdcm-tools (gdcmconv) and dcmtk (dcmcjpeg): the codec tests' fixture encoders and the
# codec benchmark's peer. orthanc, orthanc-dicomweb: the real PACS the pacs tests start on a
# loopback port (the package's own service is left as Debian sets it; the tests never use it);
# curl: the PACS benchmark's peer. desktop-file-utils: the package test validates the .desktop
# file; imagemagick (import) and bc: scripts/screenshot.sh. dicom3tools (dciodvfy, dcentvfy): the SEG
# tests check what liverseg writes against the standard, as outside readers would. dbus-daemon:
# scripts/run.sh gives the GUI a session bus on a machine without one.
# python3-scipy: the reference (distance_transform_edt) the surface-distance test checks eval's
# HD95, ASSD and NSD against.
# node and npm may come from elsewhere (nodesource, nvm): Debian's only when there is no npm.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || [ ${#sudo[@]} -gt 0 ] || die "missing Debian packages (${missing[*]}) and not root, and no sudo"
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}"
else
  say "Debian packages: all ${#packages[@]} installed"
fi
command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null 2>&1 || die "no go on PATH (install Go 1.26 into /usr/local/go, or apt-get install golang)"
command -v npm >/dev/null 2>&1 || die "no npm on PATH after installing packages"

# 2. ONNX Runtime (CPU) from the npm package onnxruntime-node. --ignore-scripts: its install script
# downloads CUDA files, which fails offline and is not needed for the CPU library.
if [ -f "$ort_dir/libonnxruntime.so.1" ] && [ -L "$ort_dir/libonnxruntime.so" ]; then
  say "ONNX Runtime $ort_version: $ort_dir/libonnxruntime.so"
else
  say "fetching ONNX Runtime $ort_version (npm onnxruntime-node)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm install --ignore-scripts --no-audit --no-fund --no-save --loglevel=error \
    "onnxruntime-node@$ort_version" >/dev/null)
  lib=$(find "$tmp/node_modules/onnxruntime-node/bin" -path '*/linux/x64/libonnxruntime.so*' -type f | sort | head -1)
  [ -n "$lib" ] || die "no linux/x64 libonnxruntime.so* in onnxruntime-node@$ort_version"
  mkdir -p "$ort_dir"
  cp "$lib" "$ort_dir/libonnxruntime.so.1.tmp"
  mv "$ort_dir/libonnxruntime.so.1.tmp" "$ort_dir/libonnxruntime.so.1"
  ln -sfn libonnxruntime.so.1 "$ort_dir/libonnxruntime.so"
  rm -rf "$tmp"
  trap - EXIT
  say "ONNX Runtime $ort_version: $ort_dir/libonnxruntime.so"
fi

# 3. Test data: ../shared/data is read-only; unpack.sh expands the archives into the cache.
data=$cache/data
if [ -x "$shared/data/unpack.sh" ] || [ -f "$shared/data/unpack.sh" ]; then
  sh "$shared/data/unpack.sh" "$data" >/dev/null
  say "test data: $data"
else
  say "no $shared/data/unpack.sh: test data not unpacked (tests that need it skip)"
  data=
fi

# 4. Go modules and the binary. Flags stay the same from run to run, so that the build cache
# (cgo included) is reused.
. scripts/goflags.sh
go mod download
go build -o bin/liverseg .
say "built $repo/bin/liverseg"

echo
echo "Set up. For tests and benchmarks outside make, export:"
[ -z "$data" ] || echo "  export LIVERSEG_DATA=$data"
echo "  export ONNXRUNTIME_SHARED_LIBRARY_PATH=$ort_dir/libonnxruntime.so"
echo "Then: make run (the app), make test, make bench, bin/liverseg doctor."
