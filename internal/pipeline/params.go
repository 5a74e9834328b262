package pipeline

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CoerceParams returns every parameter's typed value for one execution:
// the override (a -p name=value string) converted to the parameter's type,
// else its default. Values are string, int64, float64 or bool. All
// problems come back together, each naming the parameter: an unknown
// name, a value that does not fit the type or the enum, a parameter with
// neither value nor default.
func (p *Pipeline) CoerceParams(overrides map[string]string) (map[string]any, error) {
	var errs []error
	out := make(map[string]any, len(p.Parameters))
	for _, name := range sortedKeys(overrides) {
		if p.Param(name) == nil {
			errs = append(errs, fmt.Errorf("parameter %q: unknown parameter%s", name, (&checker{p: p}).paramHint()))
		}
	}
	for _, pr := range p.Parameters {
		raw, ok := overrides[pr.Name]
		if !ok {
			if !pr.HasDefault {
				errs = append(errs, fmt.Errorf("parameter %q: no value given and no default (set it with -p %s=VALUE)", pr.Name, pr.Name))
				continue
			}
			out[pr.Name] = pr.Default
			continue
		}
		v, err := pr.Coerce(raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[pr.Name] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Coerce converts a string value (from the command line or an API) to the
// parameter's type and checks it against the enum.
func (pr *Parameter) Coerce(raw string) (any, error) {
	if pr.Secret {
		// A secret is a string without enum (checked when parsed): any
		// value fits, and no message may quote it.
		return raw, nil
	}
	var v any
	switch pr.Type {
	case ParamInteger:
		i, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %q is not an integer", pr.Name, raw)
		}
		v = i
	case ParamFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("parameter %q: %q is not a finite number", pr.Name, raw)
		}
		v = f
	case ParamBoolean:
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "true", "1", "yes":
			v = true
		case "false", "0", "no":
			v = false
		default:
			return nil, fmt.Errorf("parameter %q: %q is not a boolean (true or false)", pr.Name, raw)
		}
	case ParamString, "":
		v = raw
	default:
		return nil, fmt.Errorf("parameter %q: unknown type %q", pr.Name, pr.Type)
	}
	if len(pr.Enum) > 0 && !inEnum(pr.Enum, v) {
		return nil, fmt.Errorf("parameter %q: %q is not one of %s", pr.Name, raw, enumList(pr.Enum))
	}
	return v, nil
}
