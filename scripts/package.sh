#!/bin/bash
# Builds the desktop package: dist/liverseg-VERSION-linux-ARCH.tar.xz, a folder that a new user
# unpacks and starts (liverseg-VERSION/bin/liverseg), or installs with its install.sh (a menu
# entry with the icon). It carries the program, the ONNX Runtime library it loads
# (lib/liverseg/, found beside the program), the .desktop file, the icon, the model card and a
# README. Name, ID, version and icon come from FyneApp.toml.
#
# usage: scripts/package.sh [OUTDIR]     (default: dist)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. scripts/goflags.sh
command -v go >/dev/null 2>&1 || export PATH=$PATH:/usr/local/go/bin
out=$(realpath -m "${1:-dist}")

toml() { sed -n "s/^$1 *= *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" FyneApp.toml | head -1; }
name=$(toml Name); id=$(toml ID); version=$(toml Version); icon=$(toml Icon)
[ -n "$name" ] && [ -n "$id" ] && [ -n "$version" ] && [ -f "$icon" ] || { echo "package: FyneApp.toml lacks Name, ID, Version or Icon" >&2; exit 1; }
arch=$(go env GOARCH)
cache=${LIVERSEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liverseg}
ort=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$cache/ort/1.30.0/libonnxruntime.so}
[ -f "$ort" ] || { echo "package: no ONNX Runtime library at $ort (run scripts/setup.sh)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
top=$name-$version
root=$stage/$top
mkdir -p "$root/bin" "$root/lib/liverseg" "$root/share/applications" "$root/share/icons/hicolor/256x256/apps" "$root/share/doc/liverseg"
# The same flags as make build and the tests, so that the build cache serves (cgo included).
go build -ldflags "-s -w" -o "$root/bin/liverseg" .
cp -L "$ort" "$root/lib/liverseg/libonnxruntime.so"
cp "$icon" "$root/share/icons/hicolor/256x256/apps/$id.png"
cp assets/MODEL_CARD.md "$root/share/doc/liverseg/"
cat >"$root/share/applications/$id.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Version=1.0
Name=$name
GenericName=Liver CT review
Comment=Review, compare and correct liver segmentations of CT
Exec=liverseg %f
Icon=$id
Terminal=false
Categories=Science;MedicalSoftware;
Keywords=CT;DICOM;NIfTI;liver;segmentation;radiology;
StartupWMClass=$name
DESKTOP
cat >"$root/install.sh" <<'INSTALL'
#!/bin/sh
# Installs liverseg for this user (PREFIX=~/.local), or system-wide with PREFIX=/usr/local as
# root: the program and its library under PREFIX, the menu entry and the icon.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
mkdir -p "$prefix/bin" "$prefix/lib/liverseg" "$prefix/share/applications" "$prefix/share/icons/hicolor/256x256/apps"
cp "$here/bin/liverseg" "$prefix/bin/liverseg"
cp "$here/lib/liverseg/libonnxruntime.so" "$prefix/lib/liverseg/"
for f in "$here"/share/applications/*.desktop; do
  sed "s|^Exec=liverseg|Exec=$prefix/bin/liverseg|" "$f" >"$prefix/share/applications/$(basename "$f")"
done
cp "$here"/share/icons/hicolor/256x256/apps/*.png "$prefix/share/icons/hicolor/256x256/apps/"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$prefix/share/applications" 2>/dev/null || true
echo "liverseg installed in $prefix (start it from the menu, or $prefix/bin/liverseg)"
# The libraries the program links: say which are missing rather than fail at start.
missing=$(ldd "$prefix/bin/liverseg" 2>/dev/null | awk '/not found/{print $1}')
if [ -n "$missing" ]; then
  echo "missing libraries: $missing"
  echo "on Debian or Ubuntu: sudo apt-get install libgl1 libx11-6 libxcursor1 libxrandr2 libxinerama1 libxi6 libxxf86vm1 libopenjp2-7 libcharls2 zlib1g"
fi
INSTALL
chmod +x "$root/install.sh"
cat >"$root/README" <<README
$name $version: liver CT review (DICOM, NIfTI), a U-Net through ONNX Runtime, label correction.

Start without installing:   ./bin/liverseg            (or ./bin/liverseg FOLDER)
Install with a menu entry:  ./install.sh              (PREFIX=/usr/local ./install.sh as root)
Commands:                   ./bin/liverseg help
Check the machine:          ./bin/liverseg doctor

It needs OpenGL and X11 (or Wayland), and the Debian packages libopenjp2-7 libcharls2 for
compressed DICOM; install.sh lists whatever is missing.
The model card is in share/doc/liverseg/MODEL_CARD.md.
README
mkdir -p "$out"
archive=$out/$name-$version-linux-$arch.tar.xz
tar -C "$stage" -cf - "$top" | xz -T0 -3 >"$archive.tmp"
mv "$archive.tmp" "$archive"
echo "package: $archive ($(du -h "$archive" | cut -f1))"
