package pngstack

import (
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestNaturalLess(t *testing.T) {
	want := []string{
		"image_1.png", "image_2.png", "image_02b.png", "image_3.png", "image_10.png", "image_11.png", "image_100.png",
		"IMG_200.png", "img_1000.png",
		"x99999999999999999999999.png", "x100000000000000000000000.png", // longer than any int
	}
	got := slices.Clone(want)
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 20; trial++ {
		rng.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		sort.Slice(got, func(i, j int) bool { return naturalLess(got[i], got[j]) })
		if !slices.Equal(got, want) {
			t.Fatalf("natural order\n got %q\nwant %q", got, want)
		}
	}
	pairs := []struct {
		a, b string
		less bool
	}{
		{"a", "b", true},
		{"a", "a", false},
		{"a", "ab", true},
		{"a2", "a10", true},
		{"a10", "a2", false},
		{"a01", "a1", true}, // equal numbers: byte order decides, so the order is total
		{"a1", "a01", false},
		{"a1b", "a01c", true},
		{"A1", "a1", true}, // equal folded: byte order
		{"1", "a", true},
		{"", "a", true},
	}
	for _, p := range pairs {
		if got := naturalLess(p.a, p.b); got != p.less {
			t.Errorf("naturalLess(%q, %q) = %v", p.a, p.b, got)
		}
	}
	// A strict total order on random names: irreflexive, antisymmetric, transitive.
	alphabet := "a0b1Z9_."
	names := make([]string, 200)
	for i := range names {
		var sb strings.Builder
		for n := rng.Intn(6); n >= 0; n-- {
			sb.WriteByte(alphabet[rng.Intn(len(alphabet))])
		}
		names[i] = sb.String()
	}
	for _, a := range names {
		if naturalLess(a, a) {
			t.Fatalf("naturalLess(%q, %q)", a, a)
		}
		for _, b := range names {
			if a != b && naturalLess(a, b) == naturalLess(b, a) {
				t.Fatalf("%q and %q: not exactly one is less", a, b)
			}
			for _, c := range names[:40] {
				if naturalLess(a, b) && naturalLess(b, c) && !naturalLess(a, c) {
					t.Fatalf("not transitive: %q < %q < %q", a, b, c)
				}
			}
		}
	}
}
