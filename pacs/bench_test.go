package pacs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadSeriesParts: parsing a 151-instance multipart body of 525 KB parts (IRCAD 7's
// size) from memory into files: the client's own cost, without the network.
func BenchmarkReadSeriesParts(b *testing.B) {
	parts := make([][]byte, 151)
	for i := range parts {
		parts[i] = fakeInstance(i, 525_000)
	}
	body := multipartBody(parts)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		dir := b.TempDir()
		create := func(i int) (io.WriteCloser, error) { return os.Create(filepath.Join(dir, fmt.Sprintf("%06d.dcm", i))) }
		if _, _, err := readSeriesParts(context.Background(), bytes.NewReader(body), boundary, create, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
