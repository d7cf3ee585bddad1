//go:build !race

package workspace

// raceDetector: see race_test.go.
const raceDetector = false
