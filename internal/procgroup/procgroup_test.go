package procgroup_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/procgroup"
)

// startGroup starts `sh -c 'sleep 100; true'` as the leader of a new
// process group and returns it (reaped in the background).
func startGroup(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "sleep 100; true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	return cmd
}

func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

func waitDead(pgid int) bool {
	for range 200 {
		if !groupAlive(pgid) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestEndRecorded(t *testing.T) {
	t.Parallel()
	t.Run("KillsTheRecordedGroup", func(t *testing.T) {
		t.Parallel()
		cmd := startGroup(t)
		dir := t.TempDir()
		if err := procgroup.Record(dir, cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		if err := procgroup.EndRecorded(dir); err != nil {
			t.Fatal(err)
		}
		if !waitDead(cmd.Process.Pid) {
			t.Error("the recorded group is still alive")
		}
	})
	t.Run("LeavesAGroupThatReusedTheNumber", func(t *testing.T) {
		t.Parallel()
		cmd := startGroup(t)
		dir := t.TempDir()
		// A record whose start time differs: the number now names another process.
		rec := strconv.Itoa(cmd.Process.Pid) + " 1\n"
		if err := os.WriteFile(filepath.Join(dir, procgroup.File), []byte(rec), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := procgroup.EndRecorded(dir); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if !groupAlive(cmd.Process.Pid) {
			t.Error("killed a group that is not the recorded one")
		}
	})
	t.Run("NoRecord", func(t *testing.T) {
		t.Parallel()
		if err := procgroup.EndRecorded(t.TempDir()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("GarbageRecord", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, procgroup.File), []byte("1 x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := procgroup.EndRecorded(dir); err != nil {
			t.Fatal(err)
		}
	})
}

func TestKillRefusesInit(t *testing.T) {
	t.Parallel()
	for _, pg := range []int{0, 1, -3} {
		if err := procgroup.Kill(pg); err == nil {
			t.Errorf("Kill(%d) succeeded", pg)
		}
	}
}
