# Sourced by every script that runs the go tool, so that the application, its tests and its
# package are built alike (and the build cache, cgo included, serves them all).
#
# no_emoji: Fyne leaves out its 4 MB colour emoji font, which the GUI never shows but which Fyne
# parsed as a fallback for every text style: 13 MiB less resident memory reviewing IRCAD case 7
# (VmHWM 365.8 MB against 379.3 MB), 4 MB less binary.
case " ${GOFLAGS:-} " in
*" -tags=no_emoji "*) ;;
*) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=no_emoji" ;;
esac
