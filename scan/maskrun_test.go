package scan

import (
	"bytes"
	"testing"
)

func TestApplyRuns(t *testing.T) {
	m := NewMask([3]int{4, 2, 2})
	if err := ApplyRuns(m, []MaskRun{{Offset: 2, Values: []uint8{1, 1}}, {Offset: 15, Values: []uint8{1}}, {Offset: 3, Values: []uint8{0}}}); err != nil {
		t.Fatal(err)
	}
	want := []uint8{0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	if !bytes.Equal(m.Dense(), want) {
		t.Fatalf("%v", m.Dense())
	}
	for _, bad := range [][]MaskRun{
		{{Offset: 0, Values: []uint8{1}}, {Offset: -1, Values: []uint8{1}}},
		{{Offset: 0, Values: []uint8{1}}, {Offset: 15, Values: []uint8{1, 1}}},
		{{Offset: 16, Values: []uint8{1}}},
		{{Offset: 1 << 62, Values: []uint8{1}}},
	} {
		if err := ApplyRuns(m, bad); err == nil {
			t.Errorf("applied %v", bad)
		}
		if !bytes.Equal(m.Dense(), want) {
			t.Fatalf("a refused edit changed the mask: %v", m.Dense())
		}
	}
	if err := ApplyRuns(m, []MaskRun{{Offset: 16, Values: nil}}); err != nil {
		t.Errorf("an empty run at the end: %v", err)
	}
	if err := ApplyRuns(&Mask{Dims: [3]int{4, 2, 2}}, nil); err == nil {
		t.Error("a mask not made by NewMask (no slices for its dimensions)")
	}
	if err := ApplyRuns(nil, nil); err == nil {
		t.Error("nil mask accepted")
	}
}

func TestCheckRuns(t *testing.T) {
	if err := CheckRuns([]MaskRun{{Offset: 0, Values: []uint8{1, 2}}, {Offset: 8, Values: []uint8{3, 4}}}, 10); err != nil {
		t.Fatal(err)
	}
	if err := CheckRuns([]MaskRun{{Offset: 9, Values: []uint8{3, 4}}}, 10); err == nil {
		t.Fatal("a run past the end accepted")
	}
}
