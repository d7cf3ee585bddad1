package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"liverseg/workspace"
)

// serverForm is the "Add a PACS server" form: what `liverseg pacs servers add` takes, in a
// dialog, so that a reader who has only the GUI can reach the hospital's PACS. The workspace
// checks the entries (name, URL, a token or a user and password) and says what is wrong.
type serverForm struct {
	ws                        *workspace.Workspace
	name, url, user, password *widget.Entry
	token                     *widget.Entry
	insecure                  *widget.Check
}

func newServerForm(ws *workspace.Workspace) *serverForm {
	f := &serverForm{ws: ws, name: widget.NewEntry(), url: widget.NewEntry(), user: widget.NewEntry(),
		password: widget.NewPasswordEntry(), token: widget.NewPasswordEntry(),
		insecure: widget.NewCheck("accept a certificate no authority signed", nil)}
	f.name.SetPlaceHolder("hospital-pacs")
	f.url.SetPlaceHolder("https://pacs.example.org/dicom-web")
	f.user.SetPlaceHolder("optional")
	f.token.SetPlaceHolder("instead of a user and password")
	return f
}

func (f *serverForm) items() []*widget.FormItem {
	return []*widget.FormItem{
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("DICOMweb URL", f.url),
		widget.NewFormItem("User", f.user),
		widget.NewFormItem("Password", f.password),
		widget.NewFormItem("Token", f.token),
		widget.NewFormItem("", f.insecure),
	}
}

// submit records the server; an entry the workspace refuses is an error naming the server.
func (f *serverForm) submit() (string, error) {
	if f.ws == nil {
		return "", errors.New("no workspace open, where the PACS servers are configured")
	}
	s := workspace.PACSServer{Name: strings.TrimSpace(f.name.Text), URL: strings.TrimSpace(f.url.Text),
		User: strings.TrimSpace(f.user.Text), Password: f.password.Text, Token: strings.TrimSpace(f.token.Text),
		Insecure: f.insecure.Checked}
	if err := f.ws.AddServer(context.Background(), s, false); err != nil {
		return "", err
	}
	return s.Name, nil
}

// showServerForm shows the form over parent; onAdded gets the name of a server added.
func showServerForm(parent fyne.Window, ws *workspace.Workspace, onAdded func(name string)) {
	f := newServerForm(ws)
	d := dialog.NewForm("Add a PACS server", "Add", "Cancel", f.items(), func(ok bool) {
		if !ok {
			return
		}
		name, err := f.submit()
		if err != nil {
			dialog.ShowError(err, parent)
			return
		}
		onAdded(name)
	}, parent)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// addServer shows the form; a server added is chosen in the Open dialog at once.
func (p *pacsOpen) addServer() { showServerForm(p.parent, p.ws, p.serverAdded) }

// serverAdded lists the servers again with name chosen, and lets the search go.
func (p *pacsOpen) serverAdded(name string) {
	p.status.Importance = widget.MediumImportance
	p.status.SetText("")
	p.loadServers()
	p.server.SetSelected(name)
	p.searchBtn.Enable()
}
