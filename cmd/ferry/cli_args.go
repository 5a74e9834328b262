package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
)

// parseArgs parses a subcommand's flags, which may come before or after
// its positional arguments, checks --output when output is not nil, and
// wants exactly n positional arguments (n < 0: any number); with another
// number it returns wrong(pos), the command's own usage error.
func parseArgs(fs *flag.FlagSet, args []string, output *string, n int, wrong func(pos []string) error) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if output != nil {
		if err := checkOutput(*output); err != nil {
			return nil, err
		}
	}
	if n >= 0 && len(pos) != n {
		return nil, wrong(pos)
	}
	return pos, nil
}

// showUsage is a wrong-count error for parseArgs that prints the flag
// set's usage, then ends with status 2 and msg.
func showUsage(fs *flag.FlagSet, msg string) func([]string) error {
	return func([]string) error {
		fs.Usage()
		return &exitError{2, msg}
	}
}

// usageLine is a wrong-count error for parseArgs that ends with status 2
// and a one-line message.
func usageLine(format string, args ...any) func([]string) error {
	return func([]string) error { return usageError(format, args...) }
}

// unexpectedArg is the wrong-count error of a command that takes no
// positional arguments.
func unexpectedArg(pos []string) error {
	return usageError("unexpected argument %q", pos[0])
}

// usageError ends a command with status 2 and a message.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

// emit writes v as indented JSON when output is "json", else calls text.
func (m *Main) emit(output string, v any, text func() error) error {
	if output == "json" {
		return writeJSON(m.Stdout, v)
	}
	return text()
}

// writeTable writes a table: the tab-separated header, then what rows
// writes, aligned in columns.
func writeTable(w io.Writer, header string, rows func(tw io.Writer)) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	return tw.Flush()
}
