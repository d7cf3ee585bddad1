// Package pacs is liverseg's DICOMweb client: QIDO-RS search for studies and series, WADO-RS
// retrieve of a series into a local cache keyed by SeriesInstanceUID, STOW-RS store of a DICOM
// file (a SEG). It uses only the standard library, so that it can be tested without a display or
// a PACS of its own; the tests run it against a real Orthanc.
//
// Memory stays bounded whatever a server sends: multipart bodies stream part by part into files,
// header blocks and JSON answers have caps, and nothing reads a whole body into memory.
package pacs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors for errors.Is. Every error of this package wraps one of them (or context.Canceled),
// beside the cause, and names the server and the URL.
var (
	ErrUnauthorized = errors.New("unauthorized: check the user and password, or the token")
	ErrUnreachable  = errors.New("server unreachable")
	ErrTLS          = errors.New("TLS certificate not trusted")
	ErrNotFound     = errors.New("not found on the server")
	ErrServer       = errors.New("server error")
	ErrMalformed    = errors.New("malformed response")
	ErrIncomplete   = errors.New("incomplete transfer")
	ErrRejected     = errors.New("store rejected")
	ErrConfig       = errors.New("bad server configuration")
)

// Server is a named DICOMweb endpoint: URL is the DICOMweb root (Orthanc: http://host:8042/dicom-web).
// Token (a bearer token) wins over User and Password (basic auth) where both are set.
type Server struct {
	Name     string
	URL      string
	User     string
	Password string
	Token    string
	// Insecure skips TLS certificate verification, for a test PACS with a self-signed
	// certificate; off unless the user asked for it by name.
	Insecure bool
}

// Client talks to one Server. It holds no mutable state of its own and may be shared.
type Client struct {
	srv  Server
	base *url.URL
	http *http.Client
}

// Limits that bound what one answer may cost.
const (
	maxJSONBytes   = 16 << 20 // a QIDO or STOW answer: 1000 results take about 2 MB
	maxErrorBody   = 512      // what an error message quotes of a server's body
	defaultTimeout = 30 * time.Second
)

// NewClient checks s and makes a client for it.
func NewClient(s Server) (*Client, error) {
	base, err := parseBase(s.URL)
	if err != nil {
		return nil, fmt.Errorf("pacs server %q: %w: %v", s.Name, ErrConfig, err)
	}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  5 * time.Minute, // a PACS may fetch a series from tape before answering
		MaxResponseHeaderBytes: 1 << 20,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	if s.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user's explicit choice
	}
	// No overall timeout: a series may take minutes; the caller's context cancels.
	return &Client{srv: s, base: base, http: &http.Client{Transport: tr}}, nil
}

// ParseURL checks a DICOMweb root URL as NewClient does, for configuration commands.
func ParseURL(raw string) error {
	_, err := parseBase(raw)
	return err
}

func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: want http:// or https://", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %q: no host", raw)
	}
	if u.User != nil {
		// Credentials in a URL end up in logs and error messages.
		return nil, fmt.Errorf("URL %q: give the user and password separately, not in the URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("URL %q: the DICOMweb root takes no query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Server is the configuration the client was made with.
func (c *Client) Server() Server { return c.srv }

// endpoint joins path segments (escaped each) and a query to the base URL.
func (c *Client) endpoint(q url.Values, segments ...string) string {
	u := *c.base
	for _, s := range segments {
		u.Path += "/" + s
	}
	u.RawQuery = encodeQuery(q)
	return u.String()
}

// encodeQuery is url.Values.Encode that leaves the characters DICOM matching uses (* ? ^ and
// the other sub-delimiters RFC 3986 allows in a query) as they are: Orthanc's DICOMweb plugin
// does not percent-decode query values, so an escaped wildcard (%2A) would match nothing.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(queryEscape(k))
			b.WriteByte('=')
			b.WriteString(queryEscape(v))
		}
	}
	return b.String()
}

func queryEscape(s string) string {
	const keep = "-._~*?^!$'(),:@/"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// opError is how every error of this package reads: server "NAME": METHOD URL: reason.
func (c *Client) opError(method, u string, sentinel error, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if sentinel == nil {
		return fmt.Errorf("pacs server %q: %s %s: %s", c.srv.Name, method, u, reason)
	}
	if reason == "" {
		return fmt.Errorf("pacs server %q: %s %s: %w", c.srv.Name, method, u, sentinel)
	}
	return fmt.Errorf("pacs server %q: %s %s: %w: %s", c.srv.Name, method, u, sentinel, reason)
}

// wrapCause is opError with an underlying error kept for errors.Is and errors.As.
func (c *Client) wrapCause(method, u string, sentinel, cause error) error {
	return fmt.Errorf("pacs server %q: %s %s: %w: %w", c.srv.Name, method, u, sentinel, cause)
}

// do sends req with the server's credentials and maps transport failures and HTTP statuses to
// the sentinels. On success the caller owns resp.Body.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	switch {
	case c.srv.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.srv.Token)
	case c.srv.User != "" || c.srv.Password != "":
		req.SetBasicAuth(c.srv.User, c.srv.Password)
	}
	req.Header.Set("User-Agent", "liverseg")
	u := req.URL.String()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(req.Context(), req.Method, u, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	snippet := readSnippet(resp.Body)
	status := resp.Status
	if snippet != "" {
		status += ": " + snippet
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, c.opError(req.Method, u, ErrUnauthorized, "HTTP %s", resp.Status)
	case http.StatusNotFound:
		return nil, c.opError(req.Method, u, ErrNotFound, "HTTP %s", status)
	default:
		return nil, c.opError(req.Method, u, ErrServer, "HTTP %s", status)
	}
}

// transportError says why a request got no answer: cancelled, unreachable, an untrusted
// certificate, or the connection breaking.
func (c *Client) transportError(ctx context.Context, method, u string, err error) error {
	if ctx.Err() != nil {
		return c.wrapCause(method, u, context.Canceled, ctx.Err())
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &certErr) {
		return c.wrapCause(method, u, ErrTLS, unwrapURLError(err))
	}
	return c.wrapCause(method, u, ErrUnreachable, unwrapURLError(err))
}

// unwrapURLError drops url.Error's "Get URL:" prefix: opError names the URL already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// readSnippet is the start of an error body, on one line, printable only: servers answer
// errors in HTML, JSON or text, and a message must stay short and safe for a terminal.
func readSnippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	if !utf8.Valid(b) {
		return ""
	}
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
	return strings.Join(strings.Fields(s), " ")
}
