package scan

import (
	"context"
	"errors"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/internal/testfiles"
)

func TestCheckGrid(t *testing.T) {
	p7 := ircad(t, "7", "PATIENT_DICOM")
	tests := []struct {
		name   string
		series string
		want   []string // in the error, in order; none: on the grid
	}{
		{"IRCAD 7", p7, nil},
		{"IRCAD 7 without image_70", testfiles.SeriesCopy(t, p7, []string{"image_70"}, nil),
			[]string{"about 1 missing slices", "3.20 mm between slice 69 (image_69, at 110.40 mm) and slice 70 (image_71, at 113.60 mm)"}},
		{"IRCAD 7 with image_70 0.5 mm off", testfiles.SeriesCopy(t, p7, nil, map[string]func([]byte) []byte{
			"image_70": testfiles.ReplaceOnce(t, `0\0\112.00000166893`, `0\0\112.50000166893`)}),
			[]string{"uneven steps", "2.10 mm between slice 69 (image_69, at 110.40 mm) and slice 70 (image_70, at 112.50 mm)"}},
		{"highdicom CT", testenv.Data(t, "formats/pydicom/dicomdirtests/77654033/CT2"),
			[]string{"of 1.250 mm steps", "about 161 missing slices", "slice 0 (17106, at -99.48 mm) and slice 1 (17136, at 103.02 mm)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := LoadVolume(context.Background(), tc.series, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			err = v.CheckGrid()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("on the grid, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrOffGrid) {
				t.Fatalf("got %v, want ErrOffGrid", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.series+": ") {
				t.Errorf("%q does not name the series", msg)
			}
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q lacks %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
