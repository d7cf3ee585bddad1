package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2/widget"

	"liverseg/workspace"
)

// recentLine says what the workspace knows of the cases opened from path (the path itself or a
// series below it): each case's patient and review status, with the comment when there is one,
// so that the welcome window doubles as a work list. "" when the workspace has no such case.
func recentLine(path string, cases []*workspace.Case, reviews []*workspace.Review) string {
	var parts []string
	for _, w := range workRows(cases, reviews, showAll) {
		if !within(w.c.SeriesPath, path) {
			continue
		}
		part := fmt.Sprintf("%s: %s", caseName(w.c), w.r.Status)
		if w.r.Comment != "" {
			part += fmt.Sprintf(" (%s)", shorten(w.r.Comment, 40))
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// within reports whether p is dir or lies below it.
func within(p, dir string) bool {
	p, dir = filepath.Clean(p), filepath.Clean(dir)
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// shorten cuts s to n characters on one line, with an ellipsis when it cut.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// fillRecent writes under each recent path (paths[i], labels[i]) its cases' review statuses,
// read from the workspace off the Fyne goroutine. Without a workspace the lines stay empty: the
// welcome window does not need one.
func (s *session) fillRecent(paths []string, labels []*widget.Label) {
	s.readCases(func(cases []*workspace.Case, reviews []*workspace.Review, err error) {
		if err != nil {
			return
		}
		for i, p := range paths {
			if line := recentLine(p, cases, reviews); line != "" {
				labels[i].SetText(line)
				labels[i].Show()
			}
		}
	})
}
