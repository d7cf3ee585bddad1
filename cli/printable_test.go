package cli

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/internal/testfiles"
)

// Item 9 of issue 20: ESC and BEL bytes of a file reached the terminal (info printed PatientName
// raw, error messages carried corrupted UIDs).

func TestPrintable(t *testing.T) {
	cases := []struct{ in, want string }{
		{"liver_07^patient", "liver_07^patient"},
		{"Müller^Jürgen 李", "Müller^Jürgen 李"},
		{"\x1b]0;pwn\x07", `\x1b]0;pwn\a`},
		{"a\r\nb\tc\x00", `a\r\nb\tc\x00`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{"abc\u202etxt.exe", `abc\u202etxt.exe`},
		{"\u009b31m", `\u009b31m`}, // the C1 CSI
		{"", ""},
	}
	for _, tc := range cases {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// noControl fails the test when text output holds an ESC or BEL byte.
func noControl(t *testing.T, what, s string) {
	t.Helper()
	if strings.ContainsAny(s, "\x1b\x07") {
		t.Errorf("%s holds ESC or BEL: %q", what, s)
	}
}

func TestHostileStringsPrinted(t *testing.T) {
	const name = "\x1b]0;pwn\x07^Evil\x1b[m" // retitles the terminal; as long as liver_07^patient
	p7 := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	one := testfiles.SeriesCopy(t, p7, nil, map[string]func([]byte) []byte{"image_0": testfiles.ReplaceOnce(t, "liver_07^patient", name)})
	// image_0 alone, its SeriesInstanceUID with a BEL in it, beside the 3-slice CT of dcmqi: two
	// series, and an error that lists their UIDs.
	code, out, errOut := run(t, "info", filepath.Join(one, "image_0"), "--json")
	var r struct {
		Series []struct {
			Patient   string `json:"patient"`
			SeriesUID string `json:"series_uid"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != ExitOK || len(r.Series) != 1 {
		t.Fatalf("info --json: exit %d, %v, %s", code, err, errOut)
	}
	if r.Series[0].Patient != name {
		t.Errorf("info --json: patient %q, want %q exactly", r.Series[0].Patient, name)
	}
	uid := r.Series[0].SeriesUID
	badUID := uid[:len(uid)-1] + "\x07"
	dir := testfiles.SeriesCopy(t, testenv.Data(t, "formats/dcmqi/ct-3slice"), nil, nil)
	testfiles.CopyFile(t, filepath.Join(one, "image_0"), filepath.Join(dir, "tmp"))
	patched := testfiles.ReplaceOnce(t, uid, badUID)(readFile(t, filepath.Join(dir, "tmp")))
	writeFile(t, filepath.Join(dir, "evil.dcm"), patched)
	removeFile(t, filepath.Join(dir, "tmp"))

	code, out, errOut = run(t, "info", dir)
	if code != ExitOK {
		t.Fatalf("info: exit %d, %s", code, errOut)
	}
	noControl(t, "info's stdout", out)
	noControl(t, "info's stderr", errOut)
	for _, want := range []string{`\x1b]0;pwn\a^Evil\x1b[m`, Printable(badUID)} {
		if !strings.Contains(out, want) {
			t.Errorf("info's output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = run(t, "convert", "--series", dir, "--out", filepath.Join(t.TempDir(), "x.nii"))
	if code != ExitFailure || !strings.Contains(errOut, "2 series found") || !strings.Contains(errOut, Printable(badUID)) {
		t.Errorf("convert of two series: exit %d, stderr %q", code, errOut)
	}
	noControl(t, "convert's stderr", errOut+out)
}

// fail, the one way errors reach stderr, escapes what a file put in the message.
func TestFailEscapes(t *testing.T) {
	var b strings.Builder
	fail(&b, errors.New("/x/image_3: UID 1.2.3\x1b[2J\x07 unknown"))
	if got, want := b.String(), "liverseg: /x/image_3: UID 1.2.3\\x1b[2J\\a unknown\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
