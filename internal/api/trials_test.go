package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
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

// TestTrialCacheAndLogs: a worker asks the server's trial cache by key
// (what it reuses instead of training again) and stores its trials' logs
// where the trial log route reads them.
func TestTrialCacheAndLogs(t *testing.T) {
	t.Parallel()
	f := setup(t)
	obj := 0.93
	key := strings.Repeat("0f", 32)
	rec := run.Trial{Trial: 1, Name: "write/trial-001", Status: "Completed", Rounds: 2, History: []float64{0.9, 0.93},
		Objective: &obj, ObjectiveMetric: "validation:auc", Direction: "maximize", Model: f.output,
		Hyperparameters: map[string]string{"eta": "0.3"}, CacheKey: key}
	body, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	trials := "/api/v1/executions/" + f.exec + "/steps/write/trials"
	if r := f.do(t, t.Context(), f.tokens[auth.Operator], "POST", trials, string(body)); r.status != http.StatusNoContent {
		t.Fatalf("POST trial: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		contains                 string
	}{
		{"cached", "GET", "/api/v1/trial-cache/" + key, "", http.StatusOK, `"cache_key":"` + key + `"`},
		{"not cached", "GET", "/api/v1/trial-cache/" + strings.Repeat("1f", 32), "", http.StatusNotFound, "no finished trial"},
		{"bad key", "GET", "/api/v1/trial-cache/nope", "", http.StatusBadRequest, "64 lowercase hex digits"},
		{"no log yet", "GET", trials + "/1/logs", "", http.StatusNotFound, "has no log"},
		{"store log", "PUT", trials + "/1/logs", "[0]\tvalidation-auc:0.9\n", http.StatusNoContent, ""},
		{"read log", "GET", trials + "/1/logs", "", http.StatusOK, "validation-auc:0.9"},
		{"replace log", "PUT", trials + "/1/logs", "[1]\tvalidation-auc:0.93\n", http.StatusNoContent, ""},
		{"read replaced", "GET", trials + "/1/logs", "", http.StatusOK, "validation-auc:0.93"},
		{"trial 0", "PUT", trials + "/0/logs", "x", http.StatusBadRequest, "trial number"},
		{"unknown step", "PUT", "/api/v1/executions/" + f.exec + "/steps/nope/trials/1/logs", "x", http.StatusNotFound, ""},
		{"too large", "PUT", trials + "/1/logs", strings.Repeat("x", 8<<20+1), http.StatusRequestEntityTooLarge, ""},
	} {
		r := f.do(t, t.Context(), f.tokens[auth.Operator], tc.method, tc.path, tc.body)
		if r.status != tc.want || !strings.Contains(string(r.body), tc.contains) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, r.status, r.body, tc.want, tc.contains)
		}
	}
	if r := f.do(t, t.Context(), f.tokens[auth.Viewer], "PUT", trials+"/1/logs", "x"); r.status != http.StatusForbidden {
		t.Errorf("a viewer stores a trial log: %d %s", r.status, r.body)
	}
}
