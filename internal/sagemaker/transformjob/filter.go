package transformjob

import (
	"fmt"
	"strconv"
	"strings"
)

// filter is a CSV column selection written as the JSONPath subset that
// SageMaker's DataProcessing filters use on CSV records: "$" (all),
// "$[i]", "$[a:b]" (either bound optional) and "$[i,j,...]", with
// negative indexes counting from the end.
type filter struct {
	all        bool
	list       []int
	slice      bool
	from, to   int
	hasFrom    bool
	hasTo      bool
	expression string
}

func parseFilter(s string) (*filter, error) {
	s = strings.TrimSpace(s)
	f := &filter{expression: s}
	if s == "" || s == "$" {
		f.all = true
		return f, nil
	}
	inner, ok := strings.CutPrefix(s, "$[")
	if !ok || !strings.HasSuffix(inner, "]") {
		return nil, fmt.Errorf("filter %q: Ferry supports $, $[i], $[a:b] and $[i,j,...] on CSV records", s)
	}
	inner = strings.TrimSuffix(inner, "]")
	if a, b, isSlice := strings.Cut(inner, ":"); isSlice {
		f.slice = true
		var err error
		if strings.TrimSpace(a) != "" {
			if f.from, err = strconv.Atoi(strings.TrimSpace(a)); err != nil {
				return nil, fmt.Errorf("filter %q: %w", s, err)
			}
			f.hasFrom = true
		}
		if strings.TrimSpace(b) != "" {
			if f.to, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
				return nil, fmt.Errorf("filter %q: %w", s, err)
			}
			f.hasTo = true
		}
		return f, nil
	}
	for _, p := range strings.Split(inner, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("filter %q: %w", s, err)
		}
		f.list = append(f.list, i)
	}
	return f, nil
}

// apply selects the fields of one CSV record.
func (f *filter) apply(fields []string) ([]string, error) {
	if f.all {
		return fields, nil
	}
	n := len(fields)
	norm := func(i int) int {
		if i < 0 {
			return n + i
		}
		return i
	}
	if f.slice {
		from, to := 0, n
		// Clamped to [0, n] as Python's slices are ($[:-5] of a short record
		// is empty, not an error).
		if f.hasFrom {
			from = min(n, max(0, norm(f.from)))
		}
		if f.hasTo {
			to = min(n, max(0, norm(f.to)))
		}
		if from > to {
			from = to
		}
		return fields[from:to], nil
	}
	out := make([]string, 0, len(f.list))
	for _, i := range f.list {
		j := norm(i)
		if j < 0 || j >= n {
			return nil, fmt.Errorf("filter %s: index %d out of range for a record of %d fields", f.expression, i, n)
		}
		out = append(out, fields[j])
	}
	return out, nil
}
