package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestStepLogLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"off", -1, false},
		{"1048576", 1 << 20, false},
		{"512KiB", 512 << 10, false},
		{"64MiB", 64 << 20, false},
		{"1 GiB", 1 << 30, false},
		{"-5", 0, true},
		{"lots", 0, true},
		{"9999999999GiB", 0, true},
	}
	for _, tc := range tests {
		m := &Main{Getenv: func(k string) string {
			if k == envStepLogLimit {
				return tc.in
			}
			return ""
		}}
		got, err := m.stepLogLimit()
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%q: %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// A run with FERRY_STEP_LOG_LIMIT set truncates the program's output in
// the step log, with the marker; a bad value is an error before anything runs.
func TestStepLogLimitInARun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writePipeline(t, dir, "version: 1\nname: big\nsteps:\n  - name: talk\n    kind: command\n    command: [/bin/sh, -c, 'head -c 100000 /dev/zero | tr \"\\\\0\" y']\n")
	run := func(limit string, args ...string) ferryResult {
		home := filepath.Join(dir, "home-"+limit)
		var stdout, stderr strings.Builder
		env := map[string]string{"FERRY_HOME": home, envStepLogLimit: limit}
		m := NewMain(strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
		code := m.Run(context.Background(), args)
		return ferryResult{stdout.String(), stderr.String(), code}
	}
	res := run("1KiB", "run", "--output", "json", file)
	if res.code != 0 {
		t.Fatalf("run: exit %d: %s", res.code, res.stderr)
	}
	id := strings.Split(strings.Split(res.stdout, `"id": "`)[1], `"`)[0]
	logs := run("1KiB", "logs", id, "talk")
	if n := strings.Count(logs.stdout, "y"); n < 1024 || n > 1100 || !strings.Contains(logs.stdout, "--- log truncated") {
		t.Errorf("log has %d y's, marker %v; want 1024 and the marker", n, strings.Contains(logs.stdout, "--- log truncated"))
	}
	if bad := run("lots", "run", file); bad.code != 1 || !strings.Contains(bad.stderr, "FERRY_STEP_LOG_LIMIT") {
		t.Errorf("bad limit: exit %d, %s", bad.code, bad.stderr)
	}
}
