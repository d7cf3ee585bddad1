package cli

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable is s as a terminal may show it: every control or format character (ESC, BEL, a
// carriage return, a bidi override) and every byte that is not UTF-8 written as Go's %q writes it
// (\x1b, \a, \r, \u202e, \xff), everything else as it is. A DICOM file, a PACS or a model can hold
// any bytes in a name or a UID, and ESC or BEL sequences printed raw would retitle the terminal,
// hide text or worse. Every string that text output takes from a file goes through Printable,
// error messages included; JSON output needs nothing (encoding/json escapes control characters).
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unicode.IsPrint(r) && r != utf8.RuneError:
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\a', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}
