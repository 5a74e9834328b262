package command

import (
	"errors"

	"golang.org/x/sys/unix"
)

// waitExit returns when process pid has exited, without reaping it
// (WNOWAIT), so cmd.Wait still collects its status. It also returns when
// the process was reaped already.
func waitExit(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}
