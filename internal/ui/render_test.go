package ui

import (
	"strings"
	"testing"
)

// TestGlimpse: the step page shows short property values whole and long
// ones (TrainingJobSummaries) folded behind their first runes.
func TestGlimpse(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", glimpseRunes+41)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"short", `{"MetricName":"validation:auc"}`, ""},
		{"just short enough", strings.Repeat("x", glimpseRunes+40), ""},
		{"long, cut by runes", long, strings.Repeat("é", glimpseRunes) + "…"},
	} {
		if got := glimpse(tc.in); got != tc.want {
			t.Errorf("%s: glimpse = %q, want %q", tc.name, got, tc.want)
		}
	}
}
