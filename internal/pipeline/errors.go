package pipeline

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ValidationError is one problem in a definition, located by file, line
// and column, step and field.
type ValidationError struct {
	File string
	Pos  Pos // zero when unknown; Column is 0 when only the line is known
	// Step is the step's name, empty for pipeline-level problems.
	Step string
	// Field is a dotted path inside the step ("inputs.train",
	// "retry.max_attempts") or, for pipeline-level problems, inside the
	// definition ("parameters.auc_threshold.default").
	Field string
	Msg   string
}

// Error formats the problem as
//
//	file.yaml:12:5: step "train": field "inputs.train": unknown step "prep" in reference steps.prep.outputs.train
//
// leaving out the parts that are unknown.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Pos.Line > 0 {
		b.WriteString(strconv.Itoa(e.Pos.Line))
		b.WriteString(":")
		if e.Pos.Column > 0 {
			b.WriteString(strconv.Itoa(e.Pos.Column))
			b.WriteString(":")
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Step != "" {
		fmt.Fprintf(&b, "step %q: ", e.Step)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ValidationErrors is every problem found in a definition, in file order.
type ValidationErrors struct {
	Errs []*ValidationError
}

// Error lists the problems one per line.
func (e *ValidationErrors) Error() string {
	lines := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems, so errors.As finds a
// *ValidationError.
func (e *ValidationErrors) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, err := range e.Errs {
		out[i] = err
	}
	return out
}

// errList collects problems while parsing or validating.
type errList struct {
	file string
	errs []*ValidationError
}

func (l *errList) add(pos Pos, stepName, field, format string, args ...any) {
	l.errs = append(l.errs, &ValidationError{
		File: l.file, Pos: pos, Step: stepName, Field: field, Msg: fmt.Sprintf(format, args...),
	})
}

// err returns nil or the sorted, de-duplicated *ValidationErrors.
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	return &ValidationErrors{Errs: sortErrors(l.errs)}
}

func sortErrors(errs []*ValidationError) []*ValidationError {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.Pos.Column < b.Pos.Column
	})
	out := errs[:0]
	seen := make(map[string]bool, len(errs))
	for _, e := range errs {
		k := e.Error()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// MergeErrors combines the problems of several errors (typically Parse's
// and Validate's) into one *ValidationErrors in file order. Errors that are
// not validation errors are kept as position-less problems. It returns nil
// when there are none.
func MergeErrors(errs ...error) error {
	var all []*ValidationError
	for _, err := range errs {
		switch e := err.(type) {
		case nil:
		case *ValidationErrors:
			all = append(all, e.Errs...)
		case *ValidationError:
			all = append(all, e)
		default:
			all = append(all, &ValidationError{Msg: err.Error()})
		}
	}
	if len(all) == 0 {
		return nil
	}
	return &ValidationErrors{Errs: sortErrors(append([]*ValidationError(nil), all...))}
}
