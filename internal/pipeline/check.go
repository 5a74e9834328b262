package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/step"
)

// vtype is an expression's static type.
type vtype int

const (
	tUnknown vtype = iota
	tString
	tInt
	tFloat
	tBool
	tNull
	tList
	tObject
	tArtifact
)

// String names the type in messages.
func (t vtype) String() string {
	switch t {
	case tString:
		return "string"
	case tInt:
		return "integer"
	case tFloat:
		return "float"
	case tBool:
		return "boolean"
	case tNull:
		return "null"
	case tList:
		return "list"
	case tObject:
		return "object"
	case tArtifact:
		return "artifact"
	}
	return "any"
}

func (t vtype) numeric() bool { return t == tInt || t == tFloat }

// stepType converts a Spec type to a static type.
func fromStepType(t step.Type) vtype {
	switch t {
	case step.String:
		return tString
	case step.Integer:
		return tInt
	case step.Float:
		return tFloat
	case step.Boolean:
		return tBool
	case step.Artifact:
		return tArtifact
	case step.StringList, step.List:
		return tList
	case step.ArtifactMap, step.StringMap, step.Object:
		return tObject
	}
	return tUnknown
}

// toStepType converts a static type to the Spec type a RefPlaceholder
// carries ("" when unknown).
func (t vtype) stepType() step.Type {
	switch t {
	case tString:
		return step.String
	case tInt:
		return step.Integer
	case tFloat:
		return step.Float
	case tBool:
		return step.Boolean
	case tArtifact:
		return step.Artifact
	case tList:
		return step.List
	case tObject:
		return step.Object
	}
	return step.Any
}

// typed is a checked expression node: its type and how to name it in a
// message.
type typed struct {
	t    vtype
	desc string
}

// checker type-checks expressions against a pipeline and its kinds.
type checker struct {
	p     *Pipeline
	kinds KindLookup
	// report records a problem at byte offset off of the expression.
	report func(off int, format string, args ...any)
}

func (c *checker) check(n exprNode) typed {
	switch n := n.(type) {
	case *litNode:
		switch v := n.val.(type) {
		case nil:
			return typed{tNull, "null"}
		case string:
			return typed{tString, describeValue(v)}
		case int64:
			return typed{tInt, describeValue(v)}
		case float64:
			return typed{tFloat, describeValue(v)}
		case bool:
			return typed{tBool, describeValue(v)}
		}
	case *listNode:
		for _, el := range n.elems {
			c.check(el)
		}
		return typed{tList, "a list"}
	case *refNode:
		return c.checkRef(n)
	case *unaryNode:
		x := c.check(n.x)
		if x.t != tUnknown && x.t != tBool {
			c.report(n.off, "type mismatch: not needs a boolean, got %s", x.desc)
		}
		return typed{tBool, "a boolean"}
	case *binaryNode:
		return c.checkBinary(n)
	case *callNode:
		for _, a := range n.args {
			c.check(a)
		}
		if n.fn == "join" && len(n.args) > 0 {
			if sep := c.check(n.args[0]); sep.t != tUnknown && sep.t != tString && sep.t != tArtifact {
				c.report(n.args[0].offset(), "type mismatch: join's separator must be a string, got %s", sep.desc)
			}
		}
		return typed{tString, "string " + n.fn + "(...)"}
	}
	return typed{tUnknown, "a value"}
}

func (c *checker) checkBinary(n *binaryNode) typed {
	x, y := c.check(n.x), c.check(n.y)
	switch n.op {
	case "and", "or":
		for _, side := range []typed{x, y} {
			if side.t != tUnknown && side.t != tBool {
				c.report(n.off, "type mismatch: %s needs booleans, got %s", n.op, side.desc)
			}
		}
	case "==", "!=":
		if !comparable(x.t, y.t) {
			c.report(n.off, "type mismatch: cannot compare %s with %s", x.desc, y.desc)
		}
	case "<", "<=", ">", ">=":
		switch {
		case x.t == tUnknown || y.t == tUnknown:
			if ok := orderable(x.t) && orderable(y.t); !ok {
				c.report(n.off, "type mismatch: %s orders numbers or strings, got %s and %s", n.op, x.desc, y.desc)
			}
		case x.t.numeric() && y.t.numeric(), isStringy(x.t) && isStringy(y.t):
		default:
			c.report(n.off, "type mismatch: cannot order %s and %s with %s", x.desc, y.desc, n.op)
		}
	case "in", "not in":
		if y.t != tUnknown && y.t != tList {
			c.report(n.off, "type mismatch: %s needs a list on the right, got %s", n.op, y.desc)
		}
		if l, ok := n.y.(*listNode); ok {
			for _, el := range l.elems {
				if et := c.typeOnly(el); !comparable(x.t, et.t) {
					c.report(el.offset(), "type mismatch: cannot compare %s with %s", x.desc, et.desc)
				}
			}
		}
	}
	return typed{tBool, "a boolean"}
}

// typeOnly types a node without reporting (it was checked already).
func (c *checker) typeOnly(n exprNode) typed {
	saved := c.report
	c.report = func(int, string, ...any) {}
	t := c.check(n)
	c.report = saved
	return t
}

func isStringy(t vtype) bool { return t == tString || t == tArtifact }

func orderable(t vtype) bool { return t == tUnknown || t.numeric() || isStringy(t) }

func comparable(a, b vtype) bool {
	switch {
	case a == tUnknown || b == tUnknown || a == tNull || b == tNull:
		return true
	case a.numeric() && b.numeric():
		return true
	case isStringy(a) && isStringy(b):
		return true
	}
	return a == b
}

func (c *checker) checkRef(n *refNode) typed {
	ref := n.String()
	switch n.root {
	case rootParams:
		pr := c.p.Param(n.name)
		if pr == nil {
			hint := c.paramHint()
			if s := suggest(n.name, c.paramNames()); s != "" {
				hint = fmt.Sprintf("; did you mean %q?", s)
			}
			c.report(n.off, "unknown parameter %q in reference %s%s", n.name, ref, hint)
			return typed{tUnknown, ref}
		}
		t := tString
		switch pr.Type {
		case ParamInteger:
			t = tInt
		case ParamFloat:
			t = tFloat
		case ParamBoolean:
			t = tBool
		}
		return typed{t, fmt.Sprintf("%s parameter %s", t, ref)}
	case rootExecution:
		return typed{tString, "string " + ref}
	}
	st := c.p.Step(n.name)
	if st == nil {
		c.report(n.off, "unknown step %q in reference %s%s", n.name, ref, didYouMean(n.name, c.p.stepNames()))
		return typed{tUnknown, ref}
	}
	if n.output != "" {
		return c.checkOutputRef(n, st, ref)
	}
	return c.checkPropertyRef(n, st, ref)
}

func (c *checker) paramHint() string {
	if len(c.p.Parameters) == 0 {
		return " (the pipeline declares no parameters)"
	}
	return " (parameters: " + strings.Join(c.paramNames(), ", ") + ")"
}

func (c *checker) paramNames() []string {
	names := make([]string, len(c.p.Parameters))
	for i, pr := range c.p.Parameters {
		names[i] = pr.Name
	}
	return names
}

func (c *checker) spec(st *Step) (step.Spec, bool) {
	if st.Kind == "" || st.Kind == KindCondition || c.kinds == nil {
		return step.Spec{}, false
	}
	k, ok := c.kinds.Lookup(st.Kind)
	if !ok {
		return step.Spec{}, false
	}
	return k.Spec(), true
}

// stepOutputs returns the output names a step declares, and false when
// they cannot be known before the run.
func (c *checker) stepOutputs(st *Step) ([]string, bool) {
	if st.Kind == KindCondition {
		return nil, true
	}
	if c.kinds == nil {
		return nil, false
	}
	k, ok := c.kinds.Lookup(st.Kind)
	if !ok {
		return nil, false
	}
	spec := k.Spec()
	if !spec.DynamicOutputs {
		names := make([]string, len(spec.Outputs))
		for i, f := range spec.Outputs {
			names[i] = f.Name
		}
		return names, true
	}
	if _, given := st.Args[argOutputs]; given {
		return dynamicOutputs(st)
	}
	if namer, ok := k.(OutputNamer); ok {
		return namer.OutputNames(st.Args)
	}
	return nil, false
}

// OutputNamer is implemented by kinds with Spec.DynamicOutputs whose
// outputs, when a step has no "outputs" list, follow from its other
// arguments (a processing step's processor, for example). args are the
// step's literal arguments (templates left as strings); ok=false means the
// names cannot be known before the run. Without it, such a step's outputs
// are not checked until it runs. A kind implements it without importing
// this package.
type OutputNamer interface {
	OutputNames(args map[string]any) (names []string, ok bool)
}

// dynamicOutputs reads the literal "outputs" argument.
func dynamicOutputs(st *Step) ([]string, bool) {
	list, ok := st.Args[argOutputs].([]any)
	if !ok {
		return nil, false
	}
	var names []string
	for _, v := range list {
		s, ok := v.(string)
		if !ok || hasTemplate(s) {
			return nil, false
		}
		names = append(names, s)
	}
	return names, true
}

// argOutputs is the argument that declares outputs for kinds with
// DynamicOutputs.
const argOutputs = "outputs"

func (c *checker) checkOutputRef(n *refNode, st *Step, ref string) typed {
	names, known := c.stepOutputs(st)
	if !known {
		return typed{tArtifact, "artifact " + ref}
	}
	for _, name := range names {
		if name == n.output {
			return typed{tArtifact, "artifact " + ref}
		}
	}
	switch {
	case st.Kind == KindCondition:
		c.report(n.off, "condition step %q has no outputs (reference %s)", st.Name, ref)
	case len(names) == 0:
		c.report(n.off, "step %q (kind %s) declares no outputs, so it has no output %q", st.Name, st.Kind, n.output)
	default:
		hint := didYouMean(n.output, names)
		if hint == "" {
			hint = " (outputs: " + strings.Join(names, ", ") + ")"
		}
		c.report(n.off, "step %q (kind %s) has no output %q%s", st.Name, st.Kind, n.output, hint)
	}
	return typed{tArtifact, "artifact " + ref}
}

// condition steps expose their outcome.
const propOutcome = PropOutcome

func (c *checker) checkPropertyRef(n *refNode, st *Step, ref string) typed {
	if st.Kind == KindCondition {
		if n.prop != propOutcome {
			c.report(n.off, "condition step %q has no property %q (it has outcome)", st.Name, n.prop)
			return typed{tUnknown, ref}
		}
		return c.pathInto(n, typed{tBool, "boolean " + ref}, ref)
	}
	if _, ok := st.PropertyFiles[n.prop]; ok {
		return typed{tUnknown, ref}
	}
	spec, ok := c.spec(st)
	if !ok {
		return typed{tUnknown, ref}
	}
	for _, f := range spec.Properties {
		if f.Name == n.prop {
			t := fromStepType(f.Type)
			return c.pathInto(n, typed{t, fmt.Sprintf("%s %s", t, ref)}, ref)
		}
	}
	if spec.DynamicProperties {
		return typed{tUnknown, ref}
	}
	var names []string
	for _, f := range spec.Properties {
		names = append(names, f.Name)
	}
	for name := range st.PropertyFiles {
		names = append(names, name+" (property file)")
	}
	sort.Strings(names)
	known := "it has none; declare a property file with property_files"
	if len(names) > 0 {
		known = "known: " + strings.Join(names, ", ")
	}
	c.report(n.off, "step %q (kind %s) does not produce property %q (%s)", st.Name, st.Kind, n.prop, known)
	return typed{tUnknown, ref}
}

// pathInto types a JSON path into a property of static type base.
func (c *checker) pathInto(n *refNode, base typed, ref string) typed {
	if len(n.path) == 0 {
		return base
	}
	switch base.t {
	case tUnknown, tObject, tList:
		return typed{tUnknown, ref}
	}
	c.report(n.off, "property %s of step %q is %s; it has no fields or elements (reference %s)", n.prop, n.name, withArticle(base.t.String()), ref)
	return typed{tUnknown, ref}
}
