package pipeline_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pipeline"
)

// mapScope is a Scope backed by maps.
type mapScope struct {
	params  map[string]any
	exec    map[string]any
	outputs map[string]map[string]string
	props   map[string]map[string]any
}

func (s mapScope) Param(name string) (any, bool) { v, ok := s.params[name]; return v, ok }

func (s mapScope) Execution(name string) (any, bool) { v, ok := s.exec[name]; return v, ok }

func (s mapScope) StepOutput(st, out string) (string, bool) {
	v, ok := s.outputs[st][out]
	return v, ok
}

func (s mapScope) StepProperty(st, prop string) (any, bool) {
	v, ok := s.props[st][prop]
	return v, ok
}

func testScope() mapScope {
	return mapScope{
		params: map[string]any{
			"auc_threshold": 0.7, "rounds": int64(100), "status": "Approved", "skip": true, "zero": int64(0),
		},
		exec: map[string]any{
			pipeline.ExecID: "exec-1", pipeline.ExecStartTime: "2026-11-23T05:00:00Z", pipeline.ExecPipelineName: "fraud",
		},
		outputs: map[string]map[string]string{"train": {"model": "sha256:abc"}},
		props: map[string]map[string]any{
			"evaluate": {"evaluation": map[string]any{
				"classification_metrics": map[string]any{"roc_auc": map[string]any{"value": 0.83}},
				"curve":                  []any{0.1, 0.5, map[string]any{"x y": "odd key"}},
				"count":                  float64(12), // JSON numbers decode as float64
			}},
			"train":     {"best_iteration": int64(42), "name": "job-7"},
			"check-auc": {"outcome": true},
		},
	}
}

func TestEval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want any
	}{
		// Literals.
		{name: "integer", src: "42", want: int64(42)},
		{name: "negative float", src: "-1.5", want: -1.5},
		{name: "exponent", src: "1e3", want: 1000.0},
		{name: "single quoted", src: `'it\'s'`, want: "it's"},
		{name: "double quoted escapes", src: `"a\"b\n"`, want: "a\"b\n"},
		{name: "true", src: "true", want: true},
		{name: "null", src: "null", want: nil},
		{name: "list", src: "[1, 'a', true]", want: []any{int64(1), "a", true}},
		// References.
		{name: "param", src: "params.auc_threshold", want: 0.7},
		{name: "execution id", src: "execution.id", want: "exec-1"},
		{name: "execution start", src: "execution.start_time", want: "2026-11-23T05:00:00Z"},
		{name: "execution pipeline", src: "execution.pipeline_name", want: "fraud"},
		{name: "output", src: "steps.train.outputs.model", want: "sha256:abc"},
		{name: "property", src: "steps.train.properties.best_iteration", want: int64(42)},
		{name: "json path", src: "steps.evaluate.properties.evaluation.classification_metrics.roc_auc.value", want: 0.83},
		{name: "json index", src: "steps.evaluate.properties.evaluation.curve[1]", want: 0.5},
		{name: "json quoted key", src: "steps.evaluate.properties.evaluation['curve'][2]['x y']", want: "odd key"},
		{name: "hyphenated step", src: "steps.check-auc.properties.outcome", want: true},
		// == and !=.
		{name: "== int int", src: "params.rounds == 100", want: true},
		{name: "== int float", src: "params.rounds == 100.0", want: true},
		{name: "== string", src: "params.status == 'Approved'", want: true},
		{name: "== bool", src: "params.skip == false", want: false},
		{name: "== null", src: "null == null", want: true},
		{name: "== null vs value", src: "params.status == null", want: false},
		{name: "== lists", src: "[1, 2] == [1, 2.0]", want: true},
		{name: "!= string", src: "params.status != 'Rejected'", want: true},
		{name: "!= numbers", src: "1 != 1", want: false},
		// Ordering.
		{name: "< int", src: "1 < 2", want: true},
		{name: "< float int", src: "0.5 < 1", want: true},
		{name: "<= equal", src: "params.rounds <= 100", want: true},
		{name: "> json float vs param", src: "steps.evaluate.properties.evaluation.classification_metrics.roc_auc.value > params.auc_threshold", want: true},
		{name: ">= false", src: "params.auc_threshold >= 0.71", want: false},
		{name: "> json number vs int", src: "steps.evaluate.properties.evaluation.count > 11", want: true},
		{name: "< strings", src: "'apple' < 'banana'", want: true},
		{name: ">= strings", src: "'b' >= 'a'", want: true},
		// in.
		{name: "in strings", src: "params.status in ['Approved', 'PendingManualApproval']", want: true},
		{name: "in numbers mixed", src: "params.rounds in [1, 100.0]", want: true},
		{name: "in missing", src: "'x' in ['a', 'b']", want: false},
		{name: "not in", src: "params.status not in ['Rejected']", want: true},
		{name: "in empty", src: "1 in []", want: false},
		// Boolean operators.
		{name: "not", src: "not params.skip", want: false},
		{name: "bang", src: "!false", want: true},
		{name: "not binds looser than ==", src: "not params.status == 'Rejected'", want: true},
		{name: "and", src: "true and false", want: false},
		{name: "&&", src: "true && true", want: true},
		{name: "or", src: "false or true", want: true},
		{name: "||", src: "false || false", want: false},
		{name: "and before or", src: "true or false and false", want: true},
		{name: "parentheses", src: "(true or false) and false", want: false},
		{name: "and short-circuits", src: "false and params.missing > 1", want: false},
		{name: "or short-circuits", src: "true or params.missing > 1", want: true},
		{name: "double not", src: "not not true", want: true},
		// Functions.
		{name: "join", src: "join('-', execution.pipeline_name, params.rounds, 0.5, true)", want: "fraud-100-0.5-true"},
		{name: "join list", src: "join(',', ['a', 'b'], 'c')", want: "a,b,c"},
		{name: "join only separator", src: "join('-')", want: ""},
		{name: "string int", src: "string(params.rounds)", want: "100"},
		{name: "string float", src: "string(params.auc_threshold)", want: "0.7"},
		{name: "string null", src: "string(null)", want: ""},
		{name: "string object", src: "string(steps.evaluate.properties.evaluation.classification_metrics)", want: `{"roc_auc":{"value":0.83}}`},
		{name: "string compare", src: "string(params.rounds) == '100'", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := pipeline.ParseExpr(tt.src)
			if err != nil {
				t.Fatalf("ParseExpr(%q): %v", tt.src, err)
			}
			got, err := e.Eval(testScope())
			if err != nil {
				t.Fatalf("Eval(%q): %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Eval(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string // substring of the error
		col  int
	}{
		{name: "compare string with number", src: "params.status == 1", want: `cannot compare string "Approved" with integer 1`, col: 15},
		{name: "order bool", src: "true < false", want: "cannot order boolean true and boolean false with <", col: 6},
		{name: "order string and number", src: "params.status > params.rounds", want: "cannot order", col: 15},
		{name: "and non-bool", src: "params.rounds and true", want: "and needs booleans, got integer 100 on the left", col: 15},
		{name: "or non-bool right", src: "false or 'x'", want: `or needs booleans, got string "x" on the right`, col: 7},
		{name: "not non-bool", src: "not 1", want: "not needs a boolean, got integer 1", col: 1},
		{name: "in non-list", src: "1 in 'abc'", want: "in needs a list", col: 3},
		{name: "in mismatched", src: "'a' in [1]", want: `cannot compare string "a" with integer 1`, col: 5},
		{name: "missing param", src: "params.missing", want: `no value for parameter "missing"`, col: 1},
		{name: "missing output", src: "steps.train.outputs.metrics", want: `step "train" has no output "metrics"`, col: 1},
		{name: "missing property", src: "steps.train.properties.auc", want: `step "train" has no property "auc"`, col: 1},
		{name: "missing json key", src: "steps.evaluate.properties.evaluation.nope.x", want: `steps.evaluate.properties.evaluation has no field "nope"`, col: 1},
		{name: "index out of range", src: "steps.evaluate.properties.evaluation.curve[9]", want: "has 3 elements, no index 9", col: 1},
		{name: "index into object", src: "steps.evaluate.properties.evaluation[0]", want: "is an object, not a list", col: 1},
		{name: "field of scalar", src: "steps.train.properties.best_iteration.x", want: "is integer 42, not an object", col: 1},
		{name: "join separator", src: "join(1, 'a')", want: "separator must be a string", col: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := pipeline.ParseExpr(tt.src)
			if err != nil {
				t.Fatalf("ParseExpr(%q): %v", tt.src, err)
			}
			_, err = e.Eval(testScope())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Eval(%q) error = %v, want it to contain %q", tt.src, err, tt.want)
			}
			var ee *pipeline.ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("error is %T, want *ExprError", err)
			}
			if ee.Offset+1 != tt.col {
				t.Errorf("error column = %d, want %d", ee.Offset+1, tt.col)
			}
		})
	}
}

func TestParseExprErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string // the full error: "column N: message"
	}{
		{name: "empty", src: "  ", want: "column 1: empty expression"},
		{name: "single =", src: "params.a = 1", want: `column 10: unexpected "="; use == to compare`},
		{name: "dangling operator", src: "1 <", want: "column 4: unexpected end of expression, expected a value"},
		{name: "double and", src: "true and and false", want: `column 10: expected a value, found "and"`},
		{name: "unknown root", src: "parameters.x", want: `column 1: unknown name "parameters": a reference starts with params., execution. or steps.`},
		{name: "unknown function", src: "len('x')", want: `column 1: unknown function "len" (functions: join, string)`},
		{name: "unknown execution variable", src: "execution.arn", want: `column 11: unknown execution variable "arn" (known: id, start_time, current_time, pipeline_name)`},
		{name: "steps without section", src: "steps.a.result", want: `column 9: expected outputs or properties after steps.a, found "result"`},
		{name: "output without name", src: "steps.a.outputs", want: `column 16: expected "." and an output name, found end of expression`},
		{name: "trailing dot", src: "params.", want: `column 8: expected a parameter name after "."`},
		{name: "unterminated string", src: "'abc", want: "column 1: unterminated string"},
		{name: "bad escape", src: `'a\qb'`, want: `column 3: unknown escape \q in string (known: \\ \' \" \n \t)`},
		{name: "unclosed paren", src: "(true", want: `column 6: expected ")", found end of expression`},
		{name: "unclosed list", src: "[1, 2", want: `column 6: expected "," or "]" in list, found end of expression`},
		{name: "chained comparison", src: "1 < 2 < 3", want: "column 7: comparisons cannot be chained; combine them with and"},
		{name: "trailing tokens", src: "true false", want: `column 6: unexpected "false" after the expression`},
		{name: "string arity", src: "string(1, 2)", want: "column 1: string takes 1 argument, got 2"},
		{name: "join arity", src: "join()", want: "column 1: join takes a separator and values: join(sep, a, b, ...)"},
		{name: "bad character", src: "1 # 2", want: `column 3: unexpected character '#'`},
		{name: "malformed number", src: "12abc", want: `column 1: malformed number "12a"`},
		{name: "huge integer", src: "99999999999999999999", want: "column 1: integer 99999999999999999999 out of range"},
		{name: "negative index", src: "steps.a.properties.p[-1]", want: "column 22: list index must be a non-negative integer, found -1"},
		{name: "bad index", src: "steps.a.properties.p[true]", want: `column 22: expected an index or a 'key' inside [ ], found "true"`},
		{name: "deep nesting", src: strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200), want: "expression nested more than 100 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := pipeline.ParseExpr(tt.src)
			if err == nil {
				t.Fatalf("ParseExpr(%q) = nil error, want %q", tt.src, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseExpr(%q) error = %q, want %q", tt.src, err.Error(), tt.want)
			}
		})
	}
}

func TestStepRefs(t *testing.T) {
	t.Parallel()
	e, err := pipeline.ParseExpr("steps.b.outputs.x == join('', steps.a.properties.p[0], params.q) or steps.b.properties.y in [steps.c.outputs.z]")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, e.StepRefs()); diff != "" {
		t.Errorf("StepRefs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"q"}, e.ParamRefs()); diff != "" {
		t.Errorf("ParamRefs (-want +got):\n%s", diff)
	}
}

func TestResolveArgs(t *testing.T) {
	t.Parallel()
	def := `version: 1
name: resolve
parameters:
  rounds: {type: integer, default: 100}
  eta: {type: float, default: 0.3}
steps:
  - name: train
    kind: training
    algorithm: xgboost
    inputs: {train: data/train.csv}
  - name: s
    kind: command
    command: [echo, "${{ params.rounds }}", "rounds=${{ params.rounds }}, eta=${{ params.eta }}", "cost $${{ not a template }}"]
    env: {MODEL: "${{ steps.train.outputs.model }}", RUN: "${{ execution.id }}-${{ execution.pipeline_name }}"}
    inputs: {model: "${{ steps.train.outputs.model }}"}
    outputs: [out]
`
	// Parse only: Validate would (rightly) reject the integer in command.
	p, err := pipeline.Parse("resolve.yaml", []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	sc := testScope()
	sc.params = map[string]any{"rounds": int64(100), "eta": 0.3}
	got, err := p.Step("s").ResolveArgs(sc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"command": []any{"echo", int64(100), "rounds=100, eta=0.3", "cost ${{ not a template }}"},
		"env":     map[string]any{"MODEL": "sha256:abc", "RUN": "exec-1-fraud"},
		"inputs":  map[string]any{"model": "sha256:abc"},
		"outputs": []any{"out"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ResolveArgs (-want +got):\n%s", diff)
	}
	// The definition's Args are untouched.
	if s := p.Step("s").Args["env"].(map[string]any)["MODEL"]; s != "${{ steps.train.outputs.model }}" {
		t.Errorf("Args changed to %v", s)
	}

	sc.outputs = nil
	_, err = p.Step("s").ResolveArgs(sc)
	wantErr := `step "s": argument "env.MODEL": column 2: step "train" has no output "model"`
	if err == nil || err.Error() != wantErr {
		t.Errorf("ResolveArgs without outputs: error = %v, want %q", err, wantErr)
	}
}

func TestEvalNamedListElement(t *testing.T) {
	t.Parallel()
	s := mapScope{props: map[string]map[string]any{"p": {"ProcessingOutputConfig": map[string]any{"Outputs": []any{
		map[string]any{"OutputName": "train", "S3Output": map[string]any{"S3Uri": "s3://b/train"}},
		map[string]any{"OutputName": "test", "S3Output": map[string]any{"S3Uri": "s3://b/test"}},
	}}}}}
	for _, tc := range []struct{ src, want string }{
		{"steps.p.properties.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri", "s3://b/test"},
		{"steps.p.properties.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri", "s3://b/train"},
	} {
		e, err := pipeline.ParseExpr(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(s)
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	e, err := pipeline.ParseExpr("steps.p.properties.ProcessingOutputConfig.Outputs['nope']")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Eval(s); err == nil || !strings.Contains(err.Error(), `no element named "nope"`) {
		t.Errorf("missing name: got %v", err)
	}
}
