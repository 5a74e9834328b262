package pipeline_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pipeline"
)

const graphDef = `version: 1
name: graph
steps:
  - {name: z-last-defined-first-run, kind: command, command: [echo], outputs: [out]}
  - {name: b, kind: command, command: [echo, "${{ steps.a.outputs.out }}"]}
  - {name: a, kind: command, command: [echo, "${{ steps.z-last-defined-first-run.outputs.out }}"], outputs: [out]}
  - name: gate
    kind: condition
    if: "steps.a.properties.ok == true"
    then: [c]
    else: [d]
  - {name: c, kind: command, command: [echo]}
  - {name: d, kind: command, command: [echo], depends_on: [b]}
  - {name: e, kind: command, command: [echo, "${{ steps.c.properties.x }}"]}
`

func TestGraph(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Load("graph.yaml", []byte(graphDef), testKinds(t))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, st := range p.TopoOrder() {
		order = append(order, st.Name)
	}
	wantOrder := []string{"z-last-defined-first-run", "a", "b", "gate", "c", "d", "e"}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Errorf("TopoOrder (-want +got):\n%s", diff)
	}
	tests := []struct {
		step         string
		deps         []string
		cond, branch string
	}{
		{step: "z-last-defined-first-run"},
		{step: "b", deps: []string{"a"}},
		{step: "a", deps: []string{"z-last-defined-first-run"}},
		{step: "gate", deps: []string{"a"}},
		{step: "c", deps: []string{"gate"}, cond: "gate", branch: pipeline.BranchThen},
		{step: "d", deps: []string{"b", "gate"}, cond: "gate", branch: pipeline.BranchElse},
		{step: "e", deps: []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			t.Parallel()
			st := p.Step(tt.step)
			if st == nil {
				t.Fatalf("Step(%q) = nil", tt.step)
			}
			if diff := cmp.Diff(tt.deps, p.Dependencies(st)); diff != "" {
				t.Errorf("Dependencies (-want +got):\n%s", diff)
			}
			cond, branch, ok := p.Gate(st)
			if ok != (tt.cond != "") || cond != tt.cond || branch != tt.branch {
				t.Errorf("Gate = %q, %q, %v; want %q, %q", cond, branch, ok, tt.cond, tt.branch)
			}
		})
	}
	if p.Step("nope") != nil {
		t.Error("Step(nope) != nil")
	}
}

// TestHandBuiltPipeline checks that the graph methods work on a Pipeline
// built in code, without Parse's indexes.
func TestHandBuiltPipeline(t *testing.T) {
	t.Parallel()
	cond, err := pipeline.ParseExpr("steps.a.properties.n > 1")
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{Name: "hand", Steps: []*pipeline.Step{
		{Name: "c", Kind: "command", Args: map[string]any{"command": []any{"${{ steps.b.outputs.o }}"}}},
		{Name: "b", Kind: "command", DependsOn: []string{"a"}},
		{Name: "a", Kind: "command"},
		{Name: "g", Kind: pipeline.KindCondition, If: cond, Then: []string{"c"}},
	}}
	var order []string
	for _, st := range p.TopoOrder() {
		order = append(order, st.Name)
	}
	if diff := cmp.Diff([]string{"a", "b", "g", "c"}, order); diff != "" {
		t.Errorf("TopoOrder (-want +got):\n%s", diff)
	}
	if got, _, ok := p.Gate(p.Step("c")); !ok || got != "g" {
		t.Errorf("Gate(c) = %q, %v; want g", got, ok)
	}
	if diff := cmp.Diff([]string{"b", "g"}, p.Dependencies(p.Step("c"))); diff != "" {
		t.Errorf("Dependencies(c) (-want +got):\n%s", diff)
	}
}

// TestTopoOrderLarge checks a long chain plus fan-out keeps dependencies
// first.
func TestTopoOrderLarge(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Load("big.yaml", []byte(generated(200)), testKinds(t))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, st := range p.TopoOrder() {
		for _, d := range p.Dependencies(st) {
			if !seen[d] {
				t.Fatalf("step %s comes before its dependency %s", st.Name, d)
			}
		}
		seen[st.Name] = true
	}
	if len(seen) != 200 {
		t.Errorf("TopoOrder has %d steps, want 200", len(seen))
	}
}

// generated returns a definition of n command steps in reverse definition
// order, each reading the output of the one before and of step 0.
func generated(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nname: generated\nparameters:\n  x: {type: integer, default: 1}\nsteps:\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "  - name: s%d\n    kind: command\n    outputs: [out]\n    command: [echo, \"${{ string(params.x) }}\"", i)
		if i > 0 {
			fmt.Fprintf(&b, ", \"${{ steps.s%d.outputs.out }}\", \"${{ steps.s0.outputs.out }}\"", i-1)
		}
		b.WriteString("]\n    retry: {max_attempts: 2, interval: 1s}\n    cache: {expire_after: 1d}\n")
	}
	return b.String()
}

// TestValidateConditions checks the static types of every condition
// operator: what validation accepts and what it rejects.
func TestValidateConditions(t *testing.T) {
	t.Parallel()
	kinds := testKinds(t)
	tests := []struct {
		name, cond string
		wantErr    string // empty: valid
	}{
		{name: "== float param number", cond: "params.f == 1"},
		{name: "!= string", cond: "params.s != 'x'"},
		{name: "< int float", cond: "params.i < params.f"},
		{name: "<= property file", cond: "steps.ev.properties.report.auc <= 0.5"},
		{name: "> integer property", cond: "steps.tr.properties.best_iteration > params.i"},
		{name: ">= strings", cond: "params.s >= 'a'"},
		{name: "in strings", cond: "params.s in ['a', 'b']"},
		{name: "not in", cond: "params.i not in [1, 2.5]"},
		{name: "not", cond: "not params.b"},
		{name: "bang", cond: "!params.b"},
		{name: "and", cond: "params.b and params.i > 0"},
		{name: "&&", cond: "params.b && true"},
		{name: "or", cond: "params.b or false"},
		{name: "||", cond: "false || params.b"},
		{name: "outcome of a condition", cond: "steps.first.properties.outcome"},
		{name: "string output compared with string", cond: "steps.tr.outputs.model != ''"},
		{name: "execution variable", cond: "execution.pipeline_name == 'cond'"},
		{name: "null comparison", cond: "steps.ev.properties.report.auc != null"},
		{name: "string vs integer", cond: "params.s == 1", wantErr: "cannot compare string parameter params.s with integer 1"},
		{name: "boolean vs number", cond: "params.b != 0", wantErr: "cannot compare boolean parameter params.b with integer 0"},
		{name: "order booleans", cond: "params.b < true", wantErr: "cannot order boolean parameter params.b and boolean true with <"},
		{name: "in non-list", cond: "params.s in params.s", wantErr: "in needs a list on the right, got string parameter params.s"},
		{name: "in element type", cond: "params.i in ['a']", wantErr: `cannot compare integer parameter params.i with string "a"`},
		{name: "not of string", cond: "not params.s", wantErr: "not needs a boolean, got string parameter params.s"},
		{name: "and of number", cond: "params.i and params.b", wantErr: "and needs booleans, got integer parameter params.i"},
		{name: "or of string", cond: "params.b or 's'", wantErr: `or needs booleans, got string "s"`},
		{name: "non-boolean condition", cond: "params.i", wantErr: "a condition must be a boolean, got integer parameter params.i"},
		{name: "unknown parameter", cond: "params.nope", wantErr: `unknown parameter "nope"`},
		{name: "integer property has no fields", cond: "steps.tr.properties.best_iteration.x > 1", wantErr: "property best_iteration of step \"tr\" is an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := fmt.Sprintf(`version: 1
name: cond
parameters:
  f: {type: float, default: 0.5}
  i: {type: integer, default: 1}
  s: {type: string, default: a}
  b: {type: boolean, default: true}
steps:
  - {name: tr, kind: training, algorithm: xgboost, inputs: {train: t.csv}}
  - {name: ev, kind: processing, processor: evaluate, outputs: [report], property_files: {report: report.json}}
  - {name: first, kind: condition, if: "true", then: [second]}
  - {name: second, kind: condition, if: %q, then: [x]}
  - {name: x, kind: fail, message: x}
`, tt.cond)
			_, err := pipeline.Load("cond.yaml", []byte(def), kinds)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Load: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Load error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
