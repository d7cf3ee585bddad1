package pacs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

const (
	testStudy  = "1.2.3.4"
	testSeries = "1.2.3.4.5"
	boundary   = "test-boundary-42"
)

// fakeInstance is a DICOM Part 10 look-alike: the preamble, DICM, then i's bytes. Enough for
// the client, which checks the magic and stores the bytes as they are.
func fakeInstance(i, size int) []byte {
	b := make([]byte, 132+size)
	copy(b[128:], "DICM")
	for j := 132; j < len(b); j++ {
		b[j] = byte(i + j)
	}
	// A CR LF -- inside the data, as pixel data may hold: only the full delimiter ends a part.
	if size > 20 {
		copy(b[140:], "\r\n--test-boundary-4X")
	}
	return b
}

func multipartBody(parts [][]byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("preamble to ignore\r\n")
	for _, p := range parts {
		fmt.Fprintf(&buf, "--%s\r\nContent-Type: application/dicom\r\nContent-Length: %d\r\n\r\n", boundary, len(p))
		buf.Write(p)
		buf.WriteString("\r\n")
	}
	fmt.Fprintf(&buf, "--%s--\r\nepilogue", boundary)
	return buf.Bytes()
}

// fakeServer is a small DICOMweb server: QIDO for one series of n instances, WADO-RS for it in
// the given mode. It counts the WADO requests.
type fakeServer struct {
	*httptest.Server
	mode  string // "ok", "drop", "drop-chunked", "malformed", "not-dicom", "short"
	n     int
	wados atomic.Int32
}

func newFakeServer(t *testing.T, mode string, n int) *fakeServer {
	f := &fakeServer{mode: mode, n: n}
	mux := http.NewServeMux()
	mux.HandleFunc("/dicom-web/series", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/dicom+json")
		fmt.Fprintf(w, `[{"0020000D":{"vr":"UI","Value":["%s"]},"0020000E":{"vr":"UI","Value":["%s"]},
			"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]},"00080060":{"vr":"CS","Value":["CT"]},
			"00201209":{"vr":"IS","Value":[%d]},"00200011":{"vr":"IS","Value":["3"]}}]`, testStudy, testSeries, n)
	})
	mux.HandleFunc("/dicom-web/studies/"+testStudy+"/series/"+testSeries, func(w http.ResponseWriter, r *http.Request) {
		f.wados.Add(1)
		parts := make([][]byte, f.n)
		for i := range parts {
			parts[i] = fakeInstance(i, 100_000)
		}
		body := multipartBody(parts)
		ct := fmt.Sprintf(`multipart/related; type="application/dicom"; boundary=%s`, boundary)
		switch f.mode {
		case "ok":
			w.Header().Set("Content-Type", ct)
			w.Write(body)
		case "short":
			w.Header().Set("Content-Type", ct)
			w.Write(multipartBody(parts[:f.n-1]))
		case "malformed":
			w.Header().Set("Content-Type", ct)
			w.Write(body[:len(body)/2])
			w.Write([]byte("\r\n--" + boundary + "\r\nContent-Type application/dicom\r\n\r\n"))
		case "not-dicom":
			w.Header().Set("Content-Type", ct)
			w.Write(multipartBody([][]byte{parts[0], []byte("<html>oops</html>")}))
		case "no-multipart":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>login</html>"))
		case "drop", "drop-chunked":
			// Half the body, then the connection closes under the client: a server that dies
			// or a proxy that times out mid-series.
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("no hijacker")
				return
			}
			conn, bufrw, err := hj.Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			half := body[:len(body)/2]
			if f.mode == "drop" {
				fmt.Fprintf(bufrw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n", ct)
				bufrw.Write(half)
			} else {
				fmt.Fprintf(bufrw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n", ct)
				fmt.Fprintf(bufrw, "%x\r\n", len(half))
				bufrw.Write(half)
				bufrw.WriteString("\r\n")
			}
			bufrw.Flush()
		}
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) client(t *testing.T) *Client {
	c, err := NewClient(Server{Name: "fake", URL: f.URL + "/dicom-web/"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cacheIsClean: the cache holds no series folder and no partial folder.
func cacheIsClean(t *testing.T, cache string) {
	t.Helper()
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		t.Errorf("cache holds %s after a failed retrieve", e.Name())
	}
}

func TestRetrieveAndCache(t *testing.T) {
	f := newFakeServer(t, "ok", 5)
	c := f.client(t)
	cache := t.TempDir()
	var last Progress
	calls := 0
	r, err := c.Retrieve(t.Context(), cache, SeriesRef{SeriesUID: testSeries}, func(p Progress) { last = p; calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if r.Cached || r.Instances != 5 || r.Dir != filepath.Join(cache, testSeries) || r.StudyUID != testStudy {
		t.Fatalf("%+v", r)
	}
	if last.Instances != 5 || last.Total != 5 || last.Bytes != r.Bytes || r.Bytes != 5*100_132 || calls < 5 {
		t.Errorf("last progress %+v after %d calls, %d bytes", last, calls, r.Bytes)
	}
	for i := 0; i < 5; i++ {
		b, err := os.ReadFile(filepath.Join(r.Dir, fmt.Sprintf("%06d.dcm", i+1)))
		if err != nil || !bytes.Equal(b, fakeInstance(i, 100_000)) {
			t.Fatalf("instance %d: %v, %d bytes", i+1, err, len(b))
		}
	}
	// The second retrieve reads the cache: no WADO request, even with the server gone.
	f.Close()
	r2, err := c.Retrieve(t.Context(), cache, SeriesRef{SeriesUID: testSeries}, nil)
	if err != nil || !r2.Cached || r2.Dir != r.Dir || r2.Instances != 5 {
		t.Fatalf("second retrieve: %+v, %v", r2, err)
	}
	if n := f.wados.Load(); n != 1 {
		t.Errorf("%d WADO requests, want 1", n)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries, want the series folder only", len(entries))
	}

	// A file left short (a power cut before the disk had it all) makes the entry incomplete:
	// the next retrieve fetches the series again, whole.
	if err := os.Truncate(filepath.Join(r.Dir, "000003.dcm"), 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := CachedSeries(cache, testSeries); ok {
		t.Fatal("a series with an empty instance counts as cached")
	}
	f2 := newFakeServer(t, "ok", 5)
	r3, err := f2.client(t).Retrieve(t.Context(), cache, SeriesRef{SeriesUID: testSeries}, nil)
	if err != nil || r3.Cached || f2.wados.Load() != 1 {
		t.Fatalf("retrieve over a damaged entry: %+v, %v, %d WADO requests", r3, err, f2.wados.Load())
	}
	if b, err := os.ReadFile(filepath.Join(r3.Dir, "000003.dcm")); err != nil || !bytes.Equal(b, fakeInstance(2, 100_000)) {
		t.Errorf("instance 3 after the second retrieve: %d bytes, %v", len(b), err)
	}
}

func TestRetrieveFailuresLeaveNothing(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want error
		says string
	}{
		{"drop", ErrIncomplete, "before the series did"},
		{"drop-chunked", ErrIncomplete, "before the series did"},
		{"malformed", ErrMalformed, "bad header line"},
		{"not-dicom", ErrMalformed, "not a DICOM file"},
		{"no-multipart", ErrMalformed, "want multipart/related"},
		{"short", ErrIncomplete, "4 of the 5 instances"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			f := newFakeServer(t, tc.mode, 5)
			cache := t.TempDir()
			_, err := f.client(t).Retrieve(t.Context(), cache, SeriesRef{SeriesUID: testSeries}, nil)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %v, want %v saying %q", err, tc.want, tc.says)
			}
			if !strings.Contains(err.Error(), `pacs server "fake"`) || !strings.Contains(err.Error(), f.URL+"/dicom-web/studies/") {
				t.Errorf("error does not name the server and URL: %v", err)
			}
			t.Logf("%s: %v", tc.mode, err)
			cacheIsClean(t, cache)
		})
	}
}

func TestRetrieveCancel(t *testing.T) {
	// A server that sends one part, then waits: the cancel must end the retrieve.
	sent := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/related; type=\"application/dicom\"; boundary="+boundary)
		body := multipartBody([][]byte{fakeInstance(0, 1000), fakeInstance(1, 1000)})
		w.Write(body[:1500])
		w.(http.Flusher).Flush()
		close(sent)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, _ := NewClient(Server{Name: "slow", URL: srv.URL})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-sent; cancel() }()
	cache := t.TempDir()
	_, err := c.Retrieve(ctx, cache, SeriesRef{StudyUID: testStudy, SeriesUID: testSeries, Instances: 2}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	cacheIsClean(t, cache)
}

func TestUnauthorizedAndUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "right" {
			w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/dicom+json")
		w.Write([]byte("[]"))
	}))
	defer srv.Close()
	c, _ := NewClient(Server{Name: "p", URL: srv.URL, User: "u", Password: "wrong"})
	_, err := c.SearchSeries(t.Context(), Query{})
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong password: %v", err)
	}
	cache := t.TempDir()
	if _, err := c.Retrieve(t.Context(), cache, SeriesRef{SeriesUID: testSeries}, nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("retrieve with a wrong password: %v", err)
	}
	cacheIsClean(t, cache)
	c, _ = NewClient(Server{Name: "p", URL: srv.URL, User: "u", Password: "right"})
	if ss, err := c.SearchSeries(t.Context(), Query{}); err != nil || len(ss) != 0 {
		t.Fatalf("right password: %v, %v", ss, err)
	}

	// A closed port.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c, _ = NewClient(Server{Name: "gone", URL: "http://" + addr + "/dicom-web"})
	_, err = c.SearchStudies(t.Context(), Query{PatientName: "x"})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("closed port: %v", err)
	}
	if _, err := c.Retrieve(t.Context(), cache, SeriesRef{SeriesUID: testSeries}, nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("retrieve from a closed port: %v", err)
	}
	cacheIsClean(t, cache)
}

func TestTLSVerifiedByDefault(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/dicom+json")
		w.Write([]byte("[]"))
	}))
	defer srv.Close()
	c, _ := NewClient(Server{Name: "self-signed", URL: srv.URL})
	if _, err := c.SearchStudies(t.Context(), Query{}); !errors.Is(err, ErrTLS) {
		t.Fatalf("self-signed certificate accepted or wrong error: %v", err)
	}
	c, _ = NewClient(Server{Name: "self-signed", URL: srv.URL, Insecure: true})
	if _, err := c.SearchStudies(t.Context(), Query{}); err != nil {
		t.Fatalf("insecure: %v", err)
	}
}

func TestQueryParameters(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path + "?" + r.URL.RawQuery
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, _ := NewClient(Server{Name: "q", URL: srv.URL + "/dw", Token: "tok", User: "ignored"})
	ss, err := c.SearchStudies(t.Context(), Query{PatientName: "liver", PatientID: "17", DateFrom: "2009-01-01", DateTo: "20091231", Modality: "ct"})
	if err != nil || len(ss) != 0 {
		t.Fatal(ss, err)
	}
	for _, want := range []string{"/dw/studies?", "00100010=*liver*", "00100020=17", "00080020=20090101-20091231", "00080061=CT", "limit=1000"} {
		if !strings.Contains(got, want) {
			t.Errorf("query %s lacks %s", got, want)
		}
	}
	if _, err := c.SearchSeries(t.Context(), Query{DateFrom: "2010-01-01", DateTo: "2009-01-01"}); !errors.Is(err, ErrConfig) {
		t.Errorf("reversed date range: %v", err)
	}
	if _, err := c.SearchSeries(t.Context(), Query{DateFrom: "2010-13-01"}); err == nil {
		t.Error("month 13 accepted")
	}
	if _, err := c.Retrieve(t.Context(), t.TempDir(), SeriesRef{SeriesUID: "../etc"}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("a UID with a path in it: %v", err)
	}
	for _, bad := range []string{"ftp://x", "http://", "http://u:p@host/dw", "host:8042", "http://h/dw?x=1"} {
		if _, err := NewClient(Server{Name: "b", URL: bad}); !errors.Is(err, ErrConfig) {
			t.Errorf("URL %q: %v", bad, err)
		} else if strings.Contains(err.Error(), ":p@") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestQIDODecoding(t *testing.T) {
	items, err := decodeDICOMJSON(strings.NewReader(`[{"00100010":{"vr":"PN","Value":[{"Alphabetic":"A^B"}]},
		"00201209":{"vr":"IS","Value":["12"]},"00201208":{"vr":"IS","Value":[7]},"00080061":{"vr":"CS","Value":["CT","SEG"]},
		"00081030":{"vr":"LO"}}]`))
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	it := items[0]
	if it.str(tagPatientName) != "A^B" || it.num(tagSeriesInstances) != 12 || it.num(tagStudyInstances) != 7 ||
		strings.Join(it.strs(tagModalitiesStudy), ",") != "CT,SEG" || it.str(tagStudyDescription) != "" {
		t.Errorf("%+v", it)
	}
	for _, bad := range []string{`{"a":1}`, `[1]`, `[null]`, `[{}] x`, `[{"00100010":{"vr":5}}]`} {
		if _, err := decodeDICOMJSON(strings.NewReader(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestStoreAnswers(t *testing.T) {
	seg := filepath.Join(t.TempDir(), "seg.dcm")
	os.WriteFile(seg, fakeInstance(1, 500), 0o644)
	var answer string
	var status int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, params, _ := mimeParse(r.Header.Get("Content-Type"))
		mr := newMultipartReader(r.Body, params["boundary"])
		_, part, err := mr.next()
		if err != nil {
			t.Error(err)
		}
		b, _ := io.ReadAll(part)
		if !bytes.Equal(b, fakeInstance(1, 500)) || r.ContentLength <= 632 {
			t.Errorf("server got %d bytes, Content-Length %d", len(b), r.ContentLength)
		}
		if _, _, err := mr.next(); err != io.EOF {
			t.Errorf("after the part: %v", err)
		}
		w.Header().Set("Content-Type", "application/dicom+json")
		w.WriteHeader(status)
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	c, _ := NewClient(Server{Name: "s", URL: srv.URL})
	answer, status = `{"00081199":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2.3"]}}]}}`, 200
	st, err := c.Store(t.Context(), seg)
	if err != nil || st.SOPInstanceUID != "1.2.3" {
		t.Fatalf("%+v %v", st, err)
	}
	answer, status = `{"00081198":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2.3"]},"00081197":{"vr":"US","Value":[43264]}}]}}`, 409
	if _, err := c.Store(t.Context(), seg); !errors.Is(err, ErrServer) {
		t.Fatalf("409: %v", err)
	}
	status = 200
	if _, err := c.Store(t.Context(), seg); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "does not match SOP class") || !strings.Contains(err.Error(), seg) {
		t.Fatalf("failed SOP: %v", err)
	}
	notDICOM := filepath.Join(t.TempDir(), "x.dcm")
	os.WriteFile(notDICOM, []byte("hello"), 0o644)
	if _, err := c.Store(t.Context(), notDICOM); err == nil || !strings.Contains(err.Error(), notDICOM) {
		t.Fatalf("not DICOM: %v", err)
	}
}

func TestMultipartEdgeCases(t *testing.T) {
	read := func(body string) ([]string, error) {
		mr := newMultipartReader(bufio.NewReaderSize(strings.NewReader(body), 16), "b")
		var out []string
		for {
			_, p, err := mr.next()
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, err
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return out, err
			}
			out = append(out, string(b))
		}
	}
	for body, want := range map[string]string{
		"--b\r\n\r\nx\r\n--b--":                              "x",
		"--b  \r\nA: 1\r\n\r\n\r\n--b\r\n\r\ny\r\n--b--\r\n": ",y",
		"pre\r\n--b\nA: 1\n\n--bx\r\n--b--":                  "--bx",
		"--b--":                                              "",
	} {
		got, err := read(body)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("%q: %q, %v; want %q", body, got, err, want)
		}
	}
	for _, body := range []string{"", "--b\r\n\r\nx", "--b\r\n", "--bz\r\n\r\nx\r\n--b--", "--b\r\n" + strings.Repeat("A: 1\r\n", 100) + "\r\n", "--b\r\n A: 1\r\n\r\n", "--b\r\nA: " + strings.Repeat("x", 20000) + "\r\n\r\n", strings.Repeat("x", maxPreamble+10) + "\r\n--b--"} {
		if _, err := read(body); err == nil {
			t.Errorf("%.40q accepted", body)
		} else if !errors.Is(err, errMultipart) {
			t.Errorf("%.40q: %v does not wrap errMultipart", body, err)
		}
	}
}

func mimeParse(ct string) (string, map[string]string, error) {
	b, _, err := boundaryOf(ct)
	return "", map[string]string{"boundary": b}, err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// FuzzMultipart: any body either parses into files or fails with an error; never a panic, never
// more parts than the body could hold, one sink per part.
func FuzzMultipart(f *testing.F) {
	f.Add(multipartBody([][]byte{fakeInstance(0, 30), fakeInstance(1, 0)}), boundary)
	f.Add([]byte("--b\r\nContent-Type: application/dicom\r\n\r\n"+strings.Repeat("\x00", 128)+"DICM\r\n--b--"), "b")
	f.Add([]byte("--b\r\n\r\n\r\n--b--"), "b")
	f.Fuzz(func(t *testing.T, body []byte, b string) {
		if b == "" || len(b) > maxBoundaryBytes || strings.ContainsAny(b, "\r\n") {
			return
		}
		opened := 0
		create := func(int) (io.WriteCloser, error) { opened++; return nopWriteCloser{io.Discard}, nil }
		n, size, err := readSeriesParts(context.Background(), bytes.NewReader(body), b, create, 0, nil)
		if size > int64(len(body)) || n > len(body)/132+1 {
			t.Fatalf("%d parts, %d bytes from a %d-byte body", n, size, len(body))
		}
		if err == nil && opened != n {
			t.Fatalf("%d parts, %d files", n, opened)
		}
	})
}

// FuzzQIDO: any answer either decodes or fails; the accessors never panic.
func FuzzQIDO(f *testing.F) {
	f.Add([]byte(`[{"00100010":{"vr":"PN","Value":[{"Alphabetic":"A^B"}]},"00201209":{"vr":"IS","Value":["12"]}}]`))
	f.Add([]byte(`{"00081199":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2"]}}]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := decodeDICOMJSON(bytes.NewReader(body))
		if err == nil {
			for _, it := range items {
				for tag := range it {
					_ = it.str(tag)
					_ = it.num(tag)
					_ = it.strs(tag)
					_ = it.seq(tag)
				}
			}
		}
		_, _ = decodeStowResponse(bytes.NewReader(body))
		var v any
		_ = json.Unmarshal(body, &v)
	})
}

// TestPartEndsAtItsDelimiter: a part counts as soon as the next delimiter is in, even when the
// server then pauses (a PACS fetching the next instance from slow storage): progress does not
// lag one instance behind, and a cancel during the pause still leaves nothing.
func TestPartEndsAtItsDelimiter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/related; type=\"application/dicom\"; boundary="+boundary)
		fmt.Fprintf(w, "--%s\r\nContent-Type: application/dicom\r\n\r\n", boundary)
		w.Write(fakeInstance(0, 300))
		fmt.Fprintf(w, "\r\n--%s\r\nContent-Type: application/dicom\r\n\r\n", boundary)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, _ := NewClient(Server{Name: "pausing", URL: srv.URL})
	ctx, cancel := context.WithCancel(t.Context())
	var got Progress
	cache := t.TempDir()
	_, err := c.Retrieve(ctx, cache, SeriesRef{StudyUID: testStudy, SeriesUID: testSeries, Instances: 2}, func(p Progress) {
		got = p
		if p.Instances == 1 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || got.Instances != 1 || got.Bytes != 432 {
		t.Fatalf("error %v, progress %+v; want a cancel after the first instance", err, got)
	}
	cacheIsClean(t, cache)
}
