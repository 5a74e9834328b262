//go:build unix

package forest_test

import "syscall"

// cpuSeconds returns the process's user + system CPU time, which the
// benchmarks report beside wall time because the machine is shared.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
