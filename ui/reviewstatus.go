package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"liverseg/workspace"
)

// reviewStatus is the controls of the case's review status and comment, read from and saved to
// the workspace (the case and the status read are the review's state: caseID, reviewed).
type reviewStatus struct {
	r       *review
	sel     *widget.Select
	comment *widget.Entry
	save    *widget.Button
	note    *widget.Label
}

func newReviewStatus(r *review) *reviewStatus {
	rs := &reviewStatus{r: r}
	var names []string
	for _, s := range workspace.ReviewStatuses() {
		names = append(names, string(s))
	}
	rs.sel = widget.NewSelect(names, nil)
	rs.comment = widget.NewMultiLineEntry()
	rs.comment.SetPlaceHolder("Comment for this case")
	rs.comment.SetMinRowsVisible(2)
	rs.comment.Wrapping = fyne.TextWrapWord
	rs.save = widget.NewButton("Save review", rs.saveNow)
	rs.note = widget.NewLabel("")
	rs.note.Truncation = fyne.TextTruncateEllipsis
	rs.sel.Disable()
	rs.comment.Disable()
	rs.save.Disable()
	rs.load()
	return rs
}

func (rs *reviewStatus) content() fyne.CanvasObject {
	return container.NewVBox(
		widget.NewLabelWithStyle("Review", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		rs.sel, rs.comment, container.NewBorder(nil, nil, nil, rs.save, rs.note))
}

// load finds (or adds) the series' case in the workspace and reads its review, off the Fyne
// goroutine. Without a workspace the controls stay disabled and say why.
func (rs *reviewStatus) load() {
	s, series := rs.r.s, rs.r.vol.Series
	rs.note.SetText("opening the workspace…")
	s.jobs.Go(func(context.Context) {
		var (
			c   *workspace.Case
			rv  *workspace.Review
			err error
		)
		ws, err := s.workspace()
		if err == nil {
			if c, err = ws.EnsureCase(s.ctx, workspace.SeriesCase(&series)); err == nil {
				rv, err = ws.Review(s.ctx, c.ID)
			}
		}
		s.do(func() {
			if s.review != rs.r {
				return
			}
			if err != nil {
				rs.note.SetText("no workspace: " + errorText(err))
				return
			}
			rs.r.caseID = c.ID
			rs.show(rv)
			rs.sel.Enable()
			rs.comment.Enable()
			rs.save.Enable()
		})
	})
}

func (rs *reviewStatus) show(rv *workspace.Review) {
	rs.r.reviewed = rv
	rs.sel.SetSelected(string(rv.Status))
	rs.comment.SetText(rv.Comment)
	if rv.Updated.IsZero() {
		rs.note.SetText("case " + rs.r.caseID)
	} else {
		rs.note.SetText(fmt.Sprintf("case %s, saved %s", rs.r.caseID, rv.Updated.Local().Format("2006-01-02 15:04")))
	}
}

// saveNow writes the status and the comment to the workspace.
func (rs *reviewStatus) saveNow() { rs.saveThen(nil) }

// saveThen is saveNow, then (where not nil) once the save succeeded.
func (rs *reviewStatus) saveThen(then func()) {
	if rs.r.caseID == "" {
		return
	}
	s := rs.r.s
	status := workspace.ReviewStatus(rs.sel.Selected)
	comment := rs.comment.Text
	id := rs.r.caseID
	rs.note.SetText("saving…")
	s.jobs.Go(func(context.Context) {
		var rv *workspace.Review
		ws, err := s.workspace()
		if err == nil {
			if err = ws.SetReview(context.WithoutCancel(s.ctx), id, status, comment, author()); err == nil {
				rv, err = ws.Review(s.ctx, id)
			}
		}
		s.do(func() {
			if err != nil {
				rs.note.SetText("not saved")
				s.showError(fmt.Errorf("saving the review of %s: %w", id, err))
				return
			}
			if s.review == rs.r {
				rs.show(rv)
			}
			if s.hooks.onReviewSaved != nil {
				s.hooks.onReviewSaved()
			}
			if then != nil {
				then()
			}
		})
	})
}
