package scan

import (
	"fmt"
	"strings"
)

// FirstNames lists the first few of names (file names), and how many more there are, for a
// message.
func FirstNames(names []string) string {
	const shown = 5
	s := strings.Join(names[:min(len(names), shown)], ", ")
	if len(names) > shown {
		s += fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return s
}

// StrayWarning is the warning for the files of dir that a label reader left out (why says why),
// naming a few.
func StrayWarning(dir string, names []string, why string) string {
	return fmt.Sprintf("%s: %d files (%s): %s", dir, len(names), FirstNames(names), why)
}
