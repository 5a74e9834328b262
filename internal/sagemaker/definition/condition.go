package definition

import (
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/pipeline"
)

// comparisons maps the binary condition types to operators.
var comparisons = map[string]string{
	"Equals":               "==",
	"NotEquals":            "!=",
	"GreaterThan":          ">",
	"GreaterThanOrEqualTo": ">=",
	"LessThan":             "<",
	"LessThanOrEqualTo":    "<=",
}

var conditionTypes = []string{"Equals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "In", "Not", "Or", "NotEquals", "NotIn"}

// condition translates a Condition step: its Conditions (an implicit
// AND) become the step's If; IfSteps and ElseSteps the steps it gates.
func (t *translator) condition(s *smStep, args *node) {
	at := s.path + ".Arguments"
	if args == nil || args.kind != kindObject {
		t.add(s.n.pos, s.name, at, "a Condition step needs Arguments with Conditions, IfSteps and ElseSteps")
		return
	}
	for i, k := range args.keys {
		if k != "Conditions" && k != "IfSteps" && k != "ElseSteps" {
			t.add(args.keyPos[i], s.name, at+"."+k, "unknown key %q of a Condition step's Arguments (known: Conditions, IfSteps, ElseSteps)", k)
		}
	}
	conds := args.get("Conditions")
	s.st.ArgPos["if"] = s.n.pos
	if conds == nil || conds.kind != kindArray || len(conds.elems) == 0 {
		t.add(args.pos, s.name, at+".Conditions", "a Condition step needs Conditions, a non-empty list")
	} else {
		s.st.ArgPos["if"] = conds.pos
		var parts []string
		ok := true
		for i, c := range conds.elems {
			src, good := t.cond(s, c, fmt.Sprintf("Arguments.Conditions[%d]", i), 0)
			ok = ok && good
			parts = append(parts, src)
		}
		if ok {
			src := strings.Join(parts, " and ")
			e, err := pipeline.ParseExpr(src)
			if err != nil {
				t.add(conds.pos, s.name, at+".Conditions", "translating the conditions (%s): %v", src, err)
			} else {
				s.st.If = e
			}
		}
	}
	for _, b := range []struct {
		key  string
		dst  *[]string
		name string
	}{{"IfSteps", &s.st.Then, pipeline.BranchThen}, {"ElseSteps", &s.st.Else, pipeline.BranchElse}} {
		list := args.get(b.key)
		if list == nil {
			continue
		}
		if list.kind != kindArray {
			t.add(list.pos, s.name, at+"."+b.key, "%s must be a list of steps, got %s", b.key, list.describe())
			continue
		}
		for _, e := range list.elems {
			if name := e.get("Name"); name != nil && name.kind == kindString {
				if child := t.steps[name.str]; child != nil && child.n == e {
					*b.dst = append(*b.dst, name.str)
					child.gate, child.branch = s, b.name
				}
			}
		}
	}
}

// maxCondDepth bounds Not/Or nesting.
const maxCondDepth = 50

// cond translates one condition object into a boolean expression.
func (t *translator) cond(s *smStep, c *node, jpath string, depth int) (string, bool) {
	field := s.path + "." + jpath
	if depth > maxCondDepth {
		t.add(c.pos, s.name, field, "conditions nested more than %d levels deep", maxCondDepth)
		return "", false
	}
	if c.kind != kindObject {
		t.add(c.pos, s.name, field, "a condition must be an object with Type, got %s", c.describe())
		return "", false
	}
	typ := c.get("Type")
	if typ == nil || typ.kind != kindString {
		t.add(c.pos, s.name, field, "a condition needs Type (one of %s)", strings.Join(conditionTypes[:8], ", "))
		return "", false
	}
	keys := func(allowed ...string) bool {
		ok := true
		for i, k := range c.keys {
			if k != "Type" && !contains(allowed, k) {
				t.add(c.keyPos[i], s.name, field+"."+k, "unknown key %q of a %s condition (known: Type, %s)", k, typ.str, strings.Join(allowed, ", "))
				ok = false
			}
		}
		return ok
	}
	need := func(key string, alt ...string) *node {
		for _, k := range append([]string{key}, alt...) {
			if v := c.get(k); v != nil {
				return v
			}
		}
		t.add(c.pos, s.name, field, "%s %s condition needs %s", article(typ.str), typ.str, key)
		return nil
	}
	if op, ok := comparisons[typ.str]; ok {
		if !keys("LeftValue", "RightValue") {
			return "", false
		}
		l, r := need("LeftValue"), need("RightValue")
		if l == nil || r == nil {
			return "", false
		}
		ls, lok := t.operand(s, l, jpath+".LeftValue")
		rs, rok := t.operand(s, r, jpath+".RightValue")
		if !lok || !rok {
			return "", false
		}
		return "(" + ls + " " + op + " " + rs + ")", true
	}
	switch typ.str {
	case "In", "NotIn":
		// The SDK writes QueryValue and Values; the published schema
		// Value and In.
		if !keys("QueryValue", "Values", "Value", "In") {
			return "", false
		}
		q, vals := need("QueryValue", "Value"), need("Values", "In")
		if q == nil || vals == nil {
			return "", false
		}
		qs, ok := t.operand(s, q, jpath+".QueryValue")
		if vals.kind != kindArray || len(vals.elems) == 0 {
			t.add(vals.pos, s.name, field+".Values", "an In condition needs Values, a non-empty list")
			return "", false
		}
		var elems []string
		for i, v := range vals.elems {
			src, good := t.operand(s, v, fmt.Sprintf("%s.Values[%d]", jpath, i))
			ok = ok && good
			elems = append(elems, src)
		}
		if !ok {
			return "", false
		}
		op := " in "
		if typ.str == "NotIn" {
			op = " not in "
		}
		return "(" + qs + op + "[" + strings.Join(elems, ", ") + "])", true
	case "Not":
		// Older SDKs wrote Expression; the service wants Condition.
		if !keys("Condition", "Expression") {
			return "", false
		}
		inner := need("Condition", "Expression")
		if inner == nil {
			return "", false
		}
		src, ok := t.cond(s, inner, jpath+".Condition", depth+1)
		if !ok {
			return "", false
		}
		return "(not " + src + ")", true
	case "Or":
		if !keys("Conditions") {
			return "", false
		}
		list := need("Conditions")
		if list == nil {
			return "", false
		}
		if list.kind != kindArray || len(list.elems) == 0 {
			t.add(list.pos, s.name, field+".Conditions", "an Or condition needs Conditions, a non-empty list")
			return "", false
		}
		var parts []string
		ok := true
		for i, e := range list.elems {
			src, good := t.cond(s, e, fmt.Sprintf("%s.Conditions[%d]", jpath, i), depth+1)
			ok = ok && good
			parts = append(parts, src)
		}
		if !ok {
			return "", false
		}
		return "(" + strings.Join(parts, " or ") + ")", true
	}
	t.add(typ.pos, s.name, field+".Type", "unknown condition type %q%s", typ.str, hint(typ.str, conditionTypes[:8]))
	return "", false
}

// article returns "an" before a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
