package pacs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"liverseg/scan"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The cache: CACHE/SERIES_UID/ holds one retrieved series, its instances as 000001.dcm... and
// manifestName. A retrieve writes into CACHE/.partial-SERIES_UID-RANDOM/ and renames it into
// place only when the whole series has arrived, so that CACHE/SERIES_UID/ is either complete or
// absent, whatever fails or is cancelled. Dot names: scan.Discover skips them, so a cache folder
// reads like any folder of DICOM files.
const (
	manifestName  = ".liverseg-pacs.json"
	partialPrefix = ".partial-"
	// A partial folder older than this is a crashed process's leftover, never a live retrieve.
	stalePartial = 6 * time.Hour
)

// Progress is a retrieve's state, reported after each instance and every few MiB.
type Progress struct {
	Instances int   // instances written
	Total     int   // instances expected; 0 when the server did not say
	Bytes     int64 // bytes received
}

// SeriesRef names a series to retrieve. StudyUID and Instances come from a search; where they
// are missing, Retrieve asks the server (QIDO-RS) first.
type SeriesRef struct {
	StudyUID  string
	SeriesUID string
	Instances int
}

// Retrieved is where a series lies in the cache.
type Retrieved struct {
	Dir       string    `json:"dir"`
	Server    string    `json:"server"`
	URL       string    `json:"url"`
	StudyUID  string    `json:"study_uid"`
	SeriesUID string    `json:"series_uid"`
	Instances int       `json:"instances"`
	Bytes     int64     `json:"bytes"`
	Retrieved time.Time `json:"retrieved"`
	Cached    bool      `json:"cached"`  // read from the cache, no network
	Seconds   float64   `json:"seconds"` // this call's time
}

// CachedSeries returns the cache entry of a series, if it is complete in cacheDir: its manifest,
// and every instance the manifest counts with the bytes it counts. The files are not fsynced as
// they arrive (that doubled the time of a retrieve): after a power cut a file may come back empty
// or short, and then the series is fetched again instead of opened damaged.
func CachedSeries(cacheDir, seriesUID string) (Retrieved, bool) {
	if CheckUID(seriesUID) != nil {
		return Retrieved{}, false
	}
	dir := filepath.Join(cacheDir, seriesUID)
	b, err := scan.ReadFileLimit(context.Background(), filepath.Join(dir, manifestName), scan.MaxConfigBytes, "a retrieved series' manifest")
	if err != nil {
		return Retrieved{}, false
	}
	var r Retrieved
	if json.Unmarshal(b, &r) != nil || r.SeriesUID != seriesUID || r.Instances < 1 {
		return Retrieved{}, false
	}
	var size int64
	for i := 1; i <= r.Instances; i++ {
		st, err := os.Stat(filepath.Join(dir, instanceName(i)))
		if err != nil {
			return Retrieved{}, false
		}
		size += st.Size()
	}
	if size != r.Bytes {
		return Retrieved{}, false
	}
	r.Dir, r.Cached = dir, true
	return r, true
}

// Retrieve fetches a whole series (WADO-RS) into cacheDir/SERIES_UID and returns it; a series
// already complete there is returned without touching the network. progress may be nil.
// Cancelling ctx stops the transfer and leaves nothing behind.
func (c *Client) Retrieve(ctx context.Context, cacheDir string, ref SeriesRef, progress func(Progress)) (Retrieved, error) {
	start := time.Now()
	if err := CheckUID(ref.SeriesUID); err != nil {
		return Retrieved{}, fmt.Errorf("pacs server %q: %w: %v", c.srv.Name, ErrConfig, err)
	}
	if cacheDir == "" {
		return Retrieved{}, fmt.Errorf("pacs server %q: %w: no cache folder", c.srv.Name, ErrConfig)
	}
	if r, ok := CachedSeries(cacheDir, ref.SeriesUID); ok {
		r.Seconds = time.Since(start).Seconds()
		return r, nil
	}
	if ref.StudyUID == "" {
		s, err := c.FindSeries(ctx, ref.SeriesUID)
		if err != nil {
			return Retrieved{}, err
		}
		ref.StudyUID, ref.Instances = s.StudyUID, s.Instances
	}
	if err := CheckUID(ref.StudyUID); err != nil {
		return Retrieved{}, fmt.Errorf("pacs server %q: %w: study: %v", c.srv.Name, ErrConfig, err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return Retrieved{}, err
	}
	removeStalePartials(cacheDir)
	tmp, err := os.MkdirTemp(cacheDir, partialPrefix+ref.SeriesUID+"-")
	if err != nil {
		return Retrieved{}, err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()

	u := c.endpoint(nil, "studies", ref.StudyUID, "series", ref.SeriesUID)
	n, size, err := c.fetchSeries(ctx, u, tmp, ref.Instances, progress)
	if err != nil {
		return Retrieved{}, err
	}
	if n == 0 {
		return Retrieved{}, c.opError(http.MethodGet, u, ErrMalformed, "the answer holds no instance")
	}
	if ref.Instances > 0 && n < ref.Instances {
		return Retrieved{}, c.opError(http.MethodGet, u, ErrIncomplete, "%d of the %d instances the server listed", n, ref.Instances)
	}
	r := Retrieved{
		Server: c.srv.Name, URL: u, StudyUID: ref.StudyUID, SeriesUID: ref.SeriesUID,
		Instances: n, Bytes: size, Retrieved: time.Now().UTC().Truncate(time.Second),
	}
	mb, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, manifestName), mb, 0o644); err != nil {
		return Retrieved{}, err
	}
	dir := filepath.Join(cacheDir, ref.SeriesUID)
	if err := os.Rename(tmp, dir); err != nil {
		// Another retrieve of the same series may have finished first: its copy is as good.
		if cached, ok := CachedSeries(cacheDir, ref.SeriesUID); ok {
			cached.Seconds = time.Since(start).Seconds()
			return cached, nil
		}
		// A folder without a manifest is debris (say, from an older liverseg): replace it.
		if _, statErr := os.Stat(dir); statErr == nil {
			if rmErr := os.RemoveAll(dir); rmErr == nil {
				err = os.Rename(tmp, dir)
			}
		}
		if err != nil {
			return Retrieved{}, fmt.Errorf("%s: %w", dir, err)
		}
	}
	committed = true
	r.Dir = dir
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// removeStalePartials deletes partial folders left by a process that was killed mid-retrieve.
func removeStalePartials(cacheDir string) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), partialPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > stalePartial {
			os.RemoveAll(filepath.Join(cacheDir, e.Name()))
		}
	}
}

// fetchSeries streams the multipart answer of a WADO-RS series GET into dir, one file per
// part, and returns the instances and bytes written.
func (c *Client) fetchSeries(ctx context.Context, u, dir string, total int, progress func(Progress)) (int, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, c.opError(http.MethodGet, u, ErrConfig, "%v", err)
	}
	// transfer-syntax=*: the instances as stored, no transcoding on the server; scan decodes the
	// compressed syntaxes it meets.
	req.Header.Set("Accept", `multipart/related; type="application/dicom"; transfer-syntax=*`)
	resp, err := c.do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	boundary, partType, err := boundaryOf(resp.Header.Get("Content-Type"))
	if err != nil {
		return 0, 0, c.wrapCause(http.MethodGet, u, ErrMalformed, err)
	}
	if partType != "" && !strings.EqualFold(partType, "application/dicom") {
		return 0, 0, c.opError(http.MethodGet, u, ErrMalformed, "parts of type %q, want application/dicom", partType)
	}
	create := func(i int) (io.WriteCloser, error) {
		return os.Create(filepath.Join(dir, instanceName(i)))
	}
	n, size, err := readSeriesParts(ctx, resp.Body, boundary, create, total, progress)
	if err != nil {
		var we *writeError
		switch {
		case errors.As(err, &we):
			return n, size, err
		case ctx.Err() != nil:
			return n, size, c.wrapCause(http.MethodGet, u, context.Canceled, ctx.Err())
		case errors.Is(err, errTruncated):
			return n, size, c.opError(http.MethodGet, u, ErrIncomplete, "the connection ended after %d instances (%d bytes), before the series did", n, size)
		case errors.Is(err, errMultipart), errors.Is(err, errNotDICOM):
			return n, size, c.wrapCause(http.MethodGet, u, ErrMalformed, err)
		default:
			return n, size, c.opError(http.MethodGet, u, ErrIncomplete, "the connection broke after %d instances (%d bytes): %v", n, size, err)
		}
	}
	return n, size, nil
}

// instanceName is the file of the i-th instance (from 1) in a series folder of the cache.
func instanceName(i int) string { return fmt.Sprintf("%06d.dcm", i) }

// writeError marks a failure of the local disk, not of the server.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

var errNotDICOM = errors.New("a part is not a DICOM file (no DICM at byte 128)")

// readSeriesParts writes each application/dicom part of a multipart body to create(i), i from
// 1 (a file NNNNNN.dcm of the partial folder). It is the parser the fuzz target drives; it never
// holds more than a buffer of the body.
func readSeriesParts(ctx context.Context, body io.Reader, boundary string, create func(i int) (io.WriteCloser, error), total int, progress func(Progress)) (int, int64, error) {
	mr := newMultipartReader(body, boundary)
	st := Progress{Total: total}
	report := func() {
		if progress != nil {
			progress(st)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return st.Instances, st.Bytes, err
		}
		h, part, err := mr.next()
		if errors.Is(err, io.EOF) {
			return st.Instances, st.Bytes, nil
		}
		if err != nil {
			return st.Instances, st.Bytes, err
		}
		if ct := h.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || mt != "application/dicom" {
				return st.Instances, st.Bytes, fmt.Errorf("%w: part %d has Content-Type %q, want application/dicom", errMultipart, st.Instances+1, ct)
			}
		}
		f, err := create(st.Instances + 1)
		if err != nil {
			return st.Instances, st.Bytes, &writeError{err}
		}
		w := &partWriter{f: f, st: &st, report: report}
		_, err = io.Copy(w, part)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = &writeError{cerr}
		}
		if err == nil && !w.isDICOM() {
			err = fmt.Errorf("part %d: %w", st.Instances+1, errNotDICOM)
		}
		if err != nil {
			return st.Instances, st.Bytes, err
		}
		st.Instances++
		report()
	}
}

// partWriter writes one part to its file, keeps its first 132 bytes to check the DICM magic,
// and reports progress every few MiB within a large instance.
type partWriter struct {
	f       io.Writer
	head    [132]byte
	n       int64
	st      *Progress
	report  func()
	pending int64
}

const progressEvery = 4 << 20

func (w *partWriter) Write(b []byte) (int, error) {
	if w.n < int64(len(w.head)) {
		copy(w.head[w.n:], b)
	}
	n, err := w.f.Write(b)
	w.n += int64(n)
	w.st.Bytes += int64(n)
	w.pending += int64(n)
	if w.pending >= progressEvery {
		w.pending = 0
		w.report()
	}
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

func (w *partWriter) isDICOM() bool {
	return w.n >= int64(len(w.head)) && bytes.Equal(w.head[128:132], []byte("DICM"))
}
