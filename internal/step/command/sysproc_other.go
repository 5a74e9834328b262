//go:build unix && !linux

package command

import "syscall"

// sysProcAttr puts the program in its own process group, so cancelling
// kills its children too.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
