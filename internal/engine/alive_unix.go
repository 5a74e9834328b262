//go:build unix

package engine

import (
	"errors"
	"syscall"
)

// ProcessAlive reports whether a process with the given ID exists on this
// host.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func processAlive(pid int) bool { return ProcessAlive(pid) }
