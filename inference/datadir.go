package inference

import (
	"os"
	"path/filepath"
)

// EnvData names the test data folder (../shared/data/unpack.sh's DEST), which holds the sample.
const EnvData = "LIVERSEG_DATA"

// DataSource says where DataDir found the data folder.
const (
	DataFromEnv   = EnvData // $LIVERSEG_DATA
	DataFromCache = "cache" // the folder scripts/setup.sh unpacks into: CacheDir()/data
)

// DataDir is the test data folder and where it was found: $LIVERSEG_DATA when set (even if it is
// not there: what the user named is never silently replaced), else the cache's data/ that
// scripts/setup.sh unpacks when it is a folder, else "" (nothing unpacked on this machine). The
// fallback is what lets `make run` on a fresh machine offer the sample without an export.
func DataDir() (dir, source string) { return dataDir(os.Getenv) }

func dataDir(getenv func(string) string) (dir, source string) {
	if d := getenv(EnvData); d != "" {
		return d, DataFromEnv
	}
	cache, err := cacheDir(getenv)
	if err != nil {
		return "", ""
	}
	d := filepath.Join(cache, "data")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return "", ""
	}
	return d, DataFromCache
}
