package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/run"
)

// TestSaveTrial: a worker's trial record, posted with an operate token,
// is the server's: the trials route lists it. Bad records are located
// 400s, an unknown step a 404.
func TestSaveTrial(t *testing.T) {
	t.Parallel()
	f := setup(t)
	obj := 0.91
	rec := run.Trial{Trial: 2, Name: "write/trial-002", Status: "Stopped", StoppedEarly: true, Rounds: 3,
		History: []float64{0.8, 0.85, 0.91}, Objective: &obj, ObjectiveMetric: "validation:auc", Direction: "maximize",
		Hyperparameters: map[string]string{"eta": "0.1"}, CacheKey: "k1"}
	body, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/executions/" + f.exec + "/steps/write/trials"
	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"record", base, string(body), http.StatusNoContent},
		{"trial 0", base, `{"trial": 0}`, http.StatusBadRequest},
		{"not json", base, `{`, http.StatusBadRequest},
		{"no status", base, `{"trial": 1}`, http.StatusBadRequest},
		{"unknown status", base, `{"trial": 1, "status": "Done"}`, http.StatusBadRequest},
		{"another step's name", base, `{"trial": 1, "status": "Failed", "name": "other/trial-001"}`, http.StatusBadRequest},
		{"unknown step", "/api/v1/executions/" + f.exec + "/steps/nope/trials", string(body), http.StatusNotFound},
	} {
		r := f.do(t, t.Context(), f.tokens[auth.Operator], "POST", tc.path, tc.body)
		if r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
	}
	r := f.do(t, t.Context(), f.tokens[auth.Operator], "GET", base, "")
	var got app.StepTrials
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET trials: %d %s %v", r.status, r.body, err)
	}
	if len(got.Trials) != 1 {
		t.Fatalf("%d trials listed, want 1: %s", len(got.Trials), r.body)
	}
	want := rec
	want.ExecutionID, want.Step = f.exec, "write"
	if diff := cmp.Diff(want, got.Trials[0]); diff != "" {
		t.Errorf("trial record (-posted +listed):\n%s", diff)
	}
}
