package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/unprivileged"
	"liverseg/workspace"
)

// wsWithModel is a closed workspace holding one registered model, v1, active.
func wsWithModel(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ws")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "model.onnx"), []byte("onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := workspace.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.RegisterModel(ctx, workspace.NewModel{Version: "v1", SourceDir: src, Activate: true}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runCLI(cmd Command, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = cmd(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// Issue 20 item 6: a lost workspace.db is an error saying how to recover, doctor says so, and
// doctor --rebuild brings the models back, the active one too.
func TestModelsLostIndexRebuild(t *testing.T) {
	dir := wsWithModel(t)
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(dir, workspace.IndexName+s))
	}
	code, out, errs := runCLI(Models, "list", "--workspace", dir)
	if code != ExitFailure || !strings.Contains(errs, "liverseg: "+dir) || !strings.Contains(errs, "doctor --rebuild") {
		t.Fatalf("models list on a lost index: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI(Doctor, "--json", "--workspace", dir)
	var rep struct {
		Workspace struct {
			OK    bool   `json:"ok"`
			Index string `json:"index"`
		} `json:"workspace"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitOK {
		t.Fatalf("doctor: exit %d, %v, %s %s", code, err, out, errs)
	}
	if rep.Workspace.OK || !strings.Contains(rep.Workspace.Index, "doctor --rebuild") {
		t.Errorf("doctor's workspace: %+v", rep.Workspace)
	}
	code, out, errs = runCLI(Doctor, "--rebuild", "--workspace", dir)
	if code != ExitOK || !strings.Contains(out, "1 model(s): v1") || !strings.Contains(out, "active model: v1") {
		t.Fatalf("doctor --rebuild: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI(Models, "list", "--workspace", dir)
	if code != ExitOK || !strings.Contains(out, "* v1") {
		t.Fatalf("models list after the rebuild: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// Issue 20 item 10: in a workspace folder that cannot be written, the commands that read work and
// one that writes says read-only, naming the folder. Runs as nobody when the tests run as root.
func TestModelsReadOnlyFolder(t *testing.T) {
	if !unprivileged.Run(t) {
		return
	}
	dir := wsWithModel(t)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	for _, args := range [][]string{{"list"}, {"active"}, {"show", "v1"}} {
		code, out, errs := runCLI(Models, append(args, "--workspace", dir)...)
		if code != ExitOK || !strings.Contains(out, "v1") {
			t.Errorf("models %v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	code, out, errs := runCLI(Models, "activate", "v1", "--workspace", dir)
	if code != ExitFailure || !strings.Contains(errs, dir) || !strings.Contains(errs, "read-only") || strings.Contains(errs, "(14)") {
		t.Errorf("models activate: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI(Pacs, "servers", "list", "--workspace", dir)
	if code != ExitOK {
		t.Errorf("pacs servers list: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
