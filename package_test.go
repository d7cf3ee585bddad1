package main

import (
	"encoding/json"
	"liverseg/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDesktopPackage builds the desktop package (make package), unpacks it as a new user would,
// installs it into a folder, checks the menu entry, and runs the installed program: it finds the
// ONNX Runtime library it carries, with no variable set.
func TestDesktopPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compresses the whole program: not in -short")
	}
	for _, tool := range []string{"bash", "tar", "xz"} {
		testenv.Tool(t, tool)
	}
	testenv.ORTLibrary(t) // scripts/package.sh packs the library the variable names
	dist := t.TempDir()
	run := func(name string, args []string, env ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("bash", []string{"scripts/package.sh", dist})
	archives, _ := filepath.Glob(filepath.Join(dist, "liverseg-*-linux-*.tar.xz"))
	if len(archives) != 1 {
		t.Fatalf("archives %v", archives)
	}
	unpacked := t.TempDir()
	run("tar", []string{"-C", unpacked, "-xJf", archives[0]})
	tops, _ := filepath.Glob(filepath.Join(unpacked, "liverseg-*"))
	if len(tops) != 1 {
		t.Fatalf("unpacked %v", tops)
	}
	for _, f := range []string{"bin/liverseg", "lib/liverseg/libonnxruntime.so", "install.sh", "README",
		"share/applications/org.liverseg.app.desktop", "share/icons/hicolor/256x256/apps/org.liverseg.app.png"} {
		if _, err := os.Stat(filepath.Join(tops[0], f)); err != nil {
			t.Errorf("the package lacks %s", f)
		}
	}
	prefix := t.TempDir()
	run(filepath.Join(tops[0], "install.sh"), nil, "PREFIX="+prefix)
	desktop := filepath.Join(prefix, "share", "applications", "org.liverseg.app.desktop")
	b, err := os.ReadFile(desktop)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Exec="+filepath.Join(prefix, "bin", "liverseg")+" %f") || !strings.Contains(string(b), "Icon=org.liverseg.app") {
		t.Errorf("menu entry:\n%s", b)
	}
	if _, err := exec.LookPath("desktop-file-validate"); err == nil {
		run("desktop-file-validate", []string{desktop})
	}
	// The installed program, without the variable: the library comes from the package.
	cmd := exec.Command(filepath.Join(prefix, "bin", "liverseg"), "doctor", "--json")
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, testenv.EnvORTLibrary+"=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	out, _ := cmd.Output() // doctor exits 1 when something optional (CUDA, a display) is missing
	var doc struct {
		ORT struct {
			OK     bool   `json:"ok"`
			Path   string `json:"path"`
			Source string `json:"source"`
		} `json:"onnxruntime"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	if !doc.ORT.OK || doc.ORT.Source != "package" || !strings.HasPrefix(doc.ORT.Path, prefix) {
		t.Errorf("installed program's ONNX Runtime: %+v", doc.ORT)
	}
}
