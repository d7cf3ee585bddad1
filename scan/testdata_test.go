package scan

import (
	"os"
	"path/filepath"
	"testing"
)

// dataPath returns a path under $LIVERSEG_DATA, skipping the test when the data is not there.
func dataPath(t testing.TB, rel ...string) string {
	t.Helper()
	root := os.Getenv("LIVERSEG_DATA")
	if root == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("LIVERSEG_DATA is not set, and CI needs the data tests to run")
		}
		t.Skip("LIVERSEG_DATA is not set (run ../shared/data/unpack.sh and point it there)")
	}
	p := filepath.Join(append([]string{root}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test data missing: %v", err)
	}
	return p
}

func ircad(t testing.TB, patient, sub string) string {
	return dataPath(t, "ct", "ircad", "3Dircadb1."+patient, sub)
}
