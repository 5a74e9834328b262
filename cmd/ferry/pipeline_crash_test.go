package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/sqlite"
)

// TestCrashAndResume builds the real binary, starts `ferry run` on a
// pipeline of slow command steps, kills it with SIGKILL while a step runs,
// and checks that the database opens cleanly, shows the execution as
// Interrupted, and that `ferry resume` completes it without re-running the
// steps that had succeeded.
func TestCrashAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	dir := artifacttest.TempDir(t)
	bin := filepath.Join(dir, "ferry")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := filepath.Join(dir, "home")
	ran := filepath.Join(dir, "ran.txt")
	release := filepath.Join(dir, "release")
	grandPID := filepath.Join(dir, "grand.pid")
	// Each step appends its name to ran.txt; s3 blocks until the release
	// file exists, so the kill lands while it runs.
	var src strings.Builder
	src.WriteString("version: 1\nname: crash\nsteps:\n")
	for i := 1; i <= 5; i++ {
		script := fmt.Sprintf("echo s%d >> %s; sleep 0.2; echo s%d > \"$FERRY_OUTPUT_OUT/name.txt\"", i, ran, i)
		if i == 3 {
			// The first attempt also starts a grandchild (sleep 100) that a
			// kill -9 of ferry leaves running; the resume must end it.
			script = fmt.Sprintf("[ -f %s ] || { sleep 100 & echo $! > %s; }; echo s3 >> %s; while [ ! -f %s ]; do sleep 0.05; done; echo s3 > \"$FERRY_OUTPUT_OUT/name.txt\"", grandPID, grandPID, ran, release)
		}
		fmt.Fprintf(&src, "  - name: s%d\n    kind: command\n    command: [/bin/sh, -c, '%s']\n    outputs: [out]\n", i, script)
		if i > 1 {
			fmt.Fprintf(&src, "    inputs: {prev: \"${{ steps.s%d.outputs.out }}\"}\n", i-1)
		}
	}
	file := writePipeline(t, dir, src.String())

	env := append(os.Environ(), "FERRY_HOME="+home)
	child := exec.Command(bin, "run", file)
	child.Env = env
	var out bytes.Buffer
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until s3 is running, then kill -9.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(ran)
		if strings.Contains(string(b), "s3") {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			child.Wait()
			t.Fatalf("s3 never started; output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait() // reap it, so its PID is gone

	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(home, "ferry.db"))
	if err != nil {
		t.Fatalf("opening the database after kill -9: %v", err)
	}
	var check string
	if err := db.SQL().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	statuses := stepStatuses(t, db.SQL())
	db.Close()
	if statuses["s1"] != "Succeeded" || statuses["s2"] != "Succeeded" || statuses["s3"] != "Executing" {
		t.Errorf("after kill: steps %v, want s1, s2 Succeeded and s3 Executing", statuses)
	}

	list := runBin(t, bin, env, "executions", "--output", "json")
	var exs []app.Execution
	if err := json.Unmarshal([]byte(list), &exs); err != nil || len(exs) != 1 {
		t.Fatalf("executions: %v\n%s", err, list)
	}
	if exs[0].Status != "Interrupted" {
		t.Errorf("execution status %s, want Interrupted", exs[0].Status)
	}
	if text := runBin(t, bin, env, "executions"); !strings.Contains(text, "Interrupted") {
		t.Errorf("`ferry executions` does not show Interrupted:\n%s", text)
	}

	b, err := os.ReadFile(grandPID)
	if err != nil {
		t.Fatal(err)
	}
	grand, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(grand, syscall.SIGKILL) })
	if !processAlive(grand) {
		t.Fatalf("the grandchild %d died with ferry; the test proves nothing", grand)
	}

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	resumed := runBin(t, bin, env, "resume", exs[0].ID)
	// SIGKILL is asynchronous: on a loaded machine the grandchild may
	// take a moment to die after the resume sent it.
	for deadline := time.Now().Add(5 * time.Second); processAlive(grand) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if processAlive(grand) {
		t.Errorf("the grandchild %d of the interrupted step outlived the resume", grand)
	}
	if !strings.Contains(resumed, "Succeeded") {
		t.Errorf("resume output:\n%s", resumed)
	}
	got, _ := os.ReadFile(ran)
	if want := "s1\ns2\ns3\ns3\ns4\ns5\n"; string(got) != want {
		t.Errorf("steps ran:\n%swant (s1 and s2 once):\n%s", got, want)
	}
	// No half-written artifact is visible: every stored artifact verifies.
	entries, err := os.ReadDir(filepath.Join(home, "artifacts", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 5 {
		t.Errorf("%d artifacts stored, want at least 5", len(entries))
	}
	verify, err := artifact.OpenDir(filepath.Join(dir, "verify"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ref, err := verify.PutDir(ctx, filepath.Join(home, "artifacts", "sha256", e.Name()))
		if err != nil || ref.Hex() != e.Name() {
			t.Errorf("artifact %s: content digests to %s (%v)", e.Name(), ref, err)
		}
	}
}

// processAlive reports whether pid is a live process (not a zombie).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

func runBin(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ferry %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func stepStatuses(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query("SELECT step, status FROM step_runs")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var s, st string
		if err := rows.Scan(&s, &st); err != nil {
			t.Fatal(err)
		}
		out[s] = st
	}
	return out
}
