package pacs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"liverseg/scan"
	"mime"
	"net/http"
	"strings"
)

// Stored is what the server said of a stored instance.
type Stored struct {
	File           string `json:"file"`
	SOPInstanceUID string `json:"sop_instance_uid"`
	RetrieveURL    string `json:"retrieve_url"`
	Server         string `json:"server"`
	URL            string `json:"url"`
}

// Store sends one DICOM Part 10 file (a SEG) with STOW-RS, POST {root}/studies. The file
// streams from disk; its length is known, so the request carries a Content-Length (some
// servers refuse chunked uploads).
func (c *Client) Store(ctx context.Context, path string) (Stored, error) {
	u := c.endpoint(nil, "studies")
	f, st, err := scan.OpenRegular(path) // a FIFO would block the open itself
	if err != nil {
		return Stored{}, err
	}
	defer f.Close()
	var head [132]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || string(head[128:]) != "DICM" {
		return Stored{}, fmt.Errorf("%s: not a DICOM Part 10 file (no DICM at byte 128); STOW-RS sends files, not data sets", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Stored{}, fmt.Errorf("%s: %w", path, err)
	}

	var rb [16]byte
	if _, err := rand.Read(rb[:]); err != nil {
		return Stored{}, err
	}
	boundary := "liverseg-" + hex.EncodeToString(rb[:])
	head1 := "--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	body := io.MultiReader(strings.NewReader(head1), f, strings.NewReader(tail))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return Stored{}, c.opError(http.MethodPost, u, ErrConfig, "%v", err)
	}
	req.ContentLength = int64(len(head1)) + st.Size() + int64(len(tail))
	req.Header.Set("Content-Type", mime.FormatMediaType("multipart/related", map[string]string{"type": "application/dicom", "boundary": boundary}))
	req.Header.Set("Accept", "application/dicom+json, application/json")
	resp, err := c.do(req)
	if err != nil {
		return Stored{}, fmt.Errorf("%s: %w", path, err)
	}
	defer resp.Body.Close()
	out := Stored{File: path, Server: c.srv.Name, URL: u}
	res, err := decodeStowResponse(resp.Body)
	if err != nil {
		return out, fmt.Errorf("%s: %w", path, c.wrapCause(http.MethodPost, u, ErrMalformed, err))
	}
	if len(res.failed) > 0 {
		return out, fmt.Errorf("%s: %w", path, c.opError(http.MethodPost, u, ErrRejected, "%s", strings.Join(res.failed, "; ")))
	}
	if len(res.stored) == 0 && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return out, fmt.Errorf("%s: %w", path, c.opError(http.MethodPost, u, ErrRejected, "HTTP %s and no stored instance listed", resp.Status))
	}
	if len(res.stored) > 0 {
		out.SOPInstanceUID, out.RetrieveURL = res.stored[0].uid, res.stored[0].url
	}
	return out, nil
}

type stowResult struct {
	stored []struct{ uid, url string }
	failed []string
}

// decodeStowResponse reads a STOW-RS answer: one DICOM JSON object (some servers wrap it in an
// array) with ReferencedSOPSequence and FailedSOPSequence. An empty body says nothing more.
func decodeStowResponse(r io.Reader) (stowResult, error) {
	var res stowResult
	b, err := io.ReadAll(io.LimitReader(r, maxJSONBytes+1))
	if err != nil {
		return res, err
	}
	if len(b) > maxJSONBytes {
		return res, fmt.Errorf("the answer is over %d MiB", maxJSONBytes>>20)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return res, nil
	}
	if b[0] != '[' {
		b = append(append([]byte{'['}, b...), ']')
	}
	items, err := decodeDICOMJSON(bytes.NewReader(b))
	if err != nil {
		return res, err
	}
	for _, it := range items {
		for _, ref := range it.seq(tagReferencedSOPs) {
			res.stored = append(res.stored, struct{ uid, url string }{ref.str(tagSOPInstanceUID), ref.str(tagRetrieveURL)})
		}
		for _, f := range it.seq(tagFailedSOPs) {
			res.failed = append(res.failed, fmt.Sprintf("instance %s: failure reason %s", orUnknown(f.str(tagSOPInstanceUID)), orUnknown(describeFailure(f.str(tagFailureReason)))))
		}
	}
	return res, nil
}

// seq reads a sequence attribute's items; items it cannot read are skipped.
func (d dicomJSON) seq(tag string) []dicomJSON {
	a, ok := d[tag]
	if !ok {
		return nil
	}
	var out []dicomJSON
	for _, raw := range a.Value {
		var it dicomJSON
		if jsonUnmarshal(raw, &it) == nil && it != nil {
			out = append(out, it)
		}
	}
	return out
}

// describeFailure names the common STOW failure reasons (PS3.18 Table 10.5.3-1, PS3.4).
func describeFailure(code string) string {
	switch code {
	case "":
		return ""
	case "272", "0x0110":
		return code + " (processing failure)"
	case "290", "0x0122":
		return code + " (SOP class not supported)"
	case "42752", "0xA700":
		return code + " (out of resources)"
	case "43264", "0xA900":
		return code + " (data set does not match SOP class)"
	case "49152", "0xC000":
		return code + " (cannot understand)"
	case "49442", "0xC122":
		return code + " (referenced transfer syntax not supported)"
	}
	return code
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
