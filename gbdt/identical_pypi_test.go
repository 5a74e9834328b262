//go:build pypi

package gbdt

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
)

// TestPyPIIdenticalTrees regenerates the identical-trees fixtures at
// 100,000 rows (where XGBoost's sketch merges summaries instead of
// keeping exact quantiles) with XGBoost 3.x (PyPI) and 1.7 (Debian), and
// checks that Ferry grows the same 100 trees (TestIdenticalTrees's
// checks, leaf values within 1e-6).
func TestPyPIIdenticalTrees(t *testing.T) {
	t.Parallel()
	const rows = 100000
	pythons := map[string]string{
		"xgboost3":  pythontest.Venv(t, "xgboost", "numpy"),
		"xgboost17": pythontest.Debian(t, "xgboost", "numpy"),
	}
	script, err := filepath.Abs(filepath.Join("testdata", "identical.py"))
	if err != nil {
		t.Fatal(err)
	}
	fraud, err := filepath.Abs(filepath.Join("testdata", "xgboost", "fraud_autoclaims"))
	if err != nil {
		t.Fatal(err)
	}
	for version, py := range pythons {
		for _, name := range []string{"diabetes_nan", "fraud_nan", "diabetes_nan_weighted", "fraud_nan_weighted"} {
			t.Run(version+"/"+name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				cmd := exec.CommandContext(t.Context(), py, script, dir, name, strconv.Itoa(rows), fraud)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", script, err, out)
				}
				// A leaf can differ in its last bit here: some float
				// sums are rounded in another order than XGBoost's (for
				// example a 256-bin feature's last bin, whose missing
				// cells are moved out of it after the pass).
				checkIdentical(t, dir, 1e-6)
			})
		}
	}
}
