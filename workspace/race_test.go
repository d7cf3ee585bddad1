//go:build race

package workspace

// raceDetector says the tests run under -race, where gzip runs some twenty times slower: the
// thin-series tests, which start no goroutine of their own, skip then.
const raceDetector = true
