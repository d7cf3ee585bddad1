#!/bin/bash
# Starts the GUI (make run): bin/liverseg with ARGS, on a plain machine as on a desktop.
# - No display (DISPLAY and WAYLAND_DISPLAY unset): a virtual one, under xvfb-run -a.
# - No XDG_RUNTIME_DIR (a root shell, ssh, a container): a private one (0700) for this run, which
#   GLFW's Wayland probe and D-Bus need; otherwise libwayland prints
#   "error: XDG_RUNTIME_DIR is invalid or not set in the environment".
# - No session bus (DBUS_SESSION_BUS_ADDRESS unset, no $XDG_RUNTIME_DIR/bus): a dbus-daemon for
#   this run, which Fyne's theme watcher and screensaver inhibitor talk to;
#   otherwise Fyne logs "failed to watch theme settings ... dbus-launch: not found".
# On a desktop session all three are there and the program starts as it is.
#
#   scripts/run.sh [ARGS...]      (LIVERSEG_BIN overrides bin/liverseg)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${LIVERSEG_BIN:-$repo/bin/liverseg}
[ -x "$bin" ] || { echo "run: no $bin (make build)" >&2; exit 1; }

# The program records its own PID, so that a SIGTERM reaches it and not the wrappers around it
# (xvfb-run would take the display away before the program has closed its window).
pidfile=$(mktemp "${TMPDIR:-/tmp}/liverseg-run.XXXXXX")
cleanup() {
  rm -f "$pidfile"
  [ -z "${own_runtime:-}" ] || rm -rf "$own_runtime"
  [ -z "${dbus_pid:-}" ] || kill "$dbus_pid" 2>/dev/null || true
}
trap cleanup EXIT
cmd=(bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$bin" "$@")
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ] || [ ! -O "$XDG_RUNTIME_DIR" ]; then
  XDG_RUNTIME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/liverseg-runtime-$(id -u).XXXXXX")
  chmod 700 "$XDG_RUNTIME_DIR"
  export XDG_RUNTIME_DIR
  own_runtime=$XDG_RUNTIME_DIR
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  echo "no display: running under xvfb-run -a" >&2
  cmd=(xvfb-run -a "${cmd[@]}")
fi
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ ! -S "$XDG_RUNTIME_DIR/bus" ] && command -v dbus-daemon >/dev/null; then
  # A session bus for this run, ended with it. dbus-daemon started by root in a container cannot
  # raise its file limit to 65536 and says so on every start: that line (and only it) is dropped.
  { read -r DBUS_SESSION_BUS_ADDRESS; read -r dbus_pid; } < <(dbus-daemon --session --fork \
    --print-address=1 --print-pid=1 2> >(grep -v "Failed to set fd limit" >&2))
  export DBUS_SESSION_BUS_ADDRESS
fi
# Not exec: the trap removes the private runtime folder when the program ends. SIGTERM and
# SIGINT are passed on, so that the program closes its window and saves as it does on Ctrl+C.
"${cmd[@]}" &
child=$!
trap 'kill -TERM "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || kill -TERM "$child"' TERM INT
rc=0
wait "$child" || rc=$?
# wait returns early when a signal arrives: wait again for the program itself.
while kill -0 "$child" 2>/dev/null; do wait "$child" || rc=$?; done
exit "$rc"
