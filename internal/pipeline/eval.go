package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Scope supplies the values references read when an expression is
// evaluated. The engine implements it for one execution.
type Scope interface {
	// Param returns a parameter's typed value (string, int64, float64 or
	// bool).
	Param(name string) (any, bool)
	// Execution returns an execution variable: ExecID, ExecStartTime,
	// ExecCurrentTime or ExecPipelineName.
	Execution(name string) (any, bool)
	// StepOutput returns an output's artifact reference string.
	StepOutput(step, output string) (string, bool)
	// StepProperty returns a property's whole value; a property file is its
	// parsed JSON.
	StepProperty(step, property string) (any, bool)
}

// Eval evaluates the expression against s. Values are string, int64,
// float64, bool, nil, []any or map[string]any. Errors are *ExprError
// locating the failing part of the expression.
func (e *Expr) Eval(s Scope) (any, error) {
	if e == nil || e.root == nil {
		return nil, &ExprError{Msg: "empty expression"}
	}
	v, err := eval(e.root, s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func evalErr(n exprNode, format string, args ...any) *ExprError {
	return &ExprError{Offset: n.offset(), Msg: fmt.Sprintf(format, args...)}
}

func eval(n exprNode, s Scope) (any, *ExprError) {
	switch n := n.(type) {
	case *litNode:
		return n.val, nil
	case *listNode:
		out := make([]any, 0, len(n.elems))
		for _, el := range n.elems {
			v, err := eval(el, s)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *refNode:
		return evalRef(n, s)
	case *unaryNode:
		v, err := eval(n.x, s)
		if err != nil {
			return nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return nil, evalErr(n, "not needs a boolean, got %s", describeValue(v))
		}
		return !b, nil
	case *binaryNode:
		return evalBinary(n, s)
	case *callNode:
		return evalCall(n, s)
	}
	return nil, &ExprError{Msg: fmt.Sprintf("unknown expression node %T", n)}
}

func evalRef(n *refNode, s Scope) (any, *ExprError) {
	switch n.root {
	case rootParams:
		v, ok := s.Param(n.name)
		if !ok {
			return nil, evalErr(n, "no value for parameter %q", n.name)
		}
		return v, nil
	case rootExecution:
		v, ok := s.Execution(n.name)
		if !ok {
			return nil, evalErr(n, "no value for execution variable %q", n.name)
		}
		return v, nil
	}
	if n.output != "" {
		v, ok := s.StepOutput(n.name, n.output)
		if !ok {
			return nil, evalErr(n, "step %q has no output %q", n.name, n.output)
		}
		return v, nil
	}
	v, ok := s.StepProperty(n.name, n.prop)
	if !ok {
		return nil, evalErr(n, "step %q has no property %q", n.name, n.prop)
	}
	for i, el := range n.path {
		at := (&refNode{root: n.root, name: n.name, prop: n.prop, path: n.path[:i]}).String()
		switch {
		case el.isIndex:
			list, ok := v.([]any)
			if !ok {
				return nil, evalErr(n, "%s is %s, not a list", at, describeValue(v))
			}
			if el.index >= len(list) {
				return nil, evalErr(n, "%s has %d elements, no index %d", at, len(list), el.index)
			}
			v = list[el.index]
		default:
			if list, ok := v.([]any); ok {
				// ['name'] on a list picks the element named so, as
				// SageMaker property paths do (Outputs['train']).
				named, found := namedElement(list, el.key)
				if !found {
					return nil, evalErr(n, "%s has no element named %q", at, el.key)
				}
				v = named
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, evalErr(n, "%s is %s, not an object", at, describeValue(v))
			}
			child, ok := m[el.key]
			if !ok {
				return nil, evalErr(n, "%s has no field %q", at, el.key)
			}
			v = child
		}
	}
	return normalizeNumber(v), nil
}

// namedElement finds the element of a list of objects that a field whose
// name ends in "Name" (OutputName, MetricName, ChannelName, Name) names
// key: the way SageMaker property paths index lists.
func namedElement(list []any, key string) (any, bool) {
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			continue
		}
		for _, f := range sortedKeys(m) {
			if s, ok := m[f].(string); ok && s == key && strings.HasSuffix(f, "Name") {
				return el, true
			}
		}
	}
	return nil, false
}

// normalizeNumber turns the numeric types JSON decoding and callers produce
// into int64 or float64.
func normalizeNumber(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
	}
	return v
}

func evalBinary(n *binaryNode, s Scope) (any, *ExprError) {
	x, err := eval(n.x, s)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "and", "or":
		xb, ok := x.(bool)
		if !ok {
			return nil, evalErr(n, "%s needs booleans, got %s on the left", n.op, describeValue(x))
		}
		if n.op == "and" && !xb || n.op == "or" && xb {
			return xb, nil
		}
		y, err := eval(n.y, s)
		if err != nil {
			return nil, err
		}
		yb, ok := y.(bool)
		if !ok {
			return nil, evalErr(n, "%s needs booleans, got %s on the right", n.op, describeValue(y))
		}
		return yb, nil
	}
	y, err := eval(n.y, s)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "==", "!=":
		eq, err := equal(n, x, y)
		if err != nil {
			return nil, err
		}
		return eq == (n.op == "=="), nil
	case "in", "not in":
		list, ok := y.([]any)
		if !ok {
			return nil, evalErr(n, "%s needs a list on the right, got %s", n.op, describeValue(y))
		}
		found := false
		for _, el := range list {
			eq, err := equal(n, x, normalizeNumber(el))
			if err != nil {
				return nil, err
			}
			if eq {
				found = true
				break
			}
		}
		return found == (n.op == "in"), nil
	}
	c, err := order(n, x, y)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return nil, evalErr(n, "unknown operator %q", n.op)
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// equal compares two values: numbers numerically, strings, booleans, lists
// element-wise; null equals only null. Other mixes are a type error.
func equal(n exprNode, x, y any) (bool, *ExprError) {
	if x == nil || y == nil {
		return x == nil && y == nil, nil
	}
	if xi, ok := x.(int64); ok {
		if yi, ok := y.(int64); ok {
			return xi == yi, nil
		}
	}
	if xf, ok := asFloat(x); ok {
		if yf, ok := asFloat(y); ok {
			return xf == yf, nil
		}
	}
	switch xv := x.(type) {
	case string:
		if yv, ok := y.(string); ok {
			return xv == yv, nil
		}
	case bool:
		if yv, ok := y.(bool); ok {
			return xv == yv, nil
		}
	case []any:
		if yv, ok := y.([]any); ok {
			if len(xv) != len(yv) {
				return false, nil
			}
			for i := range xv {
				eq, err := equal(n, normalizeNumber(xv[i]), normalizeNumber(yv[i]))
				if err != nil || !eq {
					return false, err
				}
			}
			return true, nil
		}
	}
	return false, evalErr(n, "cannot compare %s with %s", describeValue(x), describeValue(y))
}

// order compares numbers numerically and strings lexically.
func order(n exprNode, x, y any) (int, *ExprError) {
	if xi, ok := x.(int64); ok {
		if yi, ok := y.(int64); ok {
			switch {
			case xi < yi:
				return -1, nil
			case xi > yi:
				return 1, nil
			}
			return 0, nil
		}
	}
	if xf, ok := asFloat(x); ok {
		if yf, ok := asFloat(y); ok {
			if math.IsNaN(xf) || math.IsNaN(yf) {
				return 0, evalErr(n, "cannot order NaN")
			}
			switch {
			case xf < yf:
				return -1, nil
			case xf > yf:
				return 1, nil
			}
			return 0, nil
		}
	}
	if xs, ok := x.(string); ok {
		if ys, ok := y.(string); ok {
			return strings.Compare(xs, ys), nil
		}
	}
	return 0, evalErr(n, "cannot order %s and %s with %s (numbers or strings only)", describeValue(x), describeValue(y), opText(n))
}

func opText(n exprNode) string {
	if b, ok := n.(*binaryNode); ok {
		return b.op
	}
	return "?"
}

func evalCall(n *callNode, s Scope) (any, *ExprError) {
	args := make([]any, 0, len(n.args))
	for _, a := range n.args {
		v, err := eval(a, s)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	switch n.fn {
	case "string":
		if len(args) != 1 {
			return nil, evalErr(n, "string takes 1 argument, got %d", len(args))
		}
		return Stringify(args[0]), nil
	case "join":
		if len(args) < 1 {
			return nil, evalErr(n, "join needs a separator")
		}
		sep, ok := args[0].(string)
		if !ok {
			return nil, evalErr(n, "join's separator must be a string, got %s", describeValue(args[0]))
		}
		var parts []string
		for _, a := range args[1:] {
			if list, ok := a.([]any); ok {
				for _, el := range list {
					parts = append(parts, Stringify(el))
				}
				continue
			}
			parts = append(parts, Stringify(a))
		}
		return strings.Join(parts, sep), nil
	}
	return nil, evalErr(n, "unknown function %q", n.fn)
}

// Stringify converts a value to the string that string(x) and template
// interpolation produce: strings as they are, integers in decimal, floats
// in the shortest form that round-trips, booleans as true/false, null as
// the empty string, lists and objects as compact JSON.
func Stringify(v any) string {
	switch x := normalizeNumber(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// describeValue names a value's type and shows it, for error messages.
func describeValue(v any) string {
	switch x := normalizeNumber(v).(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return "string " + strconv.Quote(x)
	case int64:
		return "integer " + strconv.FormatInt(x, 10)
	case float64:
		return "float " + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
