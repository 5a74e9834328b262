package layout

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTemporalServerOnlyInTests: the Temporal server is a large
// dependency that the ferry binary must not link. Only test files (behind
// the temporal build tag) import go.temporal.io/server; production code
// uses the SDK alone, and only internal/temporal and cmd/ferry use it.
func TestTemporalServerOnlyInTests(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	err := filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "../.." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", filepath.Dir(p))
		rel = filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case strings.HasPrefix(path, "go.temporal.io/server"):
				t.Errorf("%s imports %s: only tests may import the Temporal server", p, path)
			case strings.HasPrefix(path, "go.temporal.io/") && rel != "internal/temporal" && rel != "cmd/ferry":
				t.Errorf("%s imports %s: only internal/temporal and cmd/ferry use Temporal", p, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
