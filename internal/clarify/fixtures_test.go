package clarify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestFixtures runs every smclarify fixture case through ReadConfig and
// Run, the code path of `ferry clarify`, and compares analysis.json with
// expected_analysis.json: same facets, entries, metric names and order,
// values within 1e-9, the same "Infinity" strings and null + error
// entries.
func TestFixtures(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join("testdata", "clarify", "*", ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 11 {
		t.Fatalf("found %d fixture cases, want 11", len(dirs))
	}
	for _, cfgPath := range dirs {
		dir := filepath.Dir(cfgPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			cfg, err := ReadConfig(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			if _, err := Run(t.Context(), cfg, filepath.Join(dir, "data.csv"), nil, out, Options{}); err != nil {
				t.Fatal(err)
			}
			got := readJSON(t, filepath.Join(out, AnalysisFile))
			want := readJSON(t, filepath.Join(dir, "expected_analysis.json"))
			if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("analysis.json differs from smclarify's (-want +got):\n%s", diff)
			}
			// The facets keep the configuration's order.
			a, err := ReadAnalysis(out)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range a.PreTraining.Facets {
				if want := cfg.Facets[i].Column.Name; f.Name != want {
					t.Errorf("facet %d is %q, want %q", i, f.Name, want)
				}
			}
		})
	}
}

func readJSON(t testing.TB, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
