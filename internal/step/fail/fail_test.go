package fail_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/fail"
)

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		args          map[string]any
		wantMsg       string
		wantPermanent bool
	}{
		{name: "Message", args: map[string]any{"message": "AUC 0.61 is below 0.7"}, wantMsg: "AUC 0.61 is below 0.7"},
		{name: "DefaultMessage", args: map[string]any{}, wantMsg: "the pipeline reached a fail step"},
		{name: "ErrNotAString", args: map[string]any{"message": 3.0}, wantMsg: "want a string", wantPermanent: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := fail.Kind{}.Run(context.Background(), step.Env{}, step.Request{Args: tc.args})
			var fe *step.FailError
			switch {
			case tc.wantPermanent:
				if !step.IsPermanent(err) || err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Errorf("got %v, want a permanent error containing %q", err, tc.wantMsg)
				}
			case !errors.As(err, &fe) || fe.Message != tc.wantMsg:
				t.Errorf("got %v, want *step.FailError %q", err, tc.wantMsg)
			}
		})
	}
}
