package command

import "syscall"

// sysProcAttr puts the program in its own process group, so cancelling
// kills its children too, and has the kernel kill it if Ferry dies
// (kill -9), so no orphan keeps working for an execution nobody runs.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
