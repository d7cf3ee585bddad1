package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"liverseg/workspace"
)

// workRow is a case of the work list with its review.
type workRow struct {
	c *workspace.Case
	r *workspace.Review
}

// Work list filters: every case, those still to do, or one status.
const (
	showAll  = "all cases"
	showToDo = "not completed"
)

func workFilters() []string {
	f := []string{showAll, showToDo}
	for _, s := range workspace.ReviewStatuses() {
		f = append(f, string(s))
	}
	return f
}

// workRows pairs the cases with their reviews (a case never reviewed is not started) and keeps
// those the filter shows, in the workspace's order.
func workRows(cases []*workspace.Case, reviews []*workspace.Review, filter string) []workRow {
	byCase := make(map[string]*workspace.Review, len(reviews))
	for _, r := range reviews {
		byCase[r.CaseID] = r
	}
	var out []workRow
	for _, c := range cases {
		r := byCase[c.ID]
		if r == nil {
			r = &workspace.Review{CaseID: c.ID, Status: workspace.StatusNotStarted}
		}
		switch {
		case filter == showAll:
		case filter == showToDo && r.Status != workspace.StatusCompleted:
		case filter == string(r.Status):
		default:
			continue
		}
		out = append(out, workRow{c, r})
	}
	return out
}

// caseName is the case's patient as people write the name, else the case ID.
func caseName(c *workspace.Case) string {
	if p := personName(c.Patient); p != "" {
		return p
	}
	return c.ID
}

var workColumns = []struct {
	title string
	width float32
}{{"Patient", 150}, {"Status", 100}, {"Comment", 220}, {"Reviewed", 130}, {"Series", 320}}

func workCell(w workRow, col int) string {
	switch col {
	case 0:
		return caseName(w.c)
	case 1:
		return string(w.r.Status)
	case 2:
		return shorten(w.r.Comment, 60)
	case 3:
		if w.r.Updated.IsZero() {
			return "—"
		}
		return w.r.Updated.Local().Format("2006-01-02 15:04")
	case 4:
		return w.c.SeriesPath
	}
	return ""
}

// workList is the "Cases" dialog: every case of the workspace with its review status, filtered,
// and one opened with a double choice (select, Open).
type workList struct {
	s        *session
	cases    []*workspace.Case
	reviews  []*workspace.Review
	rows     []workRow
	filter   *widget.Select
	table    *widget.Table
	open     *widget.Button
	count    *widget.Label
	selected int
	dlg      *dialog.CustomDialog
}

// readCases reads the workspace's cases and their reviews (in the same order) off the Fyne
// goroutine, then hands them to then on it: the work list, J and the welcome window's recent
// studies all start so.
func (s *session) readCases(then func(cases []*workspace.Case, reviews []*workspace.Review, err error)) {
	s.jobs.Go(func(ctx context.Context) {
		ws, err := s.workspace()
		var (
			cases   []*workspace.Case
			reviews []*workspace.Review
		)
		if err == nil {
			cases, err = ws.Cases(ctx)
		}
		if err == nil {
			reviews, err = ws.Reviews(ctx)
		}
		s.do(func() { then(cases, reviews, err) })
	})
}

// showWorkList shows the dialog of the workspace's cases.
func (s *session) showWorkList() {
	s.readCases(func(cases []*workspace.Case, reviews []*workspace.Review, err error) {
		if err != nil {
			s.showError(err)
			return
		}
		w := newWorkList(s, cases, reviews)
		w.dlg.Show()
		if s.hooks.onWorkList != nil {
			s.hooks.onWorkList(w)
		}
	})
}

func newWorkList(s *session, cases []*workspace.Case, reviews []*workspace.Review) *workList {
	w := &workList{s: s, cases: cases, reviews: reviews, selected: -1}
	w.table = widget.NewTable(
		func() (int, int) { return len(w.rows), len(workColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < len(w.rows) {
				o.(*widget.Label).SetText(workCell(w.rows[id.Row], id.Col))
			}
		})
	w.table.ShowHeaderRow = true
	w.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	w.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(workColumns) {
			o.(*widget.Label).SetText(workColumns[id.Col].title)
		}
	}
	for i, c := range workColumns {
		w.table.SetColumnWidth(i, c.width)
	}
	w.table.OnSelected = func(id widget.TableCellID) {
		w.selected = id.Row
		w.open.Enable()
	}
	w.open = widget.NewButton("Open", w.openSelected)
	w.open.Importance = widget.HighImportance
	w.open.Disable()
	w.count = widget.NewLabel("")
	w.filter = widget.NewSelect(workFilters(), func(string) { w.refill() })
	w.filter.SetSelected(showToDo) // calls refill
	wide := container.NewGridWrap(fyne.NewSize(170, w.filter.MinSize().Height), w.filter)
	top := container.NewHBox(widget.NewLabel("Show"), wide, layout.NewSpacer(), w.count)
	w.dlg = dialog.NewCustomWithoutButtons("Cases of the workspace", container.NewBorder(top, nil, nil, nil, w.table), s.win)
	w.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Close", w.dlg.Hide), w.open})
	w.dlg.Resize(s.dialogSize())
	return w
}

// refill shows the rows of the chosen filter.
func (w *workList) refill() {
	w.rows = workRows(w.cases, w.reviews, w.filter.Selected)
	w.selected = -1
	w.table.UnselectAll()
	w.open.Disable()
	w.count.SetText(fmt.Sprintf("%d of %d cases", len(w.rows), len(w.cases)))
	w.table.Refresh()
}

// openSelected opens the chosen case's series, as J does.
func (w *workList) openSelected() {
	if w.selected < 0 || w.selected >= len(w.rows) {
		return
	}
	c := w.rows[w.selected].c
	w.dlg.Hide()
	w.s.openCase(c)
}
