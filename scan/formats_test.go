package scan

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/internal/testenv"
)

// manifestRow is one line of formats/MANIFEST.tsv.
type manifestRow struct {
	File, TransferSyntaxUID, Modality, SOPClass, Dims, Decode string
}

func readManifest(t testing.TB) []manifestRow {
	t.Helper()
	f, err := os.Open(testenv.Data(t, "formats", "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 11 {
			continue
		}
		rows = append(rows, manifestRow{File: c[0], TransferSyntaxUID: c[2], Modality: c[4], SOPClass: c[5], Dims: c[6], Decode: c[10]})
	}
	return rows
}

// TestFormatsCorpus opens every conformance file: each gives an image, a label, or an error
// naming the file with a reason; none panics. Native images give the declared size.
func TestFormatsCorpus(t *testing.T) {
	root := testenv.Data(t, "formats")
	for _, row := range readManifest(t) {
		row := row
		t.Run(row.File, func(t *testing.T) {
			p := filepath.Join(root, row.File)
			cat, err := Discover(context.Background(), p)
			if err != nil {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error does not name the file: %v", err)
				}
				t.Logf("error: %v", err)
				return
			}
			for _, s := range cat.Series {
				v, err := s.Load(context.Background(), nil)
				switch {
				case errors.Is(err, ErrCompressed):
					t.Logf("compressed: %v", err)
				case err != nil:
					t.Errorf("load: %v", err)
				default:
					lo, hi := HURange(v)
					t.Logf("%v %s, values %d..%d, warnings %v", v.Dims, TransferSyntaxName(v.Series.TransferSyntax), lo, hi, v.Warnings)
				}
			}
			for _, p := range cat.Problems {
				t.Logf("problem: %v", p)
			}
		})
	}
}
