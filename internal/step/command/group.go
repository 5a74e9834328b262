package command

import (
	"os/exec"
	"time"

	"github.com/ferryml/ferry/internal/procgroup"
)

// inOwnGroup makes cmd the leader of a new process group, killed as a
// whole when ctx ends (stop, timeout), so a shell's children die too.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return procgroup.Kill(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
}

// startGroup starts cmd and records its process group in workDir, where a
// resume after a crash of Ferry finds it (procgroup.EndRecorded).
func startGroup(cmd *exec.Cmd, workDir string) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	// Without the record only a crash's orphans would survive; the step
	// itself still runs.
	_ = procgroup.Record(workDir, cmd.Process.Pid)
	return nil
}

// waitGroup waits for cmd as cmd.Wait does and kills what is left of its
// process group (programs it started in the background) as soon as the
// leader exits, so no process of a step outlives the step and none keeps
// the output pipes open.
func waitGroup(cmd *exec.Cmd) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		waitExit(cmd.Process.Pid)
		_ = procgroup.Kill(cmd.Process.Pid)
	}()
	err := cmd.Wait()
	<-done
	return err
}
