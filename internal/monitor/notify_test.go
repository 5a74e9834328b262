package monitor

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		config  string
		wantErr string
	}{
		{"plain", `{"webhook": {"url": "https://hooks.example.com/x"}}`, ""},
		{"secret from env", `{"webhook": {"url": "http://127.0.0.1:9/x", "secret": {"from_env": "HOOK_SECRET"}, "on": "always"}}`, ""},
		{"secret as text", `{"webhook": {"url": "http://127.0.0.1:9/x", "secret": "hunter2"}}`, "a secret is never stored"},
		{"secret with other keys", `{"webhook": {"url": "http://127.0.0.1:9/x", "secret": {"from_env": "A", "value": "v"}}}`, "a secret is never stored"},
		{"bad variable name", `{"webhook": {"url": "http://127.0.0.1:9/x", "secret": {"from_env": "1 2"}}}`, "want an environment variable name"},
		{"bad url", `{"webhook": {"url": "ftp://x/"}}`, "want an http:// or https:// URL"},
		{"bad on", `{"webhook": {"url": "http://x/", "on": "sometimes"}}`, `webhook on "sometimes"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c Config
			err := json.Unmarshal([]byte(tt.config), &c)
			if err == nil {
				err = Monitor{Name: "m", Endpoint: "ep", Type: DataQuality, Config: c}.Validate()
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %v quotes the secret", err)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	vs := []Violation{
		{FeatureName: "b", ConstraintCheckType: BaselineDriftCheck},
		{FeatureName: "a", ConstraintCheckType: CompletenessCheck},
		{FeatureName: "b", ConstraintCheckType: DataTypeCheck},
		{MetricName: "accuracy", ConstraintCheckType: "LessThanThreshold"},
	}
	want := ViolationSummary{Count: 4, Features: []string{"a", "accuracy", "b"}, First: vs,
		Checks: map[string]int{BaselineDriftCheck: 1, CompletenessCheck: 1, DataTypeCheck: 1, "LessThanThreshold": 1}}
	if diff := cmp.Diff(want, summarize(vs)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	many := make([]Violation, 30)
	if got := summarize(many); got.Count != 30 || len(got.First) != MaxNotifiedViolations {
		t.Errorf("summary of 30: count %d, %d quoted", got.Count, len(got.First))
	}
	if got := ReportPath("sha256:ab"); got != "/artifacts/sha256:ab/files/report.html" {
		t.Errorf("ReportPath = %q", got)
	}
}
