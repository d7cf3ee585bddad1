package pngstack

import "strings"

// naturalLess orders file names as a person would: runs of ASCII digits compare by their numeric
// value (image_2 before image_10, however long the run: no integer overflow), the rest compares
// byte by byte with ASCII letters folded to one case. Names equal under those rules (img01, img1,
// IMG1) fall back to plain byte order, so that the order is total and sorting is deterministic.
func naturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if naturalIsDigit(ca) && naturalIsDigit(cb) {
			si, sj := i, j
			for i < len(a) && naturalIsDigit(a[i]) {
				i++
			}
			for j < len(b) && naturalIsDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			continue
		}
		la, lb := naturalLower(ca), naturalLower(cb)
		if la != lb {
			return la < lb
		}
		i++
		j++
	}
	if rest := (len(a) - i) - (len(b) - j); rest != 0 {
		return rest < 0 // the name that ran out first is a prefix of the other
	}
	return a < b
}

func naturalIsDigit(c byte) bool { return '0' <= c && c <= '9' }

func naturalLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
