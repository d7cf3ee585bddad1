package inference

import (
	"math"
	"testing"
)

// TestKeepClickedRegions: of the redrawn slice's differences from the label, only the connected
// region of the click's sign under each click is kept; a click on a pixel the model did not
// change keeps nothing; a click outside the slice is ignored.
func TestKeepClickedRegions(t *testing.T) {
	const cols, rows = 8, 4
	parse := func(rowsText ...string) []uint8 {
		out := make([]uint8, 0, cols*rows)
		for _, r := range rowsText {
			for _, c := range r {
				out = append(out, map[rune]uint8{'.': 0, '#': 1}[c])
			}
		}
		return out
	}
	label := parse(
		"##......",
		"##......",
		"......##",
		"......##")
	mask := parse( // adds two regions, removes a pixel of each label region
		"#..##...",
		"##.##..#",
		"......##",
		"##.....#")
	for _, tc := range []struct {
		name   string
		clicks Clicks
		want   []uint8
	}{
		{"no click", Clicks{}, label},
		{"positive on the upper addition", Clicks{Positive: [][2]float64{{3.5, 0.5}}}, parse(
			"##.##...",
			"##.##...",
			"......##",
			"......##")},
		{"negative where nothing was removed", Clicks{Negative: [][2]float64{{6.2, 2.9}}}, parse(
			"##......",
			"##......",
			"......##",
			"......##")},
		{"negative on the removed label pixel", Clicks{Negative: [][2]float64{{6.5, 3.5}}}, parse(
			"##......",
			"##......",
			"......##",
			".......#")},
		{"positive where nothing was added", Clicks{Positive: [][2]float64{{5.5, 0.5}}}, label},
		{"both, and one outside", Clicks{Positive: [][2]float64{{0.5, 3.5}, {-1, 2}, {9, 1}, {math.Inf(1), 1}, {math.NaN(), 0}}, Negative: [][2]float64{{1.5, 0.5}}}, parse(
			"#.......",
			"##......",
			"......##",
			"##....##")},
	} {
		got := keepClickedRegions(label, mask, tc.clicks, cols, rows)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: pixel (%d, %d) = %d, want %d", tc.name, i%cols, i/cols, got[i], tc.want[i])
			}
		}
	}
}

// TestStampClicks: a click's disk takes its side (negative clicks last), on anisotropic pixels;
// a click outside the slice or not finite stamps nothing it should not.
func TestStampClicks(t *testing.T) {
	const cols, rows = 9, 7
	mask := make([]uint8, cols*rows)
	for i := range mask {
		mask[i] = uint8(i % 2)
	}
	orig := append([]uint8(nil), mask...)
	pos, neg := [2]float64{4.5, 3.5}, [2]float64{5.5, 3.5}
	stampClicks(mask, Clicks{Positive: [][2]float64{pos, {math.NaN(), 1}, {-50, 3}}, Negative: [][2]float64{neg}}, cols, rows, [2]float64{0.5, 1}, 1.2)
	in := func(i, j int, p [2]float64) bool {
		dx, dy := (float64(i)+0.5-p[0])*0.5, (float64(j)+0.5-p[1])*1
		return dx*dx+dy*dy <= 1.2*1.2
	}
	for j := 0; j < rows; j++ {
		for i := 0; i < cols; i++ {
			want := orig[j*cols+i]
			if in(i, j, pos) {
				want = 1
			}
			if in(i, j, neg) {
				want = 0
			}
			if got := mask[j*cols+i]; got != want {
				t.Errorf("pixel (%d, %d) = %d, want %d", i, j, got, want)
			}
		}
	}
}
