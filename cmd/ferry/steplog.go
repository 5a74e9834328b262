package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
)

// envStepLogLimit names the variable that sets the cap on a command
// step's program output in its log (commandkind.Kind.LogLimit).
const envStepLogLimit = "FERRY_STEP_LOG_LIMIT"

// stepLogLimit reads FERRY_STEP_LOG_LIMIT: a size in bytes, or with a
// KiB, MiB or GiB suffix; "off" for no cap; unset or 0 for the default.
// It returns the value for commandkind.Kind.LogLimit (-1: no cap).
func (m *Main) stepLogLimit() (int64, error) {
	s := strings.TrimSpace(m.Getenv(envStepLogLimit))
	switch s {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%s=%s: want a size such as 1048576, 512KiB, 64MiB or 1GiB, or off", envStepLogLimit, quote.Value(m.Getenv(envStepLogLimit)))
	}
	return n * mult, nil
}
