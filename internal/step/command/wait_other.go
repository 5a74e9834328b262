//go:build !linux

package command

import (
	"os"
	"syscall"
	"time"
)

// waitExit returns when process pid has exited (polled: only Linux can
// wait without reaping).
func waitExit(pid int) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	for p.Signal(syscall.Signal(0)) == nil {
		time.Sleep(50 * time.Millisecond)
	}
}
