//go:build pypi

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
)

// TestPyPISageMakerTuningStep builds a pipeline with the real SageMaker
// SDK (a TuningStep over an XGBoost estimator, then a model of
// TuningStep.get_top_model_s3_uri(top_k=0); make_definitions.py, offline)
// and runs the definition it emits on Ferry.
func TestPyPISageMakerTuningStep(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "sagemaker")
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("..", "..", "internal", "sagemaker", "definition", "testdata", "sdk", "make_definitions.py"), out)
	cmd.Env = append(os.Environ(), "SAGEMAKER_SUPPRESS_V2_WARNING=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_definitions.py: %v\n%s", err, b)
	}
	runTuningDefinition(t, filepath.Join(out, "tuning.json"))
}
