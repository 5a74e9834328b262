package processing_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/evaluate"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/prepare"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/processing"
)

func registry(t *testing.T) *step.Registry {
	t.Helper()
	r := step.NewRegistry()
	if err := r.Register(processing.New(prepare.New(), evaluate.New())); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestExamplePipelineValid loads examples/fraud-detection/prepare.yaml
// with the real pipeline parser and validator.
func TestExamplePipelineValid(t *testing.T) {
	t.Parallel()
	const path = "../../../examples/fraud-detection/prepare.yaml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Load(path, b, registry(t)); err != nil {
		t.Fatalf("pipeline.Load: %v", err)
	}
}

func TestPipelineConfigErrorsLocated(t *testing.T) {
	t.Parallel()
	src := `version: 1
name: bad
steps:
  - name: prepare
    kind: processing
    processor: tabular_prepare
    inputs: {t: "sha256:` + strings.Repeat("0", 64) + `"}
    config:
      label: y
      split: {test: 1.5}
  - name: evaluate
    kind: processing
    processor: evaluate
    inputs: {model: "${{ steps.prepare.outputs.train }}", test: "${{ steps.prepare.outputs.test }}"}
    outputs: [evaluation, nope]
`
	_, err := pipeline.Load("bad.yaml", []byte(src), registry(t))
	if err == nil {
		t.Fatal("pipeline.Load: no error")
	}
	for _, want := range []string{"config.split.test", "1.5 is outside [0, 1)", `no output "nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
