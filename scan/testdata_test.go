package scan

import (
	"testing"

	"liverseg/internal/testenv"
)

// ircad is a folder of 3D-IRCADb patient ("7") under the test data: testenv.IRCAD for the
// tables whose cases name the patient as a string.
func ircad(t testing.TB, patient, sub string) string {
	t.Helper()
	return testenv.Data(t, "ct", "ircad", "3Dircadb1."+patient, sub)
}
