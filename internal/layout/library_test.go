package layout

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLibraryDocumented: every public package at the module root (the Go
// library, docs/library.md) has its package comment in doc.go and at
// least one runnable Example with checked output.
func TestLibraryDocumented(t *testing.T) {
	t.Parallel()
	example := regexp.MustCompile(`(?m)^func Example\w*\(\) \{`)
	for _, pkg := range packages(t) {
		if strings.Contains(pkg, "/") || pkg == "." || pkg == "examples" {
			continue
		}
		dir := filepath.Join("../..", pkg)
		doc, err := os.ReadFile(filepath.Join(dir, "doc.go"))
		if err != nil {
			t.Errorf("%s: no doc.go with the package comment: %v", pkg, err)
		} else if !strings.Contains(string(doc), "// Package "+pkg+" ") {
			t.Errorf("%s/doc.go has no comment starting \"Package %s\"", pkg, pkg)
		}
		tests, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range tests {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if example.Match(b) && strings.Contains(string(b), "// Output:") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s has no runnable Example with // Output:", pkg)
		}
	}
}
