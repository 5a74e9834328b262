//go:build !unix

package tree

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
