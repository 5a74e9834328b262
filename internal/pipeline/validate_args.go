package pipeline

import (
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/step"
)

// checkExpr type-checks one expression, reporting problems at the file
// positions pos gives for byte offsets in the expression.
func (v *validator) checkExpr(st *Step, e *Expr, pos func(off int) Pos) typed {
	field := keyIf
	c := &checker{p: v.p, kinds: v.kinds}
	c.report = func(off int, format string, args ...any) {
		v.errs.add(pos(off), st.Name, field, format, args...)
	}
	return c.check(e.root)
}

// checkTemplate checks the expressions in a string argument and returns
// the value's static type: the expression's for an exact template, else
// string.
func (v *validator) checkTemplate(st *Step, path, s string) typed {
	t, err := parseTemplate(s)
	if err != nil {
		// Parse reported the syntax error.
		return typed{tUnknown, "a template"}
	}
	var result typed
	for _, part := range t.parts {
		if part.expr == nil {
			continue
		}
		base := part.off
		c := &checker{p: v.p, kinds: v.kinds}
		c.report = func(off int, format string, args ...any) {
			v.errs.add(v.stringPos(st, path, s, base+off), st.Name, path, format, args...)
		}
		result = c.check(part.expr.root)
	}
	if t.exact {
		return result
	}
	return typed{tString, "an interpolated string"}
}

// stringPos locates byte offset off of the string argument at path.
func (v *validator) stringPos(st *Step, path, s string, off int) Pos {
	fallback := v.argPos(st, path)
	if st.strs == nil {
		return fallback
	}
	start, ok := st.strs.args[path]
	if !ok {
		return fallback
	}
	return shiftPos(start, fallback, s, off)
}

// accepts reports whether a value of static type t fits an argument of
// Spec type want.
func accepts(want step.Type, t vtype) bool {
	if t == tUnknown || want == step.Any || want == "" {
		return true
	}
	switch want {
	case step.String:
		return t == tString || t == tArtifact
	case step.Integer:
		return t == tInt
	case step.Float:
		return t.numeric()
	case step.Boolean:
		return t == tBool
	case step.Artifact:
		return t == tArtifact || t == tString
	case step.StringList, step.List:
		return t == tList
	case step.ArtifactMap, step.StringMap, step.Object:
		return t == tObject
	}
	return true
}

// literalType is the static type of a literal argument value.
func literalType(a any) vtype {
	switch a.(type) {
	case nil:
		return tNull
	case string:
		return tString
	case int64:
		return tInt
	case float64:
		return tFloat
	case bool:
		return tBool
	case []any:
		return tList
	case map[string]any:
		return tObject
	}
	return tUnknown
}

// typeWord names a Spec type for messages.
func typeWord(t step.Type) string {
	switch t {
	case step.Integer:
		return "an integer"
	case step.Artifact:
		return "an artifact (a local path or ${{ steps.S.outputs.O }})"
	case step.ArtifactMap:
		return "a mapping of names to artifacts"
	case step.StringList:
		return "a list of strings"
	case step.StringMap:
		return "a mapping of strings"
	case step.Object:
		return "an object"
	case step.List:
		return "a list"
	}
	return "a " + string(t)
}

// checkValue checks an argument value (a literal that may hold templates)
// against its Spec field.
func (v *validator) checkValue(st *Step, path string, f step.Field, a any) {
	pos := v.argPos(st, path)
	if name, ok := FromEnv(a); ok {
		v.checkFromEnv(st, path, f, name)
		return
	}
	if s, ok := a.(string); ok && hasTemplate(s) {
		t := v.checkTemplate(st, path, s)
		if !accepts(f.Type, t.t) {
			hint := ""
			if f.Type == step.String && (t.t.numeric() || t.t == tBool) {
				hint = "; convert it with string(...)"
			}
			v.errs.add(pos, st.Name, path, "type mismatch: argument is %s, but gets %s%s", typeWord(f.Type), t.desc, hint)
		}
		return
	}
	lt := literalType(a)
	if lt == tNull {
		if f.Required {
			v.errs.add(pos, st.Name, path, "required argument is null")
		}
		return
	}
	// Containers: check their elements, and templates inside anything.
	switch f.Type {
	case step.ArtifactMap, step.StringMap:
		m, ok := a.(map[string]any)
		if !ok {
			break
		}
		elem := step.Field{Name: f.Name, Type: step.String, Required: true}
		if f.Type == step.ArtifactMap {
			elem.Type = step.Artifact
		}
		for _, k := range sortedKeys(m) {
			v.checkValue(st, path+"."+k, elem, m[k])
		}
		return
	case step.StringList:
		l, ok := a.([]any)
		if !ok {
			break
		}
		for i, el := range l {
			v.checkValue(st, fmt.Sprintf("%s[%d]", path, i), step.Field{Name: f.Name, Type: step.String, Required: true}, el)
		}
		return
	case step.Object, step.List, step.Any, "":
		argTemplates(a, path, func(p, s string) { v.checkTemplate(st, p, s) })
	}
	if !accepts(f.Type, lt) {
		hint := ""
		if f.Type == step.String && (lt == tInt || lt == tFloat || lt == tBool) {
			hint = " (quote it to make it a string)"
		}
		v.errs.add(pos, st.Name, path, "must be %s, got %s%s", typeWord(f.Type), describeValue(a), hint)
		return
	}
	if s, ok := a.(string); ok && len(f.Enum) > 0 && !contains(f.Enum, s) {
		v.errs.add(pos, st.Name, path, "%q is not one of %s", s, strings.Join(f.Enum, ", "))
	}
	if x, ok := asFloat(a); ok {
		if f.Min != nil && x < *f.Min {
			v.errs.add(pos, st.Name, path, "%s is below the minimum %g", Stringify(a), *f.Min)
		}
		if f.Max != nil && x > *f.Max {
			v.errs.add(pos, st.Name, path, "%s is above the maximum %g", Stringify(a), *f.Max)
		}
	}
}

// checkFromEnv checks a {from_env: NAME} value: a portable variable name,
// in a place that takes a string.
func (v *validator) checkFromEnv(st *Step, path string, f step.Field, name string) {
	if !envNamePattern.MatchString(name) {
		v.errs.add(v.argPos(st, path+"."+FromEnvKey), st.Name, path+"."+FromEnvKey,
			"%q is not an environment variable name (letters, digits and _, not starting with a digit)", name)
	}
	if !accepts(f.Type, tString) {
		v.errs.add(v.argPos(st, path), st.Name, path,
			"type mismatch: argument is %s, but {from_env: %s} gives a string", typeWord(f.Type), name)
	}
	if len(f.Enum) > 0 {
		v.errs.add(v.argPos(st, path), st.Name, path,
			"{from_env: %s}: a value from the environment cannot be checked against the choices %s", name, strings.Join(f.Enum, ", "))
	}
}
