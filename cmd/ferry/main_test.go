package main

import (
	"os"
	"os/exec"
	"testing"
)

// envRunAsFerry makes the test binary run as the ferry command (see
// TestMain), so tests can start `ferry` as a child process (under a
// pseudo-terminal, or to kill it) without building the binary.
const envRunAsFerry = "FERRY_TEST_RUN_AS_FERRY"

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsFerry) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// ferryCommand returns a command running `ferry args...` in a child
// process with FERRY_HOME=home.
func ferryCommand(home string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envRunAsFerry+"=1", "FERRY_HOME="+home)
	return cmd
}
