package command

import (
	"fmt"
	"io"
)

// DefaultLogLimit is the most bytes of program output (stdout and stderr
// together) that one attempt writes to the step log when Kind.LogLimit is
// zero.
const DefaultLogLimit = 64 << 20

// logLimit returns the cap for one attempt's output; <= 0: none.
func (k *Kind) logLimit() int64 {
	switch {
	case k.LogLimit == 0:
		return DefaultLogLimit
	case k.LogLimit < 0:
		return 0
	}
	return k.LogLimit
}

// capWriter passes at most limit bytes to w, then writes a marker once
// and discards the rest (reporting it written, so the program is not
// disturbed).
type capWriter struct {
	w     io.Writer
	limit int64
	n     int64
	cut   bool
}

func capLog(w io.Writer, limit int64) io.Writer {
	if limit <= 0 {
		return w
	}
	return &capWriter{w: w, limit: limit}
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.cut {
		return len(p), nil
	}
	if room := c.limit - c.n; int64(len(p)) > room {
		if _, err := c.w.Write(p[:room]); err != nil {
			return 0, err
		}
		c.n, c.cut = c.limit, true
		fmt.Fprintf(c.w, "\n--- log truncated: the program wrote more than %d bytes; the rest of this attempt's output is discarded\n", c.limit)
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
