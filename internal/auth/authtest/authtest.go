// Package authtest holds test helpers for secrets: assertions that secret
// values appear nowhere under a directory (a Ferry home: ferry.db and its
// -wal file, logs, work directories) or in a captured output.
package authtest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// AssertAbsentUnder fails t for every regular file under root whose raw
// bytes contain one of the secrets, naming the file and the offset. Empty
// secrets are ignored. It reports how many files it read, so a caller can
// check that the files it means to cover exist.
func AssertAbsentUnder(t testing.TB, root string, secrets ...string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		rel, _ := filepath.Rel(root, path)
		AssertAbsent(t, rel, b, secrets...)
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", root, err)
	}
	return n
}

// AssertAbsent fails t when data (named name in the message) contains one
// of the secrets.
func AssertAbsent(t testing.TB, name string, data []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if i := bytes.Index(data, []byte(s)); i >= 0 {
			lo, hi := max(0, i-40), min(len(data), i+len(s)+40)
			t.Errorf("%s holds a secret at byte %d: ...%q...", name, i, data[lo:hi])
		}
	}
}
