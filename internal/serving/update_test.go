package serving

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
)

// TestUpdateUnderLoadDropsNoRequest updates an endpoint 20 times while
// clients invoke it continuously over a real HTTP server on 127.0.0.1.
// Version v of the model predicts v, so every answer names the version
// that produced it: it must be one that was live at some moment between
// the request's start and its end.
func TestUpdateUnderLoadDropsNoRequest(t *testing.T) {
	t.Parallel()
	const updates = 20
	load := func(ctx context.Context, r artifact.Ref) (*Model, error) {
		var v int
		if _, err := fmt.Sscanf(r.Hex(), "%x", &v); err != nil {
			return nil, err
		}
		time.Sleep(2 * time.Millisecond) // loading takes time; requests keep flowing
		return constant(float64(v)), nil
	}
	s, err := NewServer(load, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	if !strings.HasPrefix(hs.URL, "http://127.0.0.1:") {
		t.Fatalf("server at %s, want 127.0.0.1", hs.URL)
	}
	apply := func(v int) {
		ep := endpoint("live", v, registry.Variant{Name: "AllTraffic", Group: "g", Version: v, Model: ref(v)})
		if err := s.Apply(t.Context(), []registry.Endpoint{ep}, nil); err != nil {
			t.Error(err)
		}
	}
	// applying is the newest version that may be live; applied the oldest.
	var applying, applied atomic.Int64
	applying.Store(1)
	apply(1)
	applied.Store(1)

	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var total, failed, outOfRange atomic.Int64
	seen := make([]atomic.Int64, updates+2)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				lo := applied.Load()
				resp, err := client.Post(hs.URL+"/endpoints/live/invocations", "text/csv", strings.NewReader("1,2\n"))
				if err != nil {
					failed.Add(1)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				hi := applying.Load()
				total.Add(1)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					t.Errorf("status %d, body %q, err %v", resp.StatusCode, body, err)
					continue
				}
				v, err := strconv.ParseFloat(strings.TrimSpace(string(body)), 64)
				if err != nil || int64(v) < lo || int64(v) > hi {
					outOfRange.Add(1)
					t.Errorf("answer %q from outside the live versions %d..%d", body, lo, hi)
					continue
				}
				seen[int(v)].Add(1)
			}
		})
	}
	for v := 2; v <= updates+1; v++ {
		time.Sleep(5 * time.Millisecond)
		applying.Store(int64(v))
		apply(v)
		applied.Store(int64(v))
	}
	time.Sleep(5 * time.Millisecond)
	cancel()
	wg.Wait()
	if failed.Load() != 0 || outOfRange.Load() != 0 {
		t.Fatalf("%d of %d requests failed, %d answered from a wrong version", failed.Load(), total.Load(), outOfRange.Load())
	}
	versions := 0
	for v := range seen {
		if seen[v].Load() > 0 {
			versions++
		}
	}
	if versions < updates/2 {
		t.Errorf("answers came from only %d versions; the clients did not overlap the updates", versions)
	}
	t.Logf("%d requests, answers from %d versions, none failed", total.Load(), versions)
}
