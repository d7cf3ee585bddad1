package pacsdialog

import (
	"context"
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
	servers                   Servers
	name, url, user, password *widget.Entry
	token                     *widget.Entry
	insecure                  *widget.Check
}

func newServerForm(servers Servers) *serverForm {
	f := &serverForm{servers: servers, name: widget.NewEntry(), url: widget.NewEntry(), user: widget.NewEntry(),
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
func (f *serverForm) submit(ctx context.Context) (string, error) {
	if f.servers == nil {
		return "", errNoWorkspace
	}
	s := workspace.PACSServer{Name: strings.TrimSpace(f.name.Text), URL: strings.TrimSpace(f.url.Text),
		User: strings.TrimSpace(f.user.Text), Password: f.password.Text, Token: strings.TrimSpace(f.token.Text),
		Insecure: f.insecure.Checked}
	if err := f.servers.AddServer(ctx, s, false); err != nil {
		return "", err
	}
	return s.Name, nil
}

// showServerForm shows the form over parent; onAdded gets the name of a server added. The
// workspace is written on the Fyne goroutine: one row of a local database.
func showServerForm(ctx context.Context, parent fyne.Window, servers Servers, onAdded func(name string)) {
	f := newServerForm(servers)
	d := dialog.NewForm("Add a PACS server", "Add", "Cancel", f.items(), func(ok bool) {
		if !ok {
			return
		}
		name, err := f.submit(ctx)
		if err != nil {
			dialog.ShowError(err, parent)
			return
		}
		onAdded(name)
	}, parent)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}
