package serving

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

type closingInvoker struct{ closed atomic.Int32 }

func (c *closingInvoker) Invoke(context.Context, string, string, []byte) (string, []byte, error) {
	return "text/csv", nil, nil
}

func (c *closingInvoker) Close() error { c.closed.Add(1); return nil }

// TestCloseUnused: a worker-pool model that an update replaced is closed
// once; one still served is not.
func TestCloseUnused(t *testing.T) {
	t.Parallel()
	gone, kept := &closingInvoker{}, &closingInvoker{}
	mGone, mKept := &Model{Invoker: gone}, &Model{Invoker: kept}
	cur := map[string]*liveEndpoint{
		"a": {variants: []*liveVariant{{model: mGone}, {model: mKept}}},
		"b": {variants: []*liveVariant{{model: mGone}}},
	}
	next := map[string]*liveEndpoint{"a": {variants: []*liveVariant{{model: mKept}}}}
	closeUnused(cur, next, 0)
	deadline := time.Now().Add(5 * time.Second)
	for gone.closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	if got := gone.closed.Load(); got != 1 {
		t.Errorf("replaced model closed %d times, want 1", got)
	}
	if kept.closed.Load() != 0 {
		t.Error("a model still served was closed")
	}
}
