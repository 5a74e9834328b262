// Package procgroup ends the process groups of the programs that steps
// run. A command step runs its program as the leader of a new process
// group; stop, timeout and the end of the program kill the whole group,
// and the group is recorded in the attempt's work directory so that a
// resume after a crash of Ferry (kill -9) can end what the dead run left
// running (a `sh -c 'sleep 100; ...'` grandchild outlives its parent).
package procgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// File is the name of the record Record writes in a work directory.
const File = ".ferry-process-group"

// Kill sends SIGKILL to every process of group pgid. A group that no
// longer exists is not an error.
func Kill(pgid int) error {
	if pgid <= 1 {
		return fmt.Errorf("killing process group %d: not a group Ferry started", pgid)
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing process group %d: %w", pgid, err)
	}
	return nil
}

// Record writes dir/File naming group pgid (the leader's pid) and the
// leader's start time, so that EndRecorded can tell the group from a
// later one that reuses the number.
func Record(dir string, pgid int) error {
	start, err := startTime(pgid)
	if err != nil {
		start = "" // not on Linux: EndRecorded then does nothing
	}
	data := strconv.Itoa(pgid) + " " + start + "\n"
	if err := os.WriteFile(filepath.Join(dir, File), []byte(data), 0o600); err != nil {
		return fmt.Errorf("recording process group %d: %w", pgid, err)
	}
	return nil
}

// EndRecorded kills the group recorded in dir/File, if any, when it is
// still the group the record names: its leader is alive with the recorded
// start time, or its leader is gone (members left behind keep the number
// from being reused). It does nothing without a record, or off Linux.
func EndRecorded(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, File))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the process group record: %w", err)
	}
	pidText, start, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	pgid, err := strconv.Atoi(pidText)
	if err != nil || pgid <= 1 || start == "" || runtime.GOOS != "linux" {
		return nil
	}
	now, err := startTime(pgid)
	switch {
	case err == nil && now != start:
		return nil // the number now belongs to another process
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil // cannot tell
	}
	return Kill(pgid)
}

// startTime returns field 22 of /proc/PID/stat: the process's start time
// in clock ticks since boot.
func startTime(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("reading /proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return "", fmt.Errorf("reading /proc/%d/stat: %d fields", pid, len(fields))
	}
	return fields[19], nil // field 22 overall: 2 fields come before ')'
}
