// Package pacsdialog holds the GUI's PACS dialogs: "Open from PACS" (search a configured
// DICOMweb server, retrieve a series into the cache, hand its folder on), "Send to PACS" (store
// a SEG) and the form that adds a server. They never see the review session: the window that
// opens one gives it what it needs (Env), its network work runs as jobs of the window's runner
// (the close of the window or Ctrl+C cancels it, and the close waits for it), and every widget
// change goes through Env.Do, so that the window never stalls on a slow PACS. Closing a dialog
// cancels what it started.
package pacsdialog

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"liverseg/pacs"
	"liverseg/workspace"
)

// Servers is what the dialogs use of the workspace: the PACS servers configured in it.
type Servers interface {
	Servers(ctx context.Context) ([]workspace.PACSServer, error)
	Server(ctx context.Context, name string) (workspace.PACSServer, error)
	AddServer(ctx context.Context, s workspace.PACSServer, replace bool) error
}

// Runner runs a job off the Fyne goroutine with a context that its cancel, the window's close
// and Ctrl+C end; the window's close waits for it. After the close it runs nothing and says so.
type Runner interface {
	Go(job func(ctx context.Context)) (cancel context.CancelFunc, err error)
}

// Env is what a dialog is given by the window that opens it.
type Env struct {
	Parent  fyne.Window
	Servers Servers // the workspace's servers; nil when no workspace is open
	Jobs    Runner
	Do      func(func()) // runs a function on the Fyne goroutine: fyne.Do where nil (tests queue it)
}

func (e Env) do() func(func()) {
	if e.Do == nil {
		return fyne.Do
	}
	return e.Do
}

// errNoWorkspace: the servers are configured in the workspace.
var errNoWorkspace = errors.New("no workspace open, where the PACS servers are configured")

// errNoServers says how to add a server, in the dialog or on the command line.
var errNoServers = errors.New("no PACS server configured: Add… one here, or with `liverseg pacs servers add NAME URL --user USER --password -`")

// fillServers lists the servers in sel, the first chosen; none is errNoServers. The servers are
// in a local database: quick, so this runs on the Fyne goroutine rather than as a job.
func fillServers(ctx context.Context, sel *widget.Select, servers Servers) error {
	if servers == nil {
		return errNoWorkspace
	}
	all, err := servers.Servers(ctx)
	if err == nil && len(all) == 0 {
		err = errNoServers
	}
	if err != nil {
		return err
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	sel.SetOptions(names)
	sel.SetSelectedIndex(0)
	return nil
}

// client makes a client for the server called name; it reads the workspace, so it runs in the
// job.
func client(ctx context.Context, servers Servers, name string) (*pacs.Client, error) {
	if servers == nil {
		return nil, errNoWorkspace
	}
	if name == "" {
		return nil, errors.New("choose a PACS server")
	}
	s, err := servers.Server(ctx, name)
	if err != nil {
		return nil, err
	}
	return pacs.NewClient(pacs.Server{Name: s.Name, URL: s.URL, User: s.User, Password: s.Password, Token: s.Token, Insecure: s.Insecure})
}

// errorLine is an error for a dialog: one line, the reasons kept, the URL too (it tells which
// server and which request failed).
func errorLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// orDash is s, or "-" for nothing.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
