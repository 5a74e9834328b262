package layout

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/ferryml/ferry/"

// imports returns the module-internal packages that the non-test files of
// the package in dir import, relative to the module root.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rel, ok := strings.CutPrefix(p, module); ok && !slices.Contains(out, rel) {
				out = append(out, rel)
			}
		}
	}
	return out
}

// packages lists every package directory of the module, relative to its root.
func packages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "../.." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			rel, _ := filepath.Rel("../..", filepath.Dir(p))
			if !slices.Contains(dirs, rel) {
				dirs = append(dirs, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestDependencyRules(t *testing.T) {
	t.Parallel()
	// The learners may import only each other (and only these).
	learners := map[string][]string{
		"internal/frame":      nil,
		"internal/metric":     nil,
		"internal/tree":       nil,
		"internal/hyperparam": nil,
		"internal/tuning":     nil, // search strategies: pure, like the learners
		"internal/bias":       nil,
		"internal/shap":       nil,
		"internal/feature":    {"internal/frame"},
		"internal/gbdt":       {"internal/tree"},
		"internal/forest":     {"internal/tree", "internal/hyperparam"},
		"internal/linear":     {"internal/hyperparam"},
	}
	all := packages(t)
	if len(all) < 20 {
		t.Fatalf("found %d packages; is the test running from internal/layout?", len(all))
	}
	for _, pkg := range all {
		imps := imports(t, filepath.Join("../..", pkg))
		if allowed, ok := learners[pkg]; ok {
			for _, imp := range imps {
				if !slices.Contains(allowed, imp) {
					t.Errorf("%s imports %s: learners import nothing of the platform", pkg, imp)
				}
			}
		}
		support := strings.HasSuffix(pkg, "test") // artifacttest, steptest: imported by tests only
		for _, imp := range imps {
			if strings.HasSuffix(imp, "test") && !support {
				t.Errorf("%s imports the test-support package %s", pkg, imp)
			}
			if imp == "internal/sqlite" && pkg != "cmd/ferry" && !support {
				t.Errorf("%s imports internal/sqlite: only cmd/ferry wires the database adapter", pkg)
			}
			if strings.HasPrefix(imp, "cmd/") {
				t.Errorf("%s imports %s: nothing imports a command", pkg, imp)
			}
		}
	}
}
