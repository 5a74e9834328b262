//go:build pypi

package definition

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
	"github.com/google/go-cmp/cmp"
)

// TestPyPIQualityCheckDefinition checks that testdata/quality_check.json
// is what the SageMaker SDK builds now (testdata/sdk/make_quality_check.py).
func TestPyPIQualityCheckDefinition(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "sagemaker")
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "sdk", "make_quality_check.py"), out)
	cmd.Env = append(os.Environ(), "SAGEMAKER_SUPPRESS_V2_WARNING=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_quality_check.py: %v\n%s", err, b)
	}
	got, err := os.ReadFile(filepath.Join(out, "quality_check.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "quality_check.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("quality_check.json differs from what the SDK builds now (-committed +sdk); rerun make_quality_check.py:\n%s", diff)
	}
}
