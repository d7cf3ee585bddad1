// Package gcpace sets how far the Go heap may grow past what is live before the garbage
// collector runs, for a process that holds one large pointer-free array: the HU volume.
//
// The collector's default (GOGC=100) lets the heap grow to twice what is live. With a
// 1000-slice volume (524 MB) live, that is a gigabyte of heap before the first collection, on
// top of what Fyne and ONNX Runtime hold outside it: a review would pass 1.5 GB on garbage alone.
// The volume holds no pointers, so a collection never scans it and costs what the rest of the
// heap costs: collecting more often is cheap, and the heap's growth past the live data can be a
// fixed headroom instead of a multiple of the volume.
package gcpace

import "runtime/debug"

// Headroom is the garbage the heap may hold past what is live, once a volume is loaded.
const Headroom = 160 << 20

// Percent is the GOGC that gives about Headroom of growth past a heap whose live data is mostly a
// volume of volumeBytes: 100 (the default) up to a volume of Headroom bytes (IRCAD's 151-slice
// series: 79 MB, left as before), less for larger ones, never under 20.
func Percent(volumeBytes int64) int {
	if volumeBytes <= Headroom {
		return 100
	}
	return max(20, int(100*Headroom/volumeBytes))
}

// ForVolume sets the collector's pace for a process that now holds a volume of volumeBytes and
// returns the percent it set. The pace is the process's, as GOGC is: main and the GUI's load call
// it, never a library.
func ForVolume(volumeBytes int64) int {
	p := Percent(volumeBytes)
	debug.SetGCPercent(p)
	return p
}
