package ui

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
	"liverseg/workspace"
)

// The PACS dialogs: "Open from PACS" (search a configured DICOMweb server, retrieve a series into
// the cache, hand its folder on) and "Send to PACS" (store a SEG). Network work runs on its own
// goroutine and every widget change goes through fyne.Do (the dialog's do), so that the window
// never stalls on a slow PACS; closing a dialog cancels what it started.

// ShowPACSOpen shows the "Open from PACS" dialog over parent. The servers are those configured in
// ws (liverseg pacs servers add); a retrieved series lands in cacheDir/SERIES_UID (a cached one
// is not fetched again) and onSeries gets that folder, on the Fyne goroutine, once the dialog has
// closed.
func ShowPACSOpen(parent fyne.Window, ws *workspace.Workspace, cacheDir string, onSeries func(dir string)) {
	newPACSOpen(parent, ws, cacheDir, onSeries).show()
}

// ShowPACSSend shows the "Send to PACS" dialog over parent, to store segPath (a DICOM SEG) on a
// server configured in ws; it reports success or the error in the dialog.
func ShowPACSSend(parent fyne.Window, ws *workspace.Workspace, segPath string) {
	newPACSSend(parent, ws, segPath).show()
}

// pacsOpen is the open dialog's state. Its fields are touched on the Fyne goroutine only.
type pacsOpen struct {
	parent   fyne.Window
	ws       *workspace.Workspace
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
	do     func(func()) // runs a function on the Fyne goroutine: fyne.Do (tests queue it)
}

func newPACSOpen(parent fyne.Window, ws *workspace.Workspace, cacheDir string, onSeries func(string)) *pacsOpen {
	p := &pacsOpen{parent: parent, ws: ws, cacheDir: cacheDir, onSeries: onSeries, selected: -1, do: fyne.Do}
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
	p.dlg = dialog.NewCustomWithoutButtons("Open from PACS", content, parent)
	p.dlg.SetButtons([]fyne.CanvasObject{closeBtn, p.cancelBtn, p.openBtn})
	p.dlg.SetOnClosed(func() {
		p.closed = true
		p.stop()
	})
	p.loadServers()
	return p
}

func (p *pacsOpen) show() {
	p.dlg.Resize(fyne.NewSize(820, 620))
	p.dlg.Show()
}

func (p *pacsOpen) close() { p.dlg.Hide() }

// loadServers fills the server choice from the workspace (a local database: quick, so it runs
// here rather than on a goroutine).
func (p *pacsOpen) loadServers() {
	if err := fillServers(p.server, p.ws); err != nil {
		p.fail(err)
		p.searchBtn.Disable()
	}
}

// fillServers lists the workspace's servers in sel, the first chosen; none is errNoServers.
func fillServers(sel *widget.Select, ws *workspace.Workspace) error {
	names, err := serverNames(ws)
	if err == nil && len(names) == 0 {
		err = errNoServers
	}
	if err != nil {
		return err
	}
	sel.SetOptions(names)
	sel.SetSelectedIndex(0)
	return nil
}

// errNoServers says how to add a server, in the dialog or on the command line.
var errNoServers = errors.New("no PACS server configured: Add… one here, or with `liverseg pacs servers add NAME URL --user USER --password -`")

func serverNames(ws *workspace.Workspace) ([]string, error) {
	if ws == nil {
		return nil, errors.New("no workspace open, where the PACS servers are configured")
	}
	all, err := ws.Servers(context.Background())
	if err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	return names, nil
}

// client makes a client for the chosen server; it reads the workspace, so it runs on the
// worker goroutine.
func pacsClient(ctx context.Context, ws *workspace.Workspace, name string) (*pacs.Client, error) {
	if ws == nil {
		return nil, errors.New("no workspace open")
	}
	if name == "" {
		return nil, errors.New("choose a PACS server")
	}
	s, err := ws.Server(ctx, name)
	if err != nil {
		return nil, err
	}
	return pacs.NewClient(pacs.Server{Name: s.Name, URL: s.URL, User: s.User, Password: s.Password, Token: s.Token, Insecure: s.Insecure})
}

// begin marks work in flight: the buttons that would start more are off, Cancel is on.
func (p *pacsOpen) begin(msg string) context.Context {
	p.stop()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.searchBtn.Disable()
	p.openBtn.Disable()
	p.cancelBtn.Enable()
	p.status.Importance = widget.MediumImportance
	p.status.SetText(msg)
	return ctx
}

// end is begin's reverse, on the Fyne goroutine.
func (p *pacsOpen) end() {
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

func (p *pacsOpen) stop() {
	if p.cancel != nil {
		p.cancel()
	}
}

func (p *pacsOpen) fail(err error) {
	p.status.Importance = widget.DangerImportance
	p.status.SetText(errorLine(err))
	p.event("error")
}

func (p *pacsOpen) event(e string) {
	if p.notify != nil {
		p.notify(e)
	}
}

func (p *pacsOpen) search() {
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
	name := p.server.Selected
	ctx := p.begin("Searching " + name + "…")
	go func() {
		var series []pacs.Series
		c, err := pacsClient(ctx, p.ws, name)
		if err == nil {
			series, err = c.SearchSeries(ctx, q)
		}
		p.do(func() {
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
		})
	}()
}

func (p *pacsOpen) retrieve() {
	if p.cancel != nil || p.selected < 0 || p.selected >= len(p.results) {
		return
	}
	s := p.results[p.selected]
	name := p.server.Selected
	ctx := p.begin(fmt.Sprintf("Retrieving %s from %s…", orDashUI(s.Description), name))
	p.bar.SetValue(0)
	p.bar.Show()
	cacheDir := p.cacheDir
	go func() {
		c, err := pacsClient(ctx, p.ws, name)
		var r pacs.Retrieved
		if err == nil {
			r, err = c.Retrieve(ctx, cacheDir, pacs.SeriesRef{StudyUID: s.StudyUID, SeriesUID: s.SeriesUID, Instances: s.Instances},
				func(pr pacs.Progress) {
					p.do(func() { p.showProgress(pr) })
				})
		}
		p.do(func() {
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
		})
	}()
}

func (p *pacsOpen) showProgress(pr pacs.Progress) {
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
func (p *pacsOpen) outcome(err error) {
	if errors.Is(err, context.Canceled) {
		p.status.Importance = widget.MediumImportance
		p.status.SetText("Cancelled. Nothing was kept.")
		p.event("cancelled")
		return
	}
	p.fail(err)
}

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
	return strings.Join([]string{orDashUI(s.PatientName) + " (" + orDashUI(s.PatientID) + ")", orDashUI(date), orDashUI(s.Modality), images, orDashUI(desc)}, " · ")
}

func orDashUI(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// errorLine is an error for a dialog: one line, the reasons kept, the URL too (it tells which
// server and which request failed).
func errorLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// pacsSend is the send dialog's state, touched on the Fyne goroutine only.
type pacsSend struct {
	ws      *workspace.Workspace
	segPath string

	dlg       *dialog.CustomDialog
	server    *widget.Select
	sendBtn   *widget.Button
	cancelBtn *widget.Button
	bar       *widget.ProgressBarInfinite
	status    *widget.Label
	cancel    context.CancelFunc
	closed    bool
	notify    func(event string) // tests: "stored", "cancelled", "error"
	do        func(func())       // runs a function on the Fyne goroutine: fyne.Do (tests queue it)
}

func newPACSSend(parent fyne.Window, ws *workspace.Workspace, segPath string) *pacsSend {
	p := &pacsSend{ws: ws, segPath: segPath, do: fyne.Do}
	p.server = widget.NewSelect(nil, nil)
	p.sendBtn = widget.NewButton("Send", p.send)
	p.sendBtn.Importance = widget.HighImportance
	p.cancelBtn = widget.NewButton("Cancel", func() {
		if p.cancel != nil {
			p.cancel()
		}
	})
	p.cancelBtn.Disable()
	closeBtn := widget.NewButton("Close", func() { p.dlg.Hide() })
	p.bar = widget.NewProgressBarInfinite()
	p.bar.Stop()
	p.bar.Hide()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	file := widget.NewLabel(segPath)
	file.Wrapping = fyne.TextWrapBreak
	add := widget.NewButton("Add…", func() {
		showServerForm(parent, ws, func(name string) {
			if err := fillServers(p.server, ws); err != nil {
				p.fail(err)
				return
			}
			p.server.SetSelected(name)
			p.status.Importance = widget.MediumImportance
			p.status.SetText("")
			p.sendBtn.Enable()
		})
	})
	form := widget.NewForm(widget.NewFormItem("Server", container.NewBorder(nil, nil, nil, add, p.server)), widget.NewFormItem("DICOM SEG", file))
	p.dlg = dialog.NewCustomWithoutButtons("Send to PACS", container.NewVBox(form, p.bar, p.status), parent)
	p.dlg.SetButtons([]fyne.CanvasObject{closeBtn, p.cancelBtn, p.sendBtn})
	p.dlg.SetOnClosed(func() {
		p.closed = true
		if p.cancel != nil {
			p.cancel()
		}
	})
	if err := fillServers(p.server, ws); err != nil {
		p.fail(err)
		p.sendBtn.Disable()
	}
	return p
}

func (p *pacsSend) show() {
	p.dlg.Resize(fyne.NewSize(560, 280))
	p.dlg.Show()
}

func (p *pacsSend) event(e string) {
	if p.notify != nil {
		p.notify(e)
	}
}

func (p *pacsSend) fail(err error) {
	p.status.Importance = widget.DangerImportance
	p.status.SetText(errorLine(err))
	p.event("error")
}

func (p *pacsSend) send() {
	if p.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	name := p.server.Selected
	p.sendBtn.Disable()
	p.cancelBtn.Enable()
	p.bar.Show()
	p.bar.Start()
	p.status.Importance = widget.MediumImportance
	p.status.SetText("Sending to " + name + "…")
	go func() {
		c, err := pacsClient(ctx, p.ws, name)
		var st pacs.Stored
		if err == nil {
			st, err = c.Store(ctx, p.segPath)
		}
		p.do(func() {
			cancel()
			p.cancel = nil
			p.bar.Stop()
			p.bar.Hide()
			p.cancelBtn.Disable()
			p.sendBtn.Enable()
			if p.closed {
				return
			}
			switch {
			case errors.Is(err, context.Canceled):
				p.status.SetText("Cancelled.")
				p.event("cancelled")
			case err != nil:
				p.fail(err)
			default:
				uid := st.SOPInstanceUID
				if uid == "" {
					uid = "not given by the server"
				}
				p.status.Importance = widget.SuccessImportance
				p.status.SetText(fmt.Sprintf("Stored on %s (SOP Instance UID %s).", name, uid))
				p.event("stored")
			}
		})
	}()
}
