package pacsdialog

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"liverseg/pacs"
)

// ShowSend shows the "Send to PACS" dialog over env.Parent, to store segPath (a DICOM SEG) on a
// server configured in the workspace; it reports success or the error in the dialog. ctx is for
// the server list's reads and writes.
func ShowSend(ctx context.Context, env Env, segPath string) {
	newSend(ctx, env, segPath).show()
}

// sendDialog is the send dialog's state, touched on the Fyne goroutine only.
type sendDialog struct {
	env     Env
	segPath string

	dlg       *dialog.CustomDialog
	server    *widget.Select
	sendBtn   *widget.Button
	cancelBtn *widget.Button
	bar       *widget.ProgressBarInfinite
	status    *widget.Label
	cancel    context.CancelFunc // the send in flight; nil when idle
	closed    bool
	notify    func(event string) // tests: "stored", "cancelled", "error"
	do        func(func())       // runs a function on the Fyne goroutine (Env.Do)
}

func newSend(ctx context.Context, env Env, segPath string) *sendDialog {
	p := &sendDialog{env: env, segPath: segPath, do: env.do()}
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
		showServerForm(ctx, env.Parent, env.Servers, func(name string) {
			if err := fillServers(ctx, p.server, env.Servers); err != nil {
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
	p.dlg = dialog.NewCustomWithoutButtons("Send to PACS", container.NewVBox(form, p.bar, p.status), env.Parent)
	p.dlg.SetButtons([]fyne.CanvasObject{closeBtn, p.cancelBtn, p.sendBtn})
	p.dlg.SetOnClosed(func() {
		p.closed = true
		if p.cancel != nil {
			p.cancel()
		}
	})
	if err := fillServers(ctx, p.server, env.Servers); err != nil {
		p.fail(err)
		p.sendBtn.Disable()
	}
	return p
}

func (p *sendDialog) show() {
	p.dlg.Resize(fyne.NewSize(560, 280))
	p.dlg.Show()
}

func (p *sendDialog) event(e string) {
	if p.notify != nil {
		p.notify(e)
	}
}

func (p *sendDialog) fail(err error) {
	p.status.Importance = widget.DangerImportance
	p.status.SetText(errorLine(err))
	p.event("error")
}

func (p *sendDialog) send() {
	if p.cancel != nil {
		return
	}
	name, servers, segPath := p.server.Selected, p.env.Servers, p.segPath
	cancel, err := p.env.Jobs.Go(func(ctx context.Context) {
		c, err := client(ctx, servers, name)
		var st pacs.Stored
		if err == nil {
			st, err = c.Store(ctx, segPath)
		}
		p.do(func() { p.sent(name, st, err) })
	})
	if err != nil {
		p.fail(err)
		return
	}
	p.cancel = cancel
	p.sendBtn.Disable()
	p.cancelBtn.Enable()
	p.bar.Show()
	p.bar.Start()
	p.status.Importance = widget.MediumImportance
	p.status.SetText("Sending to " + name + "…")
}

// sent shows the outcome of a send to the server called name.
func (p *sendDialog) sent(name string, st pacs.Stored, err error) {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
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
}
