package inference

import "testing"

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
		{"both, and one outside", Clicks{Positive: [][2]float64{{0.5, 3.5}, {-1, 2}, {9, 1}}, Negative: [][2]float64{{1.5, 0.5}}}, parse(
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
