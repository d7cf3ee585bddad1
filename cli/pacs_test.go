package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/assets"
	"liverseg/internal/testenv"
	"liverseg/pacs"
	"liverseg/pacs/orthanctest"
	"liverseg/scan"
	"liverseg/scan/labels"
)

// TestPACSOrthanc is the round trip of a hospital: IRCAD case 17 is uploaded to a real Orthanc
// (its REST API), `liverseg pacs search` finds it, `pacs get` retrieves it into the cache,
// `segment` writes a SEG of it, `pacs put` stores the SEG, and pydicom reads the SEG back from
// Orthanc: it references the series and holds our mask's voxel count.
func TestPACSOrthanc(t *testing.T) {
	series := testenv.IRCAD(t, 17, "PATIENT_DICOM")
	py := testenv.Python(t, "pydicom, numpy")
	lib := ortLibrary(t)
	o := orthanctest.Start(t)
	n := o.Upload(t, series)
	ws := t.TempDir()
	cache := t.TempDir()

	mustRun(t, "pacs", "servers", "add", "orthanc", o.DICOMweb, "--user", orthanctest.User, "--password", orthanctest.Password, "--workspace", ws)
	list := mustRun(t, "pacs", "servers", "--workspace", ws, "--json")
	if strings.Contains(list, orthanctest.Password) || !strings.Contains(list, `"has_password": true`) {
		t.Errorf("servers --json shows the password or hides that it is set:\n%s", list)
	}

	var found pacsSearchResult
	out := mustRun(t, "pacs", "search", "--workspace", ws, "--patient", "liver_17", "--modality", "CT", "--from", "2009-05-27", "--to", "2009-05-27", "--json")
	if err := json.Unmarshal([]byte(out), &found); err != nil || len(found.Series) != 1 {
		t.Fatalf("search: %v\n%s", err, out)
	}
	s := found.Series[0]
	if s.Instances != n || s.PatientName != "liver_17^patient" || s.Modality != "CT" {
		t.Errorf("series %+v; uploaded %d files", s, n)
	}
	text := mustRun(t, "pacs", "search", "--workspace", ws, "--studies", "--patient", "liver")
	if !strings.Contains(text, "liver_17^patient") || !strings.Contains(text, s.StudyUID) {
		t.Errorf("search --studies:\n%s", text)
	}

	dir := strings.TrimSpace(mustRun(t, "pacs", "get", "--workspace", ws, "--cache", cache, s.SeriesUID))
	if dir != filepath.Join(cache, s.SeriesUID) {
		t.Fatalf("pacs get printed %q", dir)
	}
	// A second get reads the cache: it works with the server forgotten.
	mustRun(t, "pacs", "servers", "add", "gone", "http://127.0.0.1:1/dicom-web", "--workspace", ws)
	var again pacs.Retrieved
	out = mustRun(t, "pacs", "get", "--workspace", ws, "--server", "gone", "--cache", cache, s.SeriesUID, "--json")
	if err := json.Unmarshal([]byte(out), &again); err != nil || !again.Cached || again.Dir != dir || again.Instances != n {
		t.Fatalf("second get: %v\n%s", err, out)
	}

	seg := filepath.Join(t.TempDir(), "liver17.dcm")
	segArgs := []string{"segment", "--in", dir, "--out", seg, "--ort-lib", lib, "--threads", "2", "--json"}
	if _, ok := assets.DefaultModel(); !ok {
		segArgs = append(segArgs, "--model", smallModel(t))
	}
	mustRun(t, segArgs...)
	v, err := scan.LoadVolume(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := labels.Load(seg, v, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	voxels := int(m.Count())
	if voxels == 0 {
		t.Fatal("the mask is empty")
	}

	var stored []pacs.Stored
	out = mustRun(t, "pacs", "put", "--workspace", ws, "--server", "orthanc", seg, "--json")
	if err := json.Unmarshal([]byte(out), &stored); err != nil || len(stored) != 1 || stored[0].SOPInstanceUID == "" {
		t.Fatalf("put: %v\n%s", err, out)
	}
	back := filepath.Join(t.TempDir(), "from-orthanc.dcm")
	if err := os.WriteFile(back, o.FileOf(t, stored[0].SOPInstanceUID), 0o644); err != nil {
		t.Fatal(err)
	}
	check, err := exec.Command(py, "-c", `
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
refs = [r.SeriesInstanceUID for r in ds.ReferencedSeriesSequence]
print(ds.Modality, ds.StudyInstanceUID, ",".join(refs), int(ds.pixel_array.sum()), ds.SegmentSequence[0].SegmentLabel,
      len(ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence))
`, back).CombinedOutput()
	if err != nil {
		t.Fatalf("pydicom: %v\n%s", err, check)
	}
	f := strings.Fields(string(check))
	want := []string{"SEG", s.StudyUID, s.SeriesUID, itoa(voxels), "Liver", itoa(n)}
	if strings.Join(f, " ") != strings.Join(want, " ") {
		t.Errorf("pydicom read from Orthanc: %q\nwant %q", f, want)
	}
	t.Logf("SEG from Orthanc: %s", strings.TrimSpace(string(check)))

	// The SEG is now a series of the study on the PACS.
	out = mustRun(t, "pacs", "search", "--workspace", ws, "--server", "orthanc", "--study", s.StudyUID, "--modality", "SEG", "--json")
	if err := json.Unmarshal([]byte(out), &found); err != nil || len(found.Series) != 1 {
		t.Errorf("the stored SEG is not found: %v\n%s", err, out)
	}

	// A wrong password: exit 1 and an error that says so and names the server and the URL.
	mustRun(t, "pacs", "servers", "add", "wrong", o.DICOMweb, "--user", orthanctest.User, "--password", "not-it", "--workspace", ws)
	code, _, errOut := run(t, "pacs", "search", "--workspace", ws, "--server", "wrong")
	if code != ExitFailure || !strings.Contains(errOut, "unauthorized") || !strings.Contains(errOut, `"wrong"`) || !strings.Contains(errOut, o.DICOMweb) {
		t.Errorf("wrong password: exit %d, %s", code, errOut)
	}
	empty := t.TempDir()
	code, _, errOut = run(t, "pacs", "get", "--workspace", ws, "--server", "wrong", "--cache", empty, s.SeriesUID)
	if code != ExitFailure || !strings.Contains(errOut, "401") {
		t.Errorf("get with a wrong password: exit %d, %s", code, errOut)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a failed get left %d entries in the cache", len(entries))
	}
	code, _, errOut = run(t, "pacs", "put", "--workspace", ws, "--server", "wrong", seg)
	if code != ExitFailure || !strings.Contains(errOut, seg) || !strings.Contains(errOut, "unauthorized") {
		t.Errorf("put with a wrong password: exit %d, %s", code, errOut)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestPACSUsageAndUnreachable: the errors that need no PACS: bad usage is exit 2, a closed port
// exit 1 with "unreachable" and the URL, several servers without --server a clear choice.
func TestPACSUsageAndUnreachable(t *testing.T) {
	ws := t.TempDir()
	for _, args := range [][]string{
		{"pacs"},
		{"pacs", "nonsense"},
		{"pacs", "get"},
		{"pacs", "get", "../etc/passwd"},
		{"pacs", "search", "--from", "2009-13-01"},
		{"pacs", "put"},
		{"pacs", "servers", "add", "x"},
		{"pacs", "servers", "add", "x", "ftp://host"},
		{"pacs", "servers", "frob"},
	} {
		if code, _, errOut := run(t, append(args, "--workspace", ws)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut)
		}
	}
	code, _, errOut := run(t, "pacs", "search", "--workspace", ws)
	if code != ExitFailure || !strings.Contains(errOut, "no PACS server configured") {
		t.Errorf("no server: exit %d, %s", code, errOut)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/dicom-web"
	l.Close()
	mustRun(t, "pacs", "servers", "add", "closed", url, "--workspace", ws)
	cache := t.TempDir()
	code, _, errOut = run(t, "pacs", "get", "--workspace", ws, "--cache", cache, "1.2.3.4")
	if code != ExitFailure || !strings.Contains(errOut, "server unreachable") || !strings.Contains(errOut, url) || !strings.HasPrefix(errOut, "liverseg: ") {
		t.Errorf("closed port: exit %d, %s", code, errOut)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("a failed get left %d entries in the cache", len(entries))
	}
	mustRun(t, "pacs", "servers", "add", "other", url, "--workspace", ws)
	code, _, errOut = run(t, "pacs", "put", "--workspace", ws, "x.dcm")
	if code != ExitFailure || !strings.Contains(errOut, "closed, other") || !strings.Contains(errOut, "--server") {
		t.Errorf("two servers, no --server: exit %d, %s", code, errOut)
	}
	code, _, errOut = run(t, "pacs", "servers", "add", "other", url, "--workspace", ws)
	if code != ExitFailure || !strings.Contains(errOut, "--replace") {
		t.Errorf("adding a name twice: exit %d, %s", code, errOut)
	}
	mustRun(t, "pacs", "servers", "remove", "other", "--workspace", ws)
	if out := mustRun(t, "pacs", "servers", "--workspace", ws); strings.Contains(out, "other") || !strings.Contains(out, "closed") {
		t.Errorf("after remove:\n%s", out)
	}
}
