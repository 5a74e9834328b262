package pipeline_test

import (
	"testing"

	"github.com/ferryml/ferry/internal/pipeline"
)

// BenchmarkLoad200 parses and validates a generated 200-step definition
// (every step reads two outputs and a parameter).
func BenchmarkLoad200(b *testing.B) {
	def := []byte(generated(200))
	kinds := testKinds(b)
	b.SetBytes(int64(len(def)))
	for b.Loop() {
		if _, err := pipeline.Load("big.yaml", def, kinds); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTopoOrder200 orders a parsed 200-step definition.
func BenchmarkTopoOrder200(b *testing.B) {
	p, err := pipeline.Load("big.yaml", []byte(generated(200)), testKinds(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if len(p.TopoOrder()) != 200 {
			b.Fatal("wrong length")
		}
	}
}

// BenchmarkResolveArgs resolves one step's templates, as the engine does
// before every step run.
func BenchmarkResolveArgs(b *testing.B) {
	p, err := pipeline.Parse("resolve.yaml", []byte(`version: 1
name: r
parameters: {rounds: {type: integer, default: 1}}
steps:
  - name: s
    kind: command
    command: [echo, "${{ params.rounds }}", "model=${{ steps.train.outputs.model }} at ${{ execution.start_time }}"]
    env: {RUN: "${{ join('-', execution.id, execution.pipeline_name) }}"}
`))
	if err != nil {
		b.Fatal(err)
	}
	st, sc := p.Step("s"), testScope()
	for b.Loop() {
		if _, err := st.ResolveArgs(sc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalCondition evaluates a typical condition.
func BenchmarkEvalCondition(b *testing.B) {
	e, err := pipeline.ParseExpr("steps.evaluate.properties.evaluation.classification_metrics.roc_auc.value >= params.auc_threshold and params.status in ['Approved', 'PendingManualApproval']")
	if err != nil {
		b.Fatal(err)
	}
	sc := testScope()
	for b.Loop() {
		if _, err := e.Eval(sc); err != nil {
			b.Fatal(err)
		}
	}
}
