// Package dicomwebtest is a small DICOMweb server for the tests of the GUI's PACS dialogs: one CT
// series (QIDO-RS and WADO-RS), STOW-RS that acknowledges, and basic auth. For tests only;
// nothing outside a _test.go file imports it.
package dicomwebtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The series the server holds, and the credentials it takes.
const (
	Study    = "1.2.3.4"
	Series   = "1.2.3.4.5"
	Parts    = 4 // instances of the series
	StoredAs = "1.2.3.4.9"
	User     = "ann"
	Password = "pw"
	Path     = "/dw" // the DICOMweb root under the server's URL
)

// Instance is the series' instance i: a DICOM preamble and prefix, then bytes that tell it apart.
func Instance(i int) []byte {
	b := make([]byte, 132+2000)
	copy(b[128:], "DICM")
	b[200] = byte(i)
	return b
}

// Server is a running test server.
type Server struct {
	*httptest.Server
	// Stalled, where the server stalls, receives nil once a WADO answer has stopped sending
	// (the first instance is in) and then its request's context error once the client has gone
	// (what does not fit in its buffer is dropped).
	Stalled chan error
}

// New starts a server that the test's end stops. With stall set, the WADO answer sends one
// part and the next one's header, then waits for the client to go, or for the test's end (a
// client that never goes fails the test instead of hanging it).
func New(t testing.TB, stall bool) *Server {
	s := &Server{Stalled: make(chan error, 8)}
	ending := make(chan struct{})
	tell := func(err error) {
		select {
		case s.Stalled <- err:
		default:
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc(Path+"/series", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/dicom+json")
		fmt.Fprintf(w, `[{"0020000D":{"vr":"UI","Value":["%s"]},"0020000E":{"vr":"UI","Value":["%s"]},
			"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]},"00100020":{"vr":"LO","Value":["P17"]},
			"00080020":{"vr":"DA","Value":["20090527"]},"00080060":{"vr":"CS","Value":["CT"]},
			"0008103E":{"vr":"LO","Value":["abdomen"]},"00201209":{"vr":"IS","Value":[%d]}}]`, Study, Series, Parts)
	})
	mux.HandleFunc(Path+"/studies/"+Study+"/series/"+Series, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", `multipart/related; type="application/dicom"; boundary=xyz`)
		for i := 0; i < Parts; i++ {
			fmt.Fprintf(w, "--xyz\r\nContent-Type: application/dicom\r\n\r\n")
			if stall && i == 1 {
				// The first part is complete (its delimiter is in); the second never comes.
				w.(http.Flusher).Flush()
				tell(nil)
				select {
				case <-r.Context().Done():
				case <-ending:
				}
				tell(r.Context().Err())
				return
			}
			w.Write(Instance(i))
			w.Write([]byte("\r\n"))
		}
		fmt.Fprint(w, "--xyz--\r\n")
	})
	mux.HandleFunc(Path+"/studies", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/dicom+json")
		fmt.Fprintf(w, `{"00081199":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["%s"]}}]}}`, StoredAs)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != User || p != Password {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(ending)
		s.Close()
	})
	return s
}

// WaitStalled waits until a WADO answer has stalled (its first instance is in), failing the test
// after 20 s.
func (s *Server) WaitStalled(t testing.TB) {
	t.Helper()
	select {
	case err := <-s.Stalled:
		if err != nil {
			t.Fatalf("the retrieval ended before it stalled: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no retrieval in 20 s")
	}
}

// WaitCancelled waits until the client of the stalled answer has gone, which must be because it
// cancelled the request; it fails the test after 20 s.
func (s *Server) WaitCancelled(t testing.TB) {
	t.Helper()
	select {
	case err := <-s.Stalled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the request ended with %v, want it cancelled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the request is still open after 20 s")
	}
}
