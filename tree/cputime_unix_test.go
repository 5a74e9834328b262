//go:build unix

package tree

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user plus system CPU time: on a shared
// machine a single-goroutine benchmark's CPU time is steadier than its
// wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
