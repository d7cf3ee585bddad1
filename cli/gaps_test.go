package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/internal/testfiles"
)

// Item 3 of issue 20: a series with missing or uneven slices was written as NIfTI with the gaps
// closed, exit 0 and not a word. Every command that reads a series prints its warnings and puts
// them in --json; a NIfTI over such a series is refused unless --allow-gaps.

// jsonWarnings is the "warnings" of a command's --json output; it fails the test when the key
// is missing or not a list (an empty list is [], never null).
func jsonWarnings(t *testing.T, out string) []string {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	list, ok := r["warnings"].([]any)
	if !ok {
		t.Fatalf(`"warnings" is %#v, want a list`, r["warnings"])
	}
	var w []string
	for _, x := range list {
		w = append(w, x.(string))
	}
	return w
}

// hasWarning says whether one of warnings starts with prefix and holds every one of parts.
func hasWarning(warnings []string, prefix string, parts ...string) bool {
	for _, w := range warnings {
		ok := strings.HasPrefix(w, prefix)
		for _, p := range parts {
			ok = ok && strings.Contains(w, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func halve(b []byte) []byte { return b[:len(b)/2] }

func TestConvertRefusesGaps(t *testing.T) {
	p7 := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	cases := []struct {
		name, series string
		want         []string // in the error and in the --allow-gaps warning
	}{
		{"IRCAD 7 without image_70", testfiles.SeriesCopy(t, p7, []string{"image_70"}, nil),
			[]string{"about 1 missing slices", "slice 69 (image_69, at 110.40 mm) and slice 70 (image_71, at 113.60 mm)"}},
		{"IRCAD 7 with image_142 truncated", testfiles.SeriesCopy(t, p7, nil, map[string]func([]byte) []byte{"image_142": halve}),
			[]string{"about 1 missing slices", "slice 141 (image_141, at 225.60 mm) and slice 142 (image_143, at 228.80 mm)"}},
		{"highdicom CT", testenv.Data(t, "formats/pydicom/dicomdirtests/77654033/CT2"),
			[]string{"about 161 missing slices", "slice 0 (17106, at -99.48 mm) and slice 1 (17136, at 103.02 mm)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ct.nii.gz")
			code, _, errOut := run(t, "convert", "--series", tc.series, "--out", out)
			if code != ExitFailure || !strings.Contains(errOut, "\nliverseg: "+tc.series+": slices not on an even grid of ") ||
				!strings.Contains(errOut, "--allow-gaps") {
				t.Errorf("exit %d, stderr %q: want 1 and the series refused", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written", out)
			}

			code, stdout, errOut := run(t, "convert", "--series", tc.series, "--out", out, "--allow-gaps", "--json")
			if code != ExitOK {
				t.Fatalf("--allow-gaps: exit %d, %s", code, errOut)
			}
			if _, err := os.Stat(out); err != nil {
				t.Errorf("--allow-gaps: %v", err)
			}
			const written = "NIfTI written on an even grid that misplaces slices: "
			if w := jsonWarnings(t, stdout); !hasWarning(w, written, tc.want...) {
				t.Errorf("--json warnings %q lack %q %q", w, written, tc.want)
			}
			if !strings.Contains(errOut, "liverseg: warning: "+written) {
				t.Errorf("stderr %q lacks the warning", errOut)
			}
		})
	}
}

// The warnings of the series (here a file that could not be read, and a gap) reach stderr and
// --json in convert and eval, whatever they write; IRCAD 7 itself has none: "warnings": [].
func TestSeriesWarningsEverywhere(t *testing.T) {
	p7 := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	truncated := testfiles.SeriesCopy(t, p7, nil, map[string]func([]byte) []byte{"image_142": halve})
	hd := testenv.Data(t, "formats/pydicom/dicomdirtests/77654033/CT2")
	seg := testenv.Data(t, "formats/highdicom/seg_image_ct_binary.dcm")
	dir := t.TempDir()
	leftOut := "left out: " + filepath.Join(truncated, "image_142") + ": file is truncated"
	cases := []struct {
		name   string
		args   []string
		prefix string // of a warning, on stderr and in --json; "": none
	}{
		{"convert IRCAD 7", []string{"convert", "--series", p7, "--out", filepath.Join(dir, "7.nii")}, ""},
		{"convert truncated to NIfTI", []string{"convert", "--series", truncated, "--out", filepath.Join(dir, "t.nii"), "--allow-gaps"}, leftOut},
		{"convert highdicom to SEG", []string{"convert", "--series", hd, "--in", seg, "--out", filepath.Join(dir, "hd.dcm")}, "missing slices: about 161"},
		{"eval highdicom", []string{"eval", "--series", hd, "--truth", seg, "--pred", seg}, "missing slices: about 161"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, errOut := run(t, append(tc.args, "--json")...)
			if code != ExitOK {
				t.Fatalf("exit %d, %s", code, errOut)
			}
			w := jsonWarnings(t, stdout)
			if tc.prefix == "" {
				if len(w) != 0 || strings.Contains(errOut, "warning") {
					t.Errorf("warnings %q, stderr %q: want none", w, errOut)
				}
				return
			}
			if !hasWarning(w, tc.prefix) {
				t.Errorf("--json warnings %q lack %q", w, tc.prefix)
			}
			if !strings.Contains(errOut, "liverseg: warning: "+tc.prefix) {
				t.Errorf("stderr %q lacks the warning %q", errOut, tc.prefix)
			}
		})
	}
}

// segment: a NIfTI over the highdicom CT's gap is refused before the inference (--allow-gaps
// writes it, with a warning), its SEG is written with the warnings; a truncated slice file is
// named in the warnings.
func TestSegmentGapsAndWarnings(t *testing.T) {
	hd := testenv.Data(t, "formats/pydicom/dicomdirtests/77654033/CT2")
	truncated := testfiles.SeriesCopy(t, testenv.Data(t, "formats/dcmqi/ct-3slice"), nil, map[string]func([]byte) []byte{"03.dcm": halve})
	model, lib := smallModel(t), ortLibrary(t)
	dir := t.TempDir()
	cases := []struct {
		name   string
		args   []string
		code   int
		prefix string // of a warning on stderr and in --json (exit 0), or of the error (exit 1)
	}{
		{"NIfTI over the gap", []string{"--in", hd, "--out", filepath.Join(dir, "a.nii.gz")}, ExitFailure,
			"liverseg: " + hd + ": slices not on an even grid of 1.250 mm steps: about 161 missing slices"},
		{"--prob over the gap", []string{"--in", hd, "--out", filepath.Join(dir, "a.dcm"), "--prob", filepath.Join(dir, "p.nii")}, ExitFailure,
			"liverseg: " + hd + ": slices not on an even grid"},
		{"NIfTI with --allow-gaps", []string{"--in", hd, "--out", filepath.Join(dir, "b.nii.gz"), "--allow-gaps"}, ExitOK,
			"NIfTI written on an even grid that misplaces slices: " + hd + ": slices not on an even grid of 1.250 mm steps: about 161 missing"},
		{"SEG", []string{"--in", hd, "--out", filepath.Join(dir, "c.dcm")}, ExitOK, "missing slices: about 161"},
		{"truncated file", []string{"--in", truncated, "--out", filepath.Join(dir, "d.dcm")}, ExitOK,
			"left out: " + filepath.Join(truncated, "03.dcm") + ": file is truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"segment", "--model", model, "--ort-lib", lib, "--device", "cpu", "--json"}, tc.args...)
			code, stdout, errOut := run(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if code == ExitFailure {
				if !strings.Contains(errOut, tc.prefix) || stdout != "" {
					t.Errorf("stderr %q lacks %q (stdout %q)", errOut, tc.prefix, stdout)
				}
				return
			}
			if w := jsonWarnings(t, stdout); !hasWarning(w, tc.prefix) {
				t.Errorf("--json warnings %q lack %q", w, tc.prefix)
			}
			if !strings.Contains(errOut, "liverseg: warning: "+tc.prefix) {
				t.Errorf("stderr %q lacks the warning %q", errOut, tc.prefix)
			}
		})
	}
}

// A label's own warnings (a README.png beside the DICOM masks, left out of the mask) reach the
// user too: on stderr and in --json, naming the folder and the file. Before, eval read such a
// folder without a word.
func TestLabelWarningsPrinted(t *testing.T) {
	p7 := testenv.IRCAD(t, 7, "PATIENT_DICOM")
	masks := testfiles.SeriesCopy(t, testenv.IRCAD(t, 7, "MASKS_DICOM/liver"), nil, nil)
	if err := os.WriteFile(filepath.Join(masks, "README.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"eval", "--series", p7, "--truth", masks, "--pred", masks},
		{"convert", "--series", p7, "--in", masks, "--out", filepath.Join(dir, "7.nii.gz")},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, stdout, errOut := run(t, append(args, "--json")...)
			if code != ExitOK {
				t.Fatalf("exit %d, %s", code, errOut)
			}
			if w := jsonWarnings(t, stdout); !hasWarning(w, masks, "README.png", "left out of the mask") {
				t.Errorf("--json warnings %q lack the stray README.png of %s", w, masks)
			}
			if !strings.Contains(errOut, "liverseg: warning: "+masks) || !strings.Contains(errOut, "README.png") {
				t.Errorf("stderr %q lacks the warning", errOut)
			}
		})
	}
}
