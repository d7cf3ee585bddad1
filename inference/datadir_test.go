package inference

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDataDir(t *testing.T) {
	cache := t.TempDir()
	env := map[string]string{EnvCache: cache}
	getenv := func(k string) string { return env[k] }

	// Nothing unpacked: no data folder.
	if d, src := dataDir(getenv); d != "" || src != "" {
		t.Errorf("empty cache: %q (%s), want none", d, src)
	}
	// The setup's unpacked data in the cache: found without LIVERSEG_DATA.
	data := filepath.Join(cache, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if d, src := dataDir(getenv); d != data || src != DataFromCache {
		t.Errorf("cache data: %q (%s), want %q (%s)", d, src, data, DataFromCache)
	}
	// LIVERSEG_DATA wins, even when it names a missing folder.
	env[EnvData] = "/no/such/data"
	if d, src := dataDir(getenv); d != "/no/such/data" || src != DataFromEnv {
		t.Errorf("LIVERSEG_DATA: %q (%s)", d, src)
	}
}
