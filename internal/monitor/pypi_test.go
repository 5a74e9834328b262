//go:build pypi

package monitor

import (
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
)

// TestPyPIKSFixtures regenerates the drift fixtures with scipy from PyPI
// and checks that they equal the committed ones, so the default test's
// expected values are scipy's.
func TestPyPIKSFixtures(t *testing.T) {
	py := pythontest.Venv(t, "scipy", "numpy")
	out, err := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "ks", "gen_fixtures.py")).Output()
	if err != nil {
		t.Fatalf("gen_fixtures.py: %v", err)
	}
	var fresh struct {
		Cases []ksCase `json:"cases"`
	}
	if err := json.Unmarshal(out, &fresh); err != nil {
		t.Fatal(err)
	}
	committed := readKSCases(t)
	if len(fresh.Cases) != len(committed) {
		t.Fatalf("%d fresh cases, %d committed", len(fresh.Cases), len(committed))
	}
	for i, c := range fresh.Cases {
		if c.Name != committed[i].Name || len(c.A) != len(committed[i].A) || math.Abs(c.Statistic-committed[i].Statistic) > 1e-15 {
			t.Errorf("case %s: scipy now gives %v, committed %v", c.Name, c.Statistic, committed[i].Statistic)
		}
	}
}
