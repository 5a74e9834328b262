package temporal

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// An attempt whose context Temporal cancelled (a stop) is canceled; one
// whose context ended for another reason (the SDK gave up after its
// heartbeats failed, the worker stops) is lost, and run again.
func TestCanceledType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		cause error
		want  string
	}{
		{"stop requested", temporal.NewCanceledError(), errCanceled},
		{"heartbeat failed", errors.New("context deadline exceeded"), errLost},
		{"plain cancel", nil, errLost},
	} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(tc.cause)
		if got := canceledType(ctx); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestLostAttempt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{temporal.NewNonRetryableApplicationError("x", errLost, nil), true},
		{temporal.NewNonRetryableApplicationError("x", errCanceled, nil), false},
		{temporal.NewApplicationError("x", errRetryable), false},
		{errors.New("x"), false},
	} {
		if got := lostAttempt(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}
