//go:build pypi

package definition

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pythontest"
)

// TestPyPISDKDefinitions builds the definitions again with the SageMaker
// SDK (testdata/sdk/make_definitions.py) and checks that the committed
// copies, which the default tests read, are what the SDK emits.
func TestPyPISDKDefinitions(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "sagemaker")
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "sdk", "make_definitions.py"), out)
	cmd.Env = append(os.Environ(), "SAGEMAKER_SUPPRESS_V2_WARNING=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_definitions.py: %v\n%s", err, b)
	}
	for _, name := range append(sdkDefinitions, "tuning", "uploads") {
		got, err := os.ReadFile(filepath.Join(out, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s.json differs from what the SDK builds now (-committed +sdk); rerun make_definitions.py:\n%s", name, diff)
		}
	}
}
