package command

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadProperties: any file content gives properties or an error,
// never a panic.
func FuzzReadProperties(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, ``, `null`, `[1]`, `{"a": {"b": [1, "x", null]}}`, `{`, "\xff"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "p.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		props, err := readProperties(path)
		if err == nil && props == nil && len(bytes.TrimSpace(data)) > 0 {
			t.Fatalf("%q: no properties and no error", data)
		}
	})
}

// FuzzExpand: expansion only replaces known ${FERRY_...} names.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"${FERRY_X}/a", "$FERRY_X", "${FERRY_}", "${HOME}", "${FERRY_X", "${FERRY_X}${FERRY_Y}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := expand(s, map[string]string{}); got != s {
			t.Fatalf("expand(%q) with no variables = %q", s, got)
		}
		expand(s, map[string]string{"FERRY_X": "v"})
	})
}
