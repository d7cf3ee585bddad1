package pacs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Query is a QIDO-RS search. Empty fields do not filter.
type Query struct {
	// PatientName matches anywhere in the name, case as the server folds it, unless it holds a
	// DICOM wildcard (* or ?), which is then sent as it is.
	PatientName string
	PatientID   string
	// DateFrom and DateTo bound the study date, inclusive: YYYYMMDD or YYYY-MM-DD; either may be
	// empty for an open range.
	DateFrom, DateTo string
	Modality         string
	StudyUID         string
	SeriesUID        string
	// Limit caps the number of results (0: 1000). A PACS may hold millions of studies.
	Limit int
}

// Study is one QIDO-RS study result.
type Study struct {
	PatientName string   `json:"patient"`
	PatientID   string   `json:"patient_id"`
	StudyUID    string   `json:"study_uid"`
	StudyDate   string   `json:"study_date"`
	StudyTime   string   `json:"study_time"`
	Description string   `json:"description"`
	Accession   string   `json:"accession"`
	Modalities  []string `json:"modalities"`
	Series      int      `json:"series"`
	Instances   int      `json:"instances"`
}

// Series is one QIDO-RS series result.
type Series struct {
	PatientName      string `json:"patient"`
	PatientID        string `json:"patient_id"`
	StudyUID         string `json:"study_uid"`
	StudyDate        string `json:"study_date"`
	StudyDescription string `json:"study_description"`
	SeriesUID        string `json:"series_uid"`
	Description      string `json:"description"`
	Modality         string `json:"modality"`
	Number           int    `json:"number"`
	Instances        int    `json:"instances"` // 0 when the server did not say
}

// DICOM tags of the QIDO answers, as DICOM JSON (PS3.18 F.2) keys them.
const (
	tagStudyDate        = "00080020"
	tagStudyTime        = "00080030"
	tagAccession        = "00080050"
	tagModalitiesStudy  = "00080061"
	tagModality         = "00080060"
	tagStudyDescription = "00081030"
	tagSeriesDesc       = "0008103E"
	tagPatientName      = "00100010"
	tagPatientID        = "00100020"
	tagStudyUID         = "0020000D"
	tagSeriesUID        = "0020000E"
	tagSeriesNumber     = "00200011"
	tagStudySeries      = "00201206"
	tagStudyInstances   = "00201208"
	tagSeriesInstances  = "00201209"
	tagFailedSOPs       = "00081198"
	tagReferencedSOPs   = "00081199"
	tagFailureReason    = "00081197"
	tagSOPInstanceUID   = "00081155"
	tagRetrieveURL      = "00081190"
)

// SearchStudies is QIDO-RS GET {root}/studies.
func (c *Client) SearchStudies(ctx context.Context, q Query) ([]Study, error) {
	v, err := q.values(true)
	if err != nil {
		return nil, c.opError(http.MethodGet, c.endpoint(nil, "studies"), ErrConfig, "%v", err)
	}
	for _, t := range []string{tagStudyDescription, tagModalitiesStudy, tagStudySeries, tagStudyInstances, tagPatientName, tagPatientID, tagStudyDate, tagStudyTime, tagAccession} {
		v.Add("includefield", t)
	}
	items, err := c.qido(ctx, c.endpoint(v, "studies"))
	if err != nil {
		return nil, err
	}
	out := make([]Study, 0, len(items))
	for _, it := range items {
		out = append(out, Study{
			PatientName: it.str(tagPatientName), PatientID: it.str(tagPatientID),
			StudyUID: it.str(tagStudyUID), StudyDate: it.str(tagStudyDate), StudyTime: it.str(tagStudyTime),
			Description: it.str(tagStudyDescription), Accession: it.str(tagAccession),
			Modalities: it.strs(tagModalitiesStudy), Series: it.num(tagStudySeries), Instances: it.num(tagStudyInstances),
		})
	}
	return out, nil
}

// SearchSeries is QIDO-RS GET {root}/series (or {root}/studies/UID/series with StudyUID):
// series with their study's patient, date and description.
func (c *Client) SearchSeries(ctx context.Context, q Query) ([]Series, error) {
	v, err := q.values(false)
	if err != nil {
		return nil, c.opError(http.MethodGet, c.endpoint(nil, "series"), ErrConfig, "%v", err)
	}
	for _, t := range []string{tagSeriesDesc, tagSeriesNumber, tagSeriesInstances, tagModality, tagStudyDescription, tagPatientName, tagPatientID, tagStudyDate, tagStudyUID} {
		v.Add("includefield", t)
	}
	var u string
	if q.StudyUID != "" {
		v.Del(tagStudyUID)
		u = c.endpoint(v, "studies", q.StudyUID, "series")
	} else {
		u = c.endpoint(v, "series")
	}
	items, err := c.qido(ctx, u)
	if err != nil {
		return nil, err
	}
	out := make([]Series, 0, len(items))
	for _, it := range items {
		out = append(out, Series{
			PatientName: it.str(tagPatientName), PatientID: it.str(tagPatientID),
			StudyUID: it.str(tagStudyUID), StudyDate: it.str(tagStudyDate), StudyDescription: it.str(tagStudyDescription),
			SeriesUID: it.str(tagSeriesUID), Description: it.str(tagSeriesDesc), Modality: it.str(tagModality),
			Number: it.num(tagSeriesNumber), Instances: it.num(tagSeriesInstances),
		})
	}
	if q.StudyUID != "" {
		// A study-level series search need not repeat the study's UID in each answer.
		for i := range out {
			if out[i].StudyUID == "" {
				out[i].StudyUID = q.StudyUID
			}
		}
	}
	return out, nil
}

// FindSeries looks one series up by its SeriesInstanceUID: its study and instance count, which
// a retrieve needs.
func (c *Client) FindSeries(ctx context.Context, seriesUID string) (Series, error) {
	if err := CheckUID(seriesUID); err != nil {
		return Series{}, c.opError(http.MethodGet, c.endpoint(nil, "series"), ErrConfig, "%v", err)
	}
	ss, err := c.SearchSeries(ctx, Query{SeriesUID: seriesUID, Limit: 2})
	if err != nil {
		return Series{}, err
	}
	for _, s := range ss {
		if s.SeriesUID == seriesUID {
			return s, nil
		}
	}
	return Series{}, c.opError(http.MethodGet, c.endpoint(nil, "series"), ErrNotFound, "no series %s", seriesUID)
}

var uidPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)

// CheckUID says whether s is a DICOM UID (digits and dots, at most 64 characters): a UID
// becomes a folder name and a URL segment, so nothing else may pass.
func CheckUID(s string) error {
	if len(s) == 0 || len(s) > 64 || !uidPattern.MatchString(s) {
		return fmt.Errorf("%q is not a DICOM UID (digits and dots, at most 64 characters)", s)
	}
	return nil
}

var datePattern = regexp.MustCompile(`^[0-9]{8}$`)

// NormalizeDate turns YYYY-MM-DD or YYYYMMDD into DICOM's YYYYMMDD; "" stays "".
func NormalizeDate(s string) (string, error) {
	d := strings.ReplaceAll(strings.TrimSpace(s), "-", "")
	if d == "" {
		return "", nil
	}
	if !datePattern.MatchString(d) {
		return "", fmt.Errorf("date %q: want YYYY-MM-DD or YYYYMMDD", s)
	}
	m, _ := strconv.Atoi(d[4:6])
	day, _ := strconv.Atoi(d[6:8])
	if m < 1 || m > 12 || day < 1 || day > 31 {
		return "", fmt.Errorf("date %q: no such month or day", s)
	}
	return d, nil
}

// values turns q into QIDO query parameters, by tag so that any server reads them.
func (q Query) values(studyLevel bool) (url.Values, error) {
	v := url.Values{}
	if n := strings.TrimSpace(q.PatientName); n != "" {
		if !strings.ContainsAny(n, "*?") {
			n = "*" + n + "*"
		}
		v.Set(tagPatientName, n)
	}
	if id := strings.TrimSpace(q.PatientID); id != "" {
		v.Set(tagPatientID, id)
	}
	from, err := NormalizeDate(q.DateFrom)
	if err != nil {
		return nil, err
	}
	to, err := NormalizeDate(q.DateTo)
	if err != nil {
		return nil, err
	}
	switch {
	case from != "" && to != "" && from > to:
		return nil, fmt.Errorf("date range %s to %s: the start is after the end", q.DateFrom, q.DateTo)
	case from != "" && from == to:
		v.Set(tagStudyDate, from)
	case from != "" || to != "":
		v.Set(tagStudyDate, from+"-"+to)
	}
	if m := strings.ToUpper(strings.TrimSpace(q.Modality)); m != "" {
		if studyLevel {
			v.Set(tagModalitiesStudy, m)
		} else {
			v.Set(tagModality, m)
		}
	}
	if q.StudyUID != "" {
		if err := CheckUID(q.StudyUID); err != nil {
			return nil, err
		}
		v.Set(tagStudyUID, q.StudyUID)
	}
	if q.SeriesUID != "" {
		if err := CheckUID(q.SeriesUID); err != nil {
			return nil, err
		}
		v.Set(tagSeriesUID, q.SeriesUID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	v.Set("limit", strconv.Itoa(limit))
	return v, nil
}

// qido runs one QIDO-RS GET and decodes its DICOM JSON array.
func (c *Client) qido(ctx context.Context, u string) ([]dicomJSON, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, c.opError(http.MethodGet, u, ErrConfig, "%v", err)
	}
	req.Header.Set("Accept", "application/dicom+json, application/json")
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/dicom+json" && mt != "application/json" {
			return nil, c.opError(http.MethodGet, u, ErrMalformed, "Content-Type %q, want application/dicom+json", ct)
		}
	}
	items, err := decodeDICOMJSON(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, c.wrapCause(http.MethodGet, u, context.Canceled, ctx.Err())
		}
		return nil, c.wrapCause(http.MethodGet, u, ErrMalformed, err)
	}
	return items, nil
}

// dicomJSON is one object of a DICOM JSON array: tag to attribute.
type dicomJSON map[string]dicomAttr

type dicomAttr struct {
	VR    string            `json:"vr"`
	Value []json.RawMessage `json:"Value"`
}

// decodeDICOMJSON reads a DICOM JSON array of at most maxJSONBytes. An empty body is an empty
// array: some servers answer "no match" that way with 200.
func decodeDICOMJSON(r io.Reader) ([]dicomJSON, error) {
	lr := &io.LimitedReader{R: r, N: maxJSONBytes + 1}
	dec := json.NewDecoder(lr)
	var items []dicomJSON
	if err := dec.Decode(&items); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("the answer is over %d MiB", maxJSONBytes>>20)
		}
		return nil, fmt.Errorf("DICOM JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("DICOM JSON: data after the array")
	}
	for _, it := range items {
		if it == nil {
			return nil, errors.New("DICOM JSON: null where an object was expected")
		}
	}
	return items, nil
}

// str is an attribute's first value as text: strings as they are, numbers in decimal, person
// names by their Alphabetic group.
func (d dicomJSON) str(tag string) string {
	ss := d.strs(tag)
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// strs is every value of an attribute as text; values it cannot read are skipped.
func (d dicomJSON) strs(tag string) []string {
	a, ok := d[tag]
	if !ok {
		return nil
	}
	var out []string
	for _, raw := range a.Value {
		if s, ok := jsonText(raw); ok {
			out = append(out, s)
		}
	}
	return out
}

func jsonText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s), true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	var pn struct {
		Alphabetic string `json:"Alphabetic"`
	}
	if json.Unmarshal(raw, &pn) == nil {
		return strings.TrimSpace(pn.Alphabetic), true
	}
	return "", false
}

// num is an attribute's first value as an integer (IS comes as a number or a string); 0 when
// absent or unreadable.
func (d dicomJSON) num(tag string) int {
	n, err := strconv.Atoi(strings.TrimSpace(d.str(tag)))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func jsonUnmarshal(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }
