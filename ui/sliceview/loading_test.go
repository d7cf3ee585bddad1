package sliceview

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/viewer"
)

// TestProgressiveViews: while a load holds after its first slice, the axial view draws that
// slice and says the others are loading; a coronal view, whose slices read every stored slice,
// waits for the whole load; once it ends both draw.
func TestProgressiveViews(t *testing.T) {
	test.NewTempApp(t)
	e, err := scan.OpenSeries(context.Background(), testenv.IRCAD(t, 7, "PATIENT_DICOM"), "")
	if err != nil {
		t.Fatal(err)
	}
	n := e.Slices()
	gate := make(chan struct{})
	arrived := make(chan int, n)
	v, l, err := e.LoadProgressive(context.Background(), scan.LoadOptions{First: n / 2, Workers: 1, Arrived: func(k int) {
		arrived <- k
		<-gate
	}})
	if err != nil {
		t.Fatal(err)
	}
	first := <-arrived // the worker holds after it
	views := map[scan.Plane]*View{}
	for _, pl := range []scan.Plane{scan.Axial, scan.Coronal} {
		r, err := viewer.NewPlaneRenderer(v, pl)
		if err != nil {
			t.Fatal(err)
		}
		views[pl] = NewProgressive(r, l)
	}
	ax, co := views[scan.Axial], views[scan.Coronal]
	if k, ok := ax.ViewSlice(first); !ok || k != ax.Slice() {
		t.Fatalf("first slice read %d shows as axial slice %d (%v), the view is at %d", first, k, ok, ax.Slice())
	}
	if ax.Notice() != "" {
		t.Errorf("axial: the slice read says %q", ax.Notice())
	}
	ax.Step(1)
	if !strings.HasSuffix(ax.Notice(), "loading…") {
		t.Errorf("axial: the next slice says %q, want loading", ax.Notice())
	}
	if _, ok := co.ViewSlice(first); ok || !strings.Contains(co.Notice(), "shown once every slice is loaded (1 of 151)") {
		t.Errorf("coronal: notice %q", co.Notice())
	}
	close(gate)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for len(arrived) > 0 {
		ax.SliceArrived(<-arrived)
	}
	if ax.Notice() != "" {
		t.Errorf("axial: %q once the slice arrived", ax.Notice())
	}
	co.Redraw()
	if co.Notice() != "" {
		t.Errorf("coronal: %q once the load ended", co.Notice())
	}
}
