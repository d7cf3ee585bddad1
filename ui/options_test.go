package ui

import (
	"errors"
	"io"
	"strings"
	"testing"

	"liverseg/scan/labels"
)

func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	o, err := ParseArgs([]string{"--truth", "mask.nii.gz", "--reverse", "--segment", "2", "--infer", "--layout", "side-by-side", "--slice", "40", "--device", "cpu", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Path: dir, Truth: "mask.nii.gz", TruthOpts: labels.Options{Reverse: true, Segment: 2}, Infer: true, Layout: LayoutSideBySide, Slice: 40, Device: "cpu"}
	if o != want {
		t.Errorf("got %+v\nwant %+v", o, want)
	}
	if o, err := ParseArgs(nil, io.Discard); err != nil || o.Path != "" || o.Layout != LayoutFour || o.Device != "auto" {
		t.Errorf("no arguments: %+v, %v; want the welcome window", o, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--segment", "-1", dir}, "--segment -1"},
		{[]string{"--layout", "grid", dir}, "--layout grid"},
		{[]string{"--device", "gpu", dir}, "--device gpu"},
		{[]string{"--infer"}, "need a PATH"},
		{[]string{dir, dir}, "one path at most"},
		{[]string{"--no-such-flag", dir}, "no-such-flag"},
	} {
		_, err := ParseArgs(tc.args, io.Discard)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
	if _, err := ParseArgs([]string{dir + "/missing"}, io.Discard); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing path: %v", err)
	}
}
