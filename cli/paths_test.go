package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/internal/testfiles"
	"liverseg/scan"
)

// Item 8 of issue 20: a FIFO given as a path blocked forever (info PATH, eval --pred). Each
// command refuses it at once, and a folder holding one is read without opening it.
func TestFIFOPaths(t *testing.T) {
	dir := t.TempDir()
	fifo := testfiles.MkFIFO(t, filepath.Join(dir, "pipe"))
	fifoNII := testfiles.MkFIFO(t, filepath.Join(dir, "pipe.nii"))
	ct := testenv.Data(t, "formats/dcmqi/ct-3slice")
	out := filepath.Join(dir, "out.nii")
	cases := []struct {
		fifo string
		args []string
	}{
		{fifo, []string{"info", fifo}},
		{fifo, []string{"eval", "--series", ct, "--truth", ct, "--pred", fifo}},
		{fifoNII, []string{"eval", "--series", ct, "--truth", fifoNII, "--pred", ct}},
		{fifo, []string{"convert", "--series", fifo, "--out", out}},
		{fifoNII, []string{"convert", "--series", ct, "--in", fifoNII, "--out", filepath.Join(dir, "out.dcm")}},
		{fifo, []string{"segment", "--in", fifo, "--out", out}},
		{fifo, []string{"segment", "--in", ct, "--truth", fifo}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[:2], " "), func(t *testing.T) {
			var code int
			var errOut string
			within(t, tc.fifo, func() { code, _, errOut = run(t, tc.args...) })
			want := "liverseg: " + tc.fifo + ": " + scan.ErrNotRegular.Error() + ": it is a FIFO (named pipe)\n"
			if code != ExitFailure || !strings.HasSuffix(errOut, want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, want)
			}
		})
	}
}

func TestFolderWithFIFO(t *testing.T) {
	dir := testfiles.SeriesCopy(t, testenv.Data(t, "formats/dcmqi/ct-3slice"), nil, nil)
	fifo := testfiles.MkFIFO(t, filepath.Join(dir, "04.dcm"))
	skipped := fifo + ": " + scan.ErrNotRegular.Error() + ": it is a FIFO (named pipe), skipped"
	var code int
	var out, errOut string
	within(t, fifo, func() { code, out, errOut = run(t, "info", dir) })
	if code != ExitOK || !strings.Contains(out, "slices       3 of 512x512") || !strings.Contains(out, "unreadable: "+skipped) {
		t.Errorf("info: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	within(t, fifo, func() {
		code, out, errOut = run(t, "convert", "--series", dir, "--out", filepath.Join(t.TempDir(), "ct.nii"), "--json")
	})
	if code != ExitOK || !strings.Contains(errOut, "liverseg: warning: left out: "+skipped) || !hasWarning(jsonWarnings(t, out), "left out: "+skipped) {
		t.Errorf("convert: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// Item 10a of issue 20: segment ran the whole inference before it found that it could not write
// its output. It checks first: here the model given is not a model at all, so an error about
// the output shows that nothing else was opened before. The paths fail for root too.
func TestSegmentChecksOutputFirst(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	writeFile(t, file, []byte("not a folder"))
	bad := filepath.Join(dir, "bad.onnx")
	writeFile(t, bad, []byte("this is not a model"))
	ct := testenv.Data(t, "formats/dcmqi/ct-3slice")
	cases := []struct {
		name, path, want string
		args             []string
	}{
		{"parent is a file", filepath.Join(file, "mask.nii.gz"), "not a directory", nil},
		{"missing folder", filepath.Join(dir, "no", "such", "mask.dcm"), "no such file or directory", nil},
		{"/proc", "/proc/liverseg-mask.nii", "", nil},
		{"PNG stack under a file", filepath.Join(file, "png"), "is not a folder", nil},
		{"--prob", filepath.Join(file, "prob.nii"), "not a directory", []string{"--out", filepath.Join(dir, "ok.nii")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"segment", "--in", ct, "--model", bad}
			if tc.args == nil {
				args = append(args, "--out", tc.path)
			} else {
				args = append(append(args, tc.args...), "--prob", tc.path)
			}
			code, _, errOut := run(t, args...)
			if code != ExitFailure || !strings.HasPrefix(errOut, "liverseg: "+tc.path+": cannot write") || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1, the output named and %q", code, errOut, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "ok.nii")); err == nil {
		t.Error("ok.nii written though --prob cannot be")
	}
}
