package ui

// The session's side of the PACS dialogs (ui/pacsdialog): what they are given, and the SEG that
// "Send to PACS" stores.

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"liverseg/inference"
	"liverseg/scan"
	"liverseg/ui/pacsdialog"
	"liverseg/workspace"
)

// openFromPACS shows the "Open from PACS" dialog; the retrieved series opens like a folder.
func (s *session) openFromPACS() {
	ws, err := s.workspace()
	if err != nil {
		s.showError(err)
		return
	}
	dir, err := inference.PACSCacheDir()
	if err != nil {
		s.showError(err)
		return
	}
	pacsdialog.ShowOpen(s.ctx, s.pacsEnv(ws), dir, s.openPath)
}

// pacsEnv is what the PACS dialogs get of the session: the window, the workspace's servers, the
// job runner (the window's close cancels and waits for their network work) and its do.
func (s *session) pacsEnv(ws *workspace.Workspace) pacsdialog.Env {
	return pacsdialog.Env{Parent: s.win, Servers: ws, Jobs: s.jobs, Do: s.do}
}

// errNothingToSend: no label yet.
var errNothingToSend = errors.New("nothing to send yet: run the model (M) or load a label first")

// sendToPACS writes the current result as a DICOM SEG that references the series (the model's
// prediction, algorithm type AUTOMATIC) and shows the "Send to PACS" dialog for it.
func (r *review) sendToPACS() {
	ws, err := r.s.workspace()
	if err != nil {
		r.s.showError(err)
		return
	}
	mask, meta := r.pred, scan.LabelMeta{
		AlgorithmType: scan.AlgorithmAutomatic, AlgorithmName: "liverseg U-Net", ModelVersion: r.predName,
		Author: author(), Description: "liver (liverseg)", Color: r.predColor,
	}
	if mask == nil {
		r.s.showError(errNothingToSend)
		return
	}
	vol := r.vol
	var path string
	r.start("writing the SEG", func(ctx context.Context, _ func(int, int)) error {
		dir, err := inference.PACSCacheDir()
		if err != nil {
			return err
		}
		dir = filepath.Join(dir, "outgoing")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f, err := os.CreateTemp(dir, "seg-*.dcm")
		if err != nil {
			return err
		}
		path = f.Name()
		f.Close()
		return scan.WriteSEG(path, vol, mask, meta)
	}, func() { pacsdialog.ShowSend(r.s.ctx, r.s.pacsEnv(ws), path) })
}
