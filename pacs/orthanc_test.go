package pacs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"liverseg/internal/testenv"
	"liverseg/pacs/orthanctest"
)

// TestOrthanc: against a real Orthanc with the DICOMweb plugin: search finds IRCAD 17 by name,
// date range and modality; a retrieve brings back every instance byte for byte; a store of an
// instance is acknowledged; a wrong password is ErrUnauthorized.
func TestOrthanc(t *testing.T) {
	series := testenv.IRCAD(t, 17, "PATIENT_DICOM")
	o := orthanctest.Start(t)
	n := o.Upload(t, series)

	c, err := NewClient(Server{Name: "orthanc", URL: o.DICOMweb, User: orthanctest.User, Password: orthanctest.Password})
	if err != nil {
		t.Fatal(err)
	}
	studies, err := c.SearchStudies(t.Context(), Query{PatientName: "LIVER_17", DateFrom: "2009-05-01", DateTo: "2009-05-31", Modality: "CT"})
	if err != nil || len(studies) != 1 {
		t.Fatalf("studies: %+v, %v", studies, err)
	}
	st := studies[0]
	if st.PatientName != "liver_17^patient" || st.StudyDate != "20090527" || st.Series != 1 || st.Instances != n {
		t.Errorf("study %+v", st)
	}
	if none, err := c.SearchStudies(t.Context(), Query{PatientName: "liver", DateFrom: "2010-01-01"}); err != nil || len(none) != 0 {
		t.Errorf("a date range after the study: %+v, %v", none, err)
	}
	ss, err := c.SearchSeries(t.Context(), Query{PatientName: "liver_17", Modality: "CT"})
	if err != nil || len(ss) != 1 {
		t.Fatalf("series: %+v, %v", ss, err)
	}
	s := ss[0]
	if s.StudyUID != st.StudyUID || s.Instances != n || s.Modality != "CT" || s.PatientName != st.PatientName {
		t.Errorf("series %+v", s)
	}

	cache := t.TempDir()
	var last Progress
	r, err := c.Retrieve(t.Context(), cache, SeriesRef{SeriesUID: s.SeriesUID}, func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if r.Instances != n || last.Instances != n || last.Total != n || r.Cached {
		t.Errorf("retrieved %+v, last progress %+v, want %d instances", r, last, n)
	}
	// Byte for byte: each file we uploaded came back (transfer-syntax=*: no transcoding).
	sums := func(dir string) []string {
		entries, _ := os.ReadDir(dir)
		var out []string
		for _, e := range entries {
			if e.Name()[0] == '.' {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		sort.Strings(out)
		return out
	}
	a, b := sums(series), sums(r.Dir)
	if len(a) != len(b) {
		t.Fatalf("%d files uploaded, %d retrieved", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal([]byte(a[i]), []byte(b[i])) {
			t.Fatalf("retrieved instance %d differs from the uploaded files", i)
		}
	}
	r2, err := c.Retrieve(t.Context(), cache, SeriesRef{SeriesUID: s.SeriesUID}, nil)
	if err != nil || !r2.Cached {
		t.Fatalf("second retrieve: %+v %v", r2, err)
	}

	first := filepath.Join(series, "image_0")
	stored, err := c.Store(t.Context(), first)
	if err != nil || stored.SOPInstanceUID == "" {
		t.Fatalf("store: %+v %v", stored, err)
	}

	bad, _ := NewClient(Server{Name: "orthanc", URL: o.DICOMweb, User: orthanctest.User, Password: "wrong"})
	if _, err := bad.SearchSeries(t.Context(), Query{}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong password: %v", err)
	}
	other := t.TempDir()
	if _, err := bad.Retrieve(t.Context(), other, SeriesRef{SeriesUID: s.SeriesUID}, nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("retrieve with a wrong password: %v", err)
	}
	cacheIsClean(t, other)
	if _, err := bad.Store(t.Context(), first); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("store with a wrong password: %v", err)
	}
}
