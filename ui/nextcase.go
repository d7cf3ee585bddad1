package ui

import (
	"errors"
	"os"

	"fyne.io/fyne/v2/widget"

	"liverseg/workspace"
)

// nextCase is the case to review after the one whose ID is current: the first case after it, in
// the order the workspace added them, whose review is not completed and whose series is still
// there (exists), going round to the first case; nil when every other case is done or gone. A
// reader works down the list without going back to the welcome window.
func nextCase(cases []*workspace.Case, reviews []*workspace.Review, current string, exists func(path string) bool) *workspace.Case {
	rows := workRows(cases, reviews, showAll)
	at := -1
	for i, w := range rows {
		if w.c.ID == current {
			at = i
		}
	}
	for step := 1; step <= len(rows); step++ {
		w := rows[(at+step+len(rows))%len(rows)]
		if w.c.ID != current && w.r.Status != workspace.StatusCompleted && exists(w.c.SeriesPath) {
			return w.c
		}
	}
	return nil
}

func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// openNextCase opens the series of the next case to review (see nextCase), the series itself
// chosen where its folder holds several.
func (r *review) openNextCase() {
	s, current := r.s, r.caseID
	s.readCases(func(cases []*workspace.Case, reviews []*workspace.Review, err error) {
		if err != nil {
			s.showError(err)
			return
		}
		next := nextCase(cases, reviews, current, pathExists)
		if next == nil {
			s.showError(errors.New("no case left to review: every other case of the workspace is completed (or its series is gone)"))
			return
		}
		s.openCase(next)
	})
}

// openCase opens the folder of case c's series and, once it is listed, the series itself (its
// folder may hold several: pickWanted chooses).
func (s *session) openCase(c *workspace.Case) {
	s.wantSeries = c.SeriesUID
	s.openPath(c.SeriesPath)
}

// nextCaseKey: J opens the next case; Shift+J marks this one completed (its comment kept) first.
func (r *review) nextCaseKey(ru rune) {
	if ru != 'J' {
		r.openNextCase()
		return
	}
	if r.caseID == "" {
		r.s.showError(errors.New("the case is not in the workspace yet: its review cannot be saved"))
		return
	}
	r.status.sel.SetSelected(string(workspace.StatusCompleted))
	r.status.saveThen(r.openNextCase)
}

// pickWanted selects, in a series list just shown, the series openCase asked for.
func (s *session) pickWanted(t *widget.Table) bool {
	uid := s.wantSeries
	s.wantSeries = ""
	if uid == "" {
		return false
	}
	for i, e := range s.cat.Series {
		if e.Series.SeriesUID == uid {
			t.Select(widget.TableCellID{Row: i, Col: 0})
			return true
		}
	}
	return false
}
