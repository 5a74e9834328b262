package layout

import (
	"go/ast"
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
	// Every learner may import the leaves cell (the one rule for model
	// input cells) and quote (how errors quote a value); the leaves import
	// nothing but each other. The public packages at the module root
	// (the learners and table, the dataset type they share) are the Go
	// library: every one must be listed here, so none reaches the platform.
	leaves := []string{"internal/cell", "internal/quote"}
	learners := map[string][]string{
		"internal/quote":      nil,
		"internal/cell":       {"internal/quote"},
		"internal/frame":      leaves,
		"metric":              leaves,
		"table":               leaves,
		"tree":                leaves,
		"internal/hyperparam": leaves,
		"internal/tuning":     nil, // search strategies: pure, like the learners
		"bias":                leaves,
		"shap":                leaves,
		"internal/feature":    append([]string{"internal/frame"}, leaves...),
		"gbdt":                append([]string{"table", "tree"}, leaves...),
		"forest":              append([]string{"table", "tree", "internal/hyperparam"}, leaves...),
		"linear":              append([]string{"table", "internal/hyperparam"}, leaves...),
	}
	// The SageMaker job machinery's leaves: the /opt/ml sandbox and the
	// image map know nothing of Ferry; the inference workers know only the
	// serving contract they implement.
	for pkg, allowed := range map[string][]string{
		"internal/sagemaker/optml":     nil,
		"internal/sagemaker/imagemap":  nil,
		"internal/sagemaker/inference": {"internal/serving"},
	} {
		learners[pkg] = allowed
	}
	// The webhook sender is a leaf: HTTP, signing and retries, nothing of
	// the platform (internal/monitor decides what is sent).
	learners["internal/webhook"] = nil
	all := packages(t)
	if len(all) < 20 {
		t.Fatalf("found %d packages; is the test running from internal/layout?", len(all))
	}
	for _, pkg := range all {
		imps := imports(t, filepath.Join("../..", pkg))
		// Every package at the module root but examples (embedded files)
		// is public: it needs a rule.
		if _, ok := learners[pkg]; !ok && !strings.Contains(pkg, "/") && pkg != "." && pkg != "examples" {
			t.Errorf("%s is a public package at the module root without an import rule: add it to the learners' rules", pkg)
		}
		if allowed, ok := learners[pkg]; ok {
			for _, imp := range imps {
				if !slices.Contains(allowed, imp) {
					t.Errorf("%s imports %s: learners and leaves import nothing of the platform", pkg, imp)
				}
			}
		}
		// The SageMaker definition front end is pure translation into the
		// pipeline model: no engine, store or I/O package.
		if pkg == "internal/sagemaker/definition" {
			for _, imp := range imps {
				if imp != "internal/pipeline" && imp != "internal/step" {
					t.Errorf("%s imports %s: the definition front end reaches only internal/pipeline and internal/step", pkg, imp)
				}
			}
		}
		support := strings.HasSuffix(pkg, "test") // artifacttest, steptest: imported by tests only
		for _, imp := range imps {
			if strings.HasSuffix(imp, "test") && !support {
				t.Errorf("%s imports the test-support package %s", pkg, imp)
			}
			// Commands wire the database adapter: ferry, and the
			// benchmarks that measure what it wires (bench/...).
			if imp == "internal/sqlite" && pkg != "cmd/ferry" && !strings.HasPrefix(pkg, "bench/") && !support {
				t.Errorf("%s imports internal/sqlite: only cmd/ferry (and the bench commands) wire the database adapter", pkg)
			}
			if imp == "internal/app" && !slices.Contains([]string{"cmd/ferry", "internal/api", "internal/client", "internal/ui", "internal/awsapi"}, pkg) {
				t.Errorf("%s imports internal/app: only the front ends (cmd/ferry, internal/api, internal/client, internal/ui, internal/awsapi) call the application layer", pkg)
			}
			if imp == "internal/ui" && pkg != "cmd/ferry" {
				t.Errorf("%s imports internal/ui: only cmd/ferry mounts the console (internal/api takes it as an http.Handler)", pkg)
			}
			if imp == "internal/api" && pkg != "cmd/ferry" && pkg != "internal/client" {
				t.Errorf("%s imports internal/api: only cmd/ferry serves it and internal/client speaks it", pkg)
			}
			if imp == "internal/client" && pkg != "cmd/ferry" {
				t.Errorf("%s imports internal/client: only the CLI acts through a server", pkg)
			}
			if pkg == "internal/sqlite" && imp == "internal/engine" {
				t.Errorf("internal/sqlite imports internal/engine: the adapter stores run records (run.Store), it needs no engine")
			}
			if strings.HasPrefix(imp, "cmd/") {
				t.Errorf("%s imports %s: nothing imports a command", pkg, imp)
			}
		}
	}
}

// TestStorageRules keeps the storage packages leaves: the artifact
// contract imports nothing of the platform, its backends and the object
// namespace only what they implement or store into, and the S3 protocol
// layer only the namespace it serves.
func TestStorageRules(t *testing.T) {
	t.Parallel()
	allowed := map[string][]string{
		"internal/artifact":    nil,
		"internal/artifact/s3": {"internal/artifact"},
		"internal/objstore":    {"internal/artifact"},
		"internal/s3api":       {"internal/objstore"},
	}
	for pkg, ok := range allowed {
		for _, imp := range imports(t, filepath.Join("../..", pkg)) {
			if !slices.Contains(ok, imp) {
				t.Errorf("%s imports %s; it may import only %v", pkg, imp, ok)
			}
		}
	}
}

// TestCommandHoldsNoSQLOrHandlers: cmd/ferry is flags, wiring and
// printing. It runs no SQL (no database/sql) and serves no HTTP itself (no
// function takes an http.ResponseWriter): the application layer and
// internal/api do.
func TestCommandHoldsNoSQLOrHandlers(t *testing.T) {
	t.Parallel()
	dir := "../../cmd/ferry"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "database/sql" {
				t.Errorf("cmd/ferry/%s imports database/sql: SQL belongs in internal/sqlite", name)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var ft *ast.FuncType
			switch n := n.(type) {
			case *ast.FuncDecl:
				ft = n.Type
			case *ast.FuncLit:
				ft = n.Type
			default:
				return true
			}
			for _, field := range ft.Params.List {
				if sel, ok := field.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "ResponseWriter" {
					t.Errorf("%s: cmd/ferry holds an HTTP handler: handlers belong in internal/api", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}
