package pacsdialog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"liverseg/pacs"
)

// ShowOpen shows the "Open from PACS" dialog over env.Parent. The servers are those configured
// in the workspace (liverseg pacs servers add, or Add… here); a retrieved series lands in
// cacheDir/SERIES_UID (a cached one is not fetched again) and onSeries gets that folder, on the
// Fyne goroutine, once the dialog has closed. ctx is for the server list's reads and writes.
func ShowOpen(ctx context.Context, env Env, cacheDir string, onSeries func(dir string)) {
	newOpen(ctx, env, cacheDir, onSeries).show()
}

// openDialog is the open dialog's state. Its fields are touched on the Fyne goroutine only.
type openDialog struct {
	ctx      context.Context
	env      Env
	cacheDir string
	onSeries func(string)

	dlg       *dialog.CustomDialog
	server    *widget.Select
	patient   *widget.Entry
	patientID *widget.Entry
	from, to  *widget.Entry
	modality  *widget.SelectEntry
	searchBtn *widget.Button
	list      *widget.List
	openBtn   *widget.Button
	cancelBtn *widget.Button
	bar       *widget.ProgressBar
	status    *widget.Label

	results  []pacs.Series
	selected int
	cancel   context.CancelFunc // the search or retrieve in flight; nil when idle
	closed   bool

	// notify, where set (tests), hears "searched", "retrieved", "cancelled" and "error" after
	// the widgets show the outcome.
	notify func(event string)
	do     func(func()) // runs a function on the Fyne goroutine (Env.Do)
}

func newOpen(ctx context.Context, env Env, cacheDir string, onSeries func(string)) *openDialog {
	p := &openDialog{ctx: ctx, env: env, cacheDir: cacheDir, onSeries: onSeries, selected: -1, do: env.do()}
	p.server = widget.NewSelect(nil, nil)
	p.patient = widget.NewEntry()
	p.patient.SetPlaceHolder("part of the name")
	p.patientID = widget.NewEntry()
	p.patientID.SetPlaceHolder("exact")
	p.from = widget.NewEntry()
	p.from.SetPlaceHolder("YYYY-MM-DD")
	p.to = widget.NewEntry()
	p.to.SetPlaceHolder("YYYY-MM-DD")
	p.modality = widget.NewSelectEntry([]string{"CT", "MR", "PT", "SEG"})
	p.modality.SetText("CT")
	p.searchBtn = widget.NewButton("Search", p.search)
	p.searchBtn.Importance = widget.HighImportance
	for _, e := range []*widget.Entry{p.patient, p.patientID, p.from, p.to} {
		e.OnSubmitted = func(string) { p.search() }
	}

	p.list = widget.NewList(
		func() int { return len(p.results) },
		func() fyne.CanvasObject {
			return widget.NewLabel("patient · date · modality · images · description")
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(p.results) {
				o.(*widget.Label).SetText(seriesLine(p.results[id]))
			}
		})
	p.list.OnSelected = func(id widget.ListItemID) {
		p.selected = id
		p.openBtn.Enable()
	}
	p.list.OnUnselected = func(widget.ListItemID) {
		p.selected = -1
		p.openBtn.Disable()
	}
	p.openBtn = widget.NewButton("Open", p.retrieve)
	p.openBtn.Importance = widget.HighImportance
	p.openBtn.Disable()
	p.cancelBtn = widget.NewButton("Cancel", p.stop)
	p.cancelBtn.Disable()
	closeBtn := widget.NewButton("Close", p.close)
	p.bar = widget.NewProgressBar()
	p.bar.Hide()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord

	form := widget.NewForm(
		widget.NewFormItem("Server", container.NewBorder(nil, nil, nil, widget.NewButton("Add…", p.addServer), p.server)),
		widget.NewFormItem("Patient name", p.patient),
		widget.NewFormItem("Patient ID", p.patientID),
		widget.NewFormItem("Study date", container.NewGridWithColumns(2, p.from, p.to)),
		widget.NewFormItem("Modality", p.modality),
	)
	top := container.NewVBox(form, container.NewHBox(layout.NewSpacer(), p.searchBtn))
	bottom := container.NewVBox(p.bar, p.status)
	content := container.NewBorder(top, bottom, nil, nil, p.list)
	p.dlg = dialog.NewCustomWithoutButtons("Open from PACS", content, env.Parent)
	p.dlg.SetButtons([]fyne.CanvasObject{closeBtn, p.cancelBtn, p.openBtn})
	p.dlg.SetOnClosed(func() {
		p.closed = true
		p.stop()
	})
	p.loadServers()
	return p
}

func (p *openDialog) show() {
	p.dlg.Resize(fyne.NewSize(820, 620))
	p.dlg.Show()
}

func (p *openDialog) close() { p.dlg.Hide() }

// loadServers fills the server choice from the workspace.
func (p *openDialog) loadServers() {
	if err := fillServers(p.ctx, p.server, p.env.Servers); err != nil {
		p.fail(err)
		p.searchBtn.Disable()
	}
}

// addServer shows the server form; a server added is chosen at once.
func (p *openDialog) addServer() {
	showServerForm(p.ctx, p.env.Parent, p.env.Servers, p.serverAdded)
}

// serverAdded lists the servers again with name chosen, and lets the search go.
func (p *openDialog) serverAdded(name string) {
	p.status.Importance = widget.MediumImportance
	p.status.SetText("")
	p.loadServers()
	p.server.SetSelected(name)
	p.searchBtn.Enable()
}

// begin runs job as the work in flight: the buttons that would start more are off, Cancel is on.
// After the window's close nothing starts, and the dialog says why.
func (p *openDialog) begin(msg string, job func(ctx context.Context)) bool {
	p.stop()
	cancel, err := p.env.Jobs.Go(job)
	if err != nil {
		p.fail(err)
		return false
	}
	p.cancel = cancel
	p.searchBtn.Disable()
	p.openBtn.Disable()
	p.cancelBtn.Enable()
	p.status.Importance = widget.MediumImportance
	p.status.SetText(msg)
	return true
}

// end is begin's reverse, on the Fyne goroutine.
func (p *openDialog) end() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	p.searchBtn.Enable()
	p.cancelBtn.Disable()
	if p.selected >= 0 {
		p.openBtn.Enable()
	}
}

func (p *openDialog) stop() {
	if p.cancel != nil {
		p.cancel()
	}
}

func (p *openDialog) fail(err error) {
	p.status.Importance = widget.DangerImportance
	p.status.SetText(errorLine(err))
	p.event("error")
}

func (p *openDialog) event(e string) {
	if p.notify != nil {
		p.notify(e)
	}
}

func (p *openDialog) search() {
	if p.cancel != nil {
		return // a search or retrieve is running; Cancel first
	}
	q := pacs.Query{
		PatientName: p.patient.Text, PatientID: p.patientID.Text,
		DateFrom: p.from.Text, DateTo: p.to.Text, Modality: p.modality.Text, Limit: 500,
	}
	for _, d := range []string{q.DateFrom, q.DateTo} {
		if _, err := pacs.NormalizeDate(d); err != nil {
			p.fail(err)
			return
		}
	}
	name, servers := p.server.Selected, p.env.Servers
	p.begin("Searching "+name+"…", func(ctx context.Context) {
		var series []pacs.Series
		c, err := client(ctx, servers, name)
		if err == nil {
			series, err = c.SearchSeries(ctx, q)
		}
		p.do(func() { p.searched(series, err) })
	})
}

// searched shows the outcome of a search.
func (p *openDialog) searched(series []pacs.Series, err error) {
	p.end()
	if p.closed {
		return
	}
	if err != nil {
		p.outcome(err)
		return
	}
	p.results, p.selected = series, -1
	p.list.UnselectAll()
	p.list.Refresh()
	p.openBtn.Disable()
	switch len(series) {
	case 0:
		p.status.SetText("No series matches.")
	case 1:
		p.status.SetText("1 series. Choose it and Open.")
	default:
		p.status.SetText(fmt.Sprintf("%d series. Choose one and Open.", len(series)))
	}
	p.event("searched")
}

func (p *openDialog) retrieve() {
	if p.cancel != nil || p.selected < 0 || p.selected >= len(p.results) {
		return
	}
	s := p.results[p.selected]
	name, servers, cacheDir := p.server.Selected, p.env.Servers, p.cacheDir
	ref := pacs.SeriesRef{StudyUID: s.StudyUID, SeriesUID: s.SeriesUID, Instances: s.Instances}
	if !p.begin(fmt.Sprintf("Retrieving %s from %s…", orDash(s.Description), name), func(ctx context.Context) {
		c, err := client(ctx, servers, name)
		var r pacs.Retrieved
		if err == nil {
			r, err = c.Retrieve(ctx, cacheDir, ref, func(pr pacs.Progress) {
				p.do(func() { p.showProgress(pr) })
			})
		}
		p.do(func() { p.retrieved(r, err) })
	}) {
		return
	}
	p.bar.SetValue(0)
	p.bar.Show()
}

// retrieved closes the dialog and hands the series on, or says why not.
func (p *openDialog) retrieved(r pacs.Retrieved, err error) {
	p.end()
	p.bar.Hide()
	if p.closed {
		return
	}
	if err != nil {
		p.outcome(err)
		return
	}
	p.status.SetText("Retrieved " + r.Dir)
	p.event("retrieved")
	p.dlg.Hide()
	if p.onSeries != nil {
		p.onSeries(r.Dir)
	}
}

func (p *openDialog) showProgress(pr pacs.Progress) {
	if p.closed {
		return
	}
	mb := float64(pr.Bytes) / 1e6
	if pr.Total > 0 {
		p.bar.SetValue(float64(pr.Instances) / float64(pr.Total))
		p.status.SetText(fmt.Sprintf("Retrieving: %d of %d images, %.1f MB", pr.Instances, pr.Total, mb))
	} else {
		p.status.SetText(fmt.Sprintf("Retrieving: %d images, %.1f MB", pr.Instances, mb))
	}
}

// outcome shows a failure, or a cancel as a plain message.
func (p *openDialog) outcome(err error) {
	if errors.Is(err, context.Canceled) {
		p.status.Importance = widget.MediumImportance
		p.status.SetText("Cancelled. Nothing was kept.")
		p.event("cancelled")
		return
	}
	p.fail(err)
}

// seriesLine is a search result's row: patient, date, modality, images, description.
func seriesLine(s pacs.Series) string {
	date := s.StudyDate
	if len(date) == 8 {
		date = date[:4] + "-" + date[4:6] + "-" + date[6:]
	}
	desc := s.Description
	if desc == "" {
		desc = s.StudyDescription
	}
	images := "? images"
	if s.Instances > 0 {
		images = fmt.Sprintf("%d images", s.Instances)
	}
	return strings.Join([]string{orDash(s.PatientName) + " (" + orDash(s.PatientID) + ")", orDash(date), orDash(s.Modality), images, orDash(desc)}, " · ")
}
