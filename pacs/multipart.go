package pacs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"strings"
)

// A streaming reader of multipart/related bodies (RFC 2046, 2387) of our own rather than
// mime/multipart's, for two reasons: its header caps are fixed (10 MiB, 10,000 headers per part)
// where a DICOMweb part needs a few hundred bytes; and a part's body is handed out straight
// from the read buffer (WriteTo), so that a 500 MB series costs one 64 KiB buffer.

const (
	mpBufferSize     = 64 << 10
	maxPreamble      = 64 << 10 // bytes before the first boundary
	maxPartHeader    = 16 << 10 // bytes of one part's header block
	maxPartHeaders   = 64       // header lines of one part
	maxBoundaryBytes = 70       // RFC 2046: a boundary is 1 to 70 characters
)

// errMultipart is wrapped by every parse failure; the client turns it into ErrMalformed or,
// for a body that ends early, ErrIncomplete.
var (
	errMultipart = errors.New("multipart")
	errTruncated = errors.New("the body ended before its closing boundary")
)

// boundaryOf checks that a Content-Type is multipart/related and returns its boundary and its
// type parameter (the parts' default Content-Type).
func boundaryOf(contentType string) (boundary, partType string, err error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", "", fmt.Errorf("%w: Content-Type %q: %v", errMultipart, contentType, err)
	}
	if mt != "multipart/related" {
		return "", "", fmt.Errorf("%w: Content-Type %q, want multipart/related", errMultipart, contentType)
	}
	b := params["boundary"]
	if b == "" || len(b) > maxBoundaryBytes || strings.ContainsAny(b, "\r\n") {
		return "", "", fmt.Errorf("%w: Content-Type %q: no usable boundary", errMultipart, contentType)
	}
	return b, params["type"], nil
}

type multipartReader struct {
	br       *bufio.Reader
	dash     []byte // "--boundary": the first delimiter line, which may open the body
	delim    []byte // "\r\n--boundary": every later delimiter, CRLF included (RFC 2046)
	started  bool
	finished bool
	part     *partBody
}

func newMultipartReader(r io.Reader, boundary string) *multipartReader {
	return &multipartReader{
		br:    bufio.NewReaderSize(r, mpBufferSize),
		dash:  []byte("--" + boundary),
		delim: []byte("\r\n--" + boundary),
	}
}

// next moves to the next part and returns its header and body; io.EOF after the closing
// boundary. The previous part's unread body is skipped.
func (m *multipartReader) next() (textproto.MIMEHeader, io.Reader, error) {
	if m.finished {
		return nil, nil, io.EOF
	}
	if !m.started {
		if err := m.skipPreamble(); err != nil {
			return nil, nil, err
		}
		m.started = true
	} else {
		if m.part != nil {
			if _, err := io.Copy(io.Discard, m.part); err != nil {
				return nil, nil, err
			}
		}
		// The part's body stopped at "\r\n--boundary"; consume it.
		if _, err := m.br.Discard(len(m.delim)); err != nil {
			return nil, nil, m.eofIsTruncated(err)
		}
	}
	last, err := m.restOfDelimiterLine()
	if err != nil {
		return nil, nil, err
	}
	if last {
		m.finished = true
		return nil, nil, io.EOF
	}
	h, err := m.readHeader()
	if err != nil {
		return nil, nil, err
	}
	m.part = &partBody{m: m}
	return h, m.part, nil
}

// skipPreamble reads lines up to the first "--boundary" line and leaves the reader just after
// the boundary itself.
func (m *multipartReader) skipPreamble() error {
	read := 0
	for {
		peek, err := m.br.Peek(len(m.dash))
		if err == nil && bytes.Equal(peek, m.dash) {
			_, _ = m.br.Discard(len(m.dash))
			return nil
		}
		line, err := m.readLine(maxPreamble - read)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return fmt.Errorf("%w: more than %d bytes before the first boundary", errMultipart, maxPreamble)
			}
			return m.eofIsTruncated(err)
		}
		read += len(line)
	}
}

// restOfDelimiterLine reads what follows a boundary: "--" for the closing one, else optional
// transport padding (spaces, tabs) and CRLF.
func (m *multipartReader) restOfDelimiterLine() (last bool, err error) {
	peek, err := m.br.Peek(2)
	if err == nil && string(peek) == "--" {
		// The epilogue, if any, is ignored: it is not read, so it costs nothing.
		return true, nil
	}
	line, err := m.readLine(256)
	if err != nil {
		if errors.Is(err, errLineTooLong) {
			return false, fmt.Errorf("%w: garbage after a boundary", errMultipart)
		}
		return false, m.eofIsTruncated(err)
	}
	if strings.Trim(string(line), " \t\r\n") != "" {
		return false, fmt.Errorf("%w: garbage after a boundary: %q", errMultipart, clip(line))
	}
	return false, nil
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line, "\n" included, of at most limit bytes.
func (m *multipartReader) readLine(limit int) ([]byte, error) {
	var out []byte
	for {
		frag, err := m.br.ReadSlice('\n')
		if len(out)+len(frag) > limit {
			return nil, errLineTooLong
		}
		out = append(out, frag...)
		switch {
		case err == nil:
			return out, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, err
		}
	}
}

// readHeader reads a part's header block up to its empty line, within maxPartHeader bytes and
// maxPartHeaders lines. Lines may end in CRLF or LF; folded lines are not DICOMweb's and are
// refused.
func (m *multipartReader) readHeader() (textproto.MIMEHeader, error) {
	h := textproto.MIMEHeader{}
	used := 0
	for n := 0; ; n++ {
		if n > maxPartHeaders {
			return nil, fmt.Errorf("%w: more than %d header lines in a part", errMultipart, maxPartHeaders)
		}
		line, err := m.readLine(maxPartHeader - used)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return nil, fmt.Errorf("%w: a part's header is over %d bytes", errMultipart, maxPartHeader)
			}
			return nil, m.eofIsTruncated(err)
		}
		used += len(line)
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			return h, nil
		}
		if s[0] == ' ' || s[0] == '\t' {
			return nil, fmt.Errorf("%w: folded header line %q", errMultipart, clip(line))
		}
		k, v, ok := strings.Cut(s, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%w: bad header line %q", errMultipart, clip(line))
		}
		h.Add(k, strings.TrimSpace(v))
	}
}

func (m *multipartReader) eofIsTruncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", errMultipart, errTruncated)
	}
	return err
}

// clip quotes at most 60 bytes of b in messages.
func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

// partBody reads one part's body up to (not including) the next "\r\n--boundary".
type partBody struct {
	m    *multipartReader
	done bool
}

// chunk returns how many buffered bytes are certainly body: all of them up to a delimiter, else,
// once the buffer is full or the body has ended, all but the last len(delim)-1, which could be a
// delimiter's start. 0 with done set at the delimiter. It reads one network read at a time and
// searches only the new bytes: a part ends (and progress moves) as soon as its delimiter is in,
// even if the server then pauses, and the file still gets whole buffers to write.
func (p *partBody) chunk() (int, error) {
	m := p.m
	keep := len(m.delim) - 1
	from := 0 // buf[:from] holds no delimiter start
	var readErr error
	for {
		buf, _ := m.br.Peek(m.br.Buffered())
		if i := bytes.Index(buf[from:], m.delim); i >= 0 {
			if from+i == 0 {
				p.done = true
			}
			return from + i, nil
		}
		if len(buf) >= mpBufferSize || readErr != nil {
			if safe := len(buf) - keep; safe > 0 {
				return safe, nil
			}
			if readErr != nil {
				return 0, m.eofIsTruncated(readErr)
			}
		}
		if f := len(buf) - keep; f > from {
			from = f
		}
		_, readErr = m.br.Peek(len(buf) + 1)
	}
}

func (p *partBody) Read(b []byte) (int, error) {
	if p.done {
		return 0, io.EOF
	}
	n, err := p.chunk()
	if err != nil {
		return 0, err
	}
	if p.done {
		return 0, io.EOF
	}
	if n > len(b) {
		n = len(b)
	}
	return p.m.br.Read(b[:n])
}

// WriteTo hands the buffer's bytes to w without a copy in between; io.Copy uses it.
func (p *partBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for !p.done {
		n, err := p.chunk()
		if err != nil {
			return total, err
		}
		if n == 0 {
			break
		}
		buf, _ := p.m.br.Peek(n)
		wn, err := w.Write(buf)
		total += int64(wn)
		_, _ = p.m.br.Discard(wn)
		if err != nil {
			return total, err
		}
		if wn < n {
			return total, io.ErrShortWrite
		}
	}
	return total, nil
}
