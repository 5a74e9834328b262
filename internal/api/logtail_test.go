package api_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// TestLogTailOffsets: a tail from any offset of a finished step's log
// ends cleanly: from 0 it sends the log, from its end or past it (up to
// the largest int64, which no file system can seek to) it sends nothing,
// and never an error event.
func TestLogTailOffsets(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tc := range []struct {
		offset   int64
		wantText bool
	}{
		{0, true}, {1 << 20, false}, {1 << 50, false}, {math.MaxInt64, false},
	} {
		path := fmt.Sprintf("/api/v1/executions/%s/steps/write/logs?follow=true&offset=%d", f.exec, tc.offset)
		r := f.do(t, t.Context(), f.tokens[auth.Viewer], "GET", path, "")
		body := string(r.body)
		if r.status != 200 || !strings.Contains(body, "event: end") || strings.Contains(body, "event: error") {
			t.Errorf("offset %d: %d %s", tc.offset, r.status, body)
		}
		if got := strings.Contains(body, "wrote hello"); got != tc.wantText {
			t.Errorf("offset %d: log text sent = %v, want %v:\n%s", tc.offset, got, tc.wantText, body)
		}
	}
}
