// Package orthanctest starts a real Orthanc with its DICOMweb plugin for tests: a loopback port,
// a throw-away storage folder, basic auth with a test user, killed when the test ends. It is a
// test helper (it imports testing), used by the tests of pacs, cli and ui.
package orthanctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test user; AuthenticationEnabled is on, so that a wrong password is a real 401.
const (
	User     = "liverseg"
	Password = "test-secret"
)

// Orthanc is a running server.
type Orthanc struct {
	URL      string // the REST root, http://127.0.0.1:PORT
	DICOMweb string // the DICOMweb root, URL + "/dicom-web"
	Dir      string // its storage and log
	cmd      *exec.Cmd
}

// Binary finds the Orthanc executable (Debian installs it in /usr/sbin, which may be off PATH).
func Binary() (string, bool) {
	if p, err := exec.LookPath("Orthanc"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/sbin/Orthanc", "/usr/bin/Orthanc", "/usr/local/sbin/Orthanc", "/usr/local/bin/Orthanc"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, true
		}
	}
	return "", false
}

// Plugin finds the DICOMweb plugin's shared library.
func Plugin() (string, bool) {
	for _, pattern := range []string{
		"/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
		"/usr/lib/orthanc/libOrthancDicomWeb.so*",
		"/usr/lib/*/orthanc/plugins/libOrthancDicomWeb.so*",
		"/usr/local/share/orthanc/plugins/libOrthancDicomWeb.so*",
	} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0], true
		}
	}
	return "", false
}

// Start starts Orthanc or skips the test when it is not installed (scripts/setup.sh installs
// it; CI runs the setup first). A missing plugin beside an installed Orthanc is a failure.
func Start(t testing.TB) *Orthanc {
	t.Helper()
	bin, ok := Binary()
	if !ok {
		t.Skip("Orthanc is not installed (apt-get install orthanc orthanc-dicomweb; scripts/setup.sh does it)")
	}
	plugin, ok := Plugin()
	if !ok {
		t.Fatal("Orthanc is installed but not its DICOMweb plugin (apt-get install orthanc-dicomweb)")
	}
	var lastErr error
	// A free port is found by listening and closing; another process may take it in between,
	// so a failed start is retried on a new port.
	for attempt := 0; attempt < 3; attempt++ {
		o, err := start(t, bin, plugin)
		if err == nil {
			return o
		}
		lastErr = err
	}
	t.Fatalf("starting Orthanc: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(t testing.TB, bin, plugin string) (*Orthanc, error) {
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{
		"Name":                   "liverseg-test",
		"HttpPort":               port,
		"DicomServerEnabled":     false,
		"StorageDirectory":       filepath.Join(dir, "storage"),
		"IndexDirectory":         filepath.Join(dir, "storage"),
		"Plugins":                []string{plugin},
		"RemoteAccessAllowed":    false,
		"AuthenticationEnabled":  true,
		"RegisteredUsers":        map[string]string{User: Password},
		"HttpCompressionEnabled": false,
		"ConcurrentJobs":         1,
		"DicomWeb":               map[string]any{"Enable": true, "Root": "/dicom-web/"},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	cfgPath := filepath.Join(dir, "orthanc.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "orthanc.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	o := &Orthanc{URL: "http://127.0.0.1:" + strconv.Itoa(port), Dir: dir, cmd: cmd}
	o.DICOMweb = o.URL + "/dicom-web"
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			return nil, fmt.Errorf("Orthanc exited at start (%v):\n%s", err, o.logTail())
		default:
		}
		if o.ping() {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("Orthanc did not answer on port %d in 30 s:\n%s", port, o.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(stop)
	return o, nil
}

func (o *Orthanc) ping() bool {
	req, _ := http.NewRequest(http.MethodGet, o.DICOMweb+"/studies?limit=1", nil)
	req.SetBasicAuth(User, Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent
}

func (o *Orthanc) logTail() string {
	b, _ := os.ReadFile(filepath.Join(o.Dir, "orthanc.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Upload posts each regular file of dir to Orthanc's REST API (POST /instances), as a modality
// or a PACS gateway would, and returns how many it took.
func (o *Orthanc) Upload(t testing.TB, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		o.UploadFile(t, filepath.Join(dir, e.Name()))
		n++
	}
	return n
}

// UploadFile posts one file to POST /instances.
func (o *Orthanc) UploadFile(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := o.request(context.Background(), http.MethodPost, "/instances", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("uploading %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		t.Fatalf("uploading %s: HTTP %s: %s", path, resp.Status, msg)
	}
}

// Get fetches a REST path (with the test user) and returns its body.
func (o *Orthanc) Get(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := o.request(context.Background(), http.MethodGet, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %s %v: %s", path, resp.Status, err, b)
	}
	return b
}

func (o *Orthanc) request(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, o.URL+"/"+strings.TrimPrefix(path, "/"), body)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(User, Password)
	return http.DefaultClient.Do(req)
}

// FileOf returns the stored DICOM file of an instance, found by its SOP Instance UID through
// Orthanc's own REST API (POST /tools/lookup, GET /instances/ID/file), not through DICOMweb:
// a check that does not go through the client under test.
func (o *Orthanc) FileOf(t testing.TB, sopInstanceUID string) []byte {
	t.Helper()
	resp, err := o.request(context.Background(), http.MethodPost, "/tools/lookup", strings.NewReader(sopInstanceUID))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var found []struct {
		ID   string `json:"ID"`
		Type string `json:"Type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&found); err != nil {
		t.Fatalf("/tools/lookup %s: %v", sopInstanceUID, err)
	}
	for _, f := range found {
		if f.Type == "Instance" {
			return o.Get(t, "/instances/"+f.ID+"/file")
		}
	}
	t.Fatalf("Orthanc has no instance %s (lookup: %+v)", sopInstanceUID, found)
	return nil
}
