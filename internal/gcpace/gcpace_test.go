package gcpace

import (
	"runtime/debug"
	"testing"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		bytes int64
		want  int
	}{
		{0, 100},
		{512 * 512 * 151 * 2, 100}, // IRCAD case 7: as before
		{512 * 512 * 604 * 2, 52},
		{512 * 512 * 1000 * 2, 32},
		{512 * 512 * 3000 * 2, 20},
	} {
		if got := Percent(c.bytes); got != c.want {
			t.Errorf("Percent(%d) = %d, want %d", c.bytes, got, c.want)
		}
	}
}

func TestForVolumeSetsGOGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	if p := ForVolume(512 * 512 * 1000 * 2); p != 32 {
		t.Fatalf("ForVolume = %d", p)
	}
	if got := debug.SetGCPercent(100); got != 32 {
		t.Errorf("GOGC is %d after ForVolume, want 31", got)
	}
}
