package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/pipeline"
)

// FuzzParse feeds arbitrary definitions through Parse, Validate and the
// graph and resolution methods: they must return errors, never panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.*")
	for _, file := range files {
		if filepath.Ext(file) == ".golden" {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(file), data)
	}
	f.Add("a.yaml", []byte(graphDef))
	f.Add("a.yaml", []byte("a: &x [*x]"))
	f.Add("a.json", []byte(`{"steps": [{"name": "a", "kind": "fail", "message": "${{ params.x }}"}]}`))
	kinds := testKinds(f)
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		p, err := pipeline.Parse(name, data)
		if err != nil {
			var verrs *pipeline.ValidationErrors
			if !errors.As(err, &verrs) || len(verrs.Errs) == 0 {
				t.Fatalf("Parse error %T %v is not a non-empty *ValidationErrors", err, err)
			}
		}
		if p == nil {
			return
		}
		_ = pipeline.Validate(p, kinds)
		_ = pipeline.Validate(p, nil)
		_ = p.LocalPaths(kinds)
		_, _ = p.CoerceParams(map[string]string{"x": "1"})
		sc := testScope()
		for _, st := range p.TopoOrder() {
			_ = p.Dependencies(st)
			_, _, _ = p.Gate(st)
			_, _ = st.ResolveArgs(sc)
			if st.If != nil {
				_, _ = st.If.Eval(sc)
			}
		}
	})
}

// FuzzParseExpr feeds arbitrary expressions to ParseExpr and evaluates the
// ones that parse: errors are *ExprError located inside the source.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"steps.evaluate.properties.evaluation.classification_metrics.roc_auc.value >= params.auc_threshold",
		"params.status in ['Approved', \"Pending\"] and not (params.skip or false)",
		"join('-', execution.id, string(params.rounds), [1, 2.5e3, null])",
		"steps.evaluate.properties.evaluation['curve'][2]['x y'] != -1",
		"params.rounds not in [1, 2] || !true && 1 < 2",
		"'unterminated", "1 < 2 < 3", "steps.a.", "((((", "[1,", "len(x)", "1e", "-", "a = b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := pipeline.ParseExpr(src)
		if err != nil {
			var ee *pipeline.ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("ParseExpr(%q) error %T is not *ExprError", src, err)
			}
			if ee.Offset < 0 || ee.Offset > len(src) {
				t.Fatalf("ParseExpr(%q) error offset %d outside the source", src, ee.Offset)
			}
			return
		}
		_ = e.StepRefs()
		_ = e.ParamRefs()
		if _, err := e.Eval(testScope()); err != nil {
			var ee *pipeline.ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("Eval(%q) error %T is not *ExprError", src, err)
			}
		}
		// A parsed expression parses again from its source.
		if _, err := pipeline.ParseExpr(e.Src); err != nil {
			t.Fatalf("ParseExpr(%q) second time: %v", src, err)
		}
	})
}
