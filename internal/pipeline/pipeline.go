// Package pipeline is Ferry's pipeline definition: parsing YAML or JSON
// with source positions, typed parameters, the expression language of
// references and conditions, validation that reports every problem at
// once, and the step graph. It is pure: no I/O beyond the bytes it is
// given, no goroutines.
package pipeline

import (
	"sort"
	"time"
)

// Pipeline is a parsed definition.
type Pipeline struct {
	Name        string
	Version     int // format version; 1
	Description string
	Parameters  []*Parameter
	// Steps holds every step in definition order, including the steps that
	// condition branches name.
	Steps []*Step
	// Parallelism caps concurrently running steps; 0 means no cap.
	Parallelism int
	// File is the definition's file name as given to Parse; relative
	// artifact paths resolve against its directory.
	File string
	// Digest is the sha256 (hex) of the definition's canonical JSON form:
	// the pipeline version id. See [CanonicalJSON].
	Digest string

	// byName indexes Steps and gates maps a gated step to its condition;
	// Parse fills both. A Pipeline built by hand works without them.
	byName    map[string]*Step
	gates     map[string]gate
	canonical []byte
	// parseErrs are Parse's problems, which Validate reports again so
	// that it alone checks everything.
	parseErrs []*ValidationError
}

// gate is the condition branch that gates a step.
type gate struct {
	cond, branch string
}

// ParamType is a parameter's declared type.
type ParamType string

// Parameter types.
const (
	ParamString  ParamType = "string"
	ParamInteger ParamType = "integer"
	ParamFloat   ParamType = "float"
	ParamBoolean ParamType = "boolean"
)

// Parameter is a typed pipeline parameter. Values are string, int64,
// float64 or bool according to Type.
type Parameter struct {
	Name        string
	Type        ParamType
	Default     any
	HasDefault  bool
	Enum        []any
	Description string
	// Secret marks a value that is never shown or stored in plaintext
	// (a string parameter without default or enum; see SecretMask).
	Secret bool
	Pos    Pos
}

// Pos is a location in the definition file (1-based).
type Pos struct {
	Line, Column int
}

// Step is one step of the definition.
type Step struct {
	Name        string
	Kind        string
	Description string
	DisplayName string
	DependsOn   []string
	// Args are the kind's arguments: every key that is not part of the
	// envelope. Values are literals (string, int64, float64, bool, []any,
	// map[string]any) in which strings may hold ${{ expr }} templates.
	Args map[string]any
	// ArgPos locates each argument and every value inside it by path:
	// dotted for mappings, brackets for lists ("config.split.train",
	// "command[1]").
	ArgPos        map[string]Pos
	PropertyFiles map[string]PropertyFile
	Cache         CachePolicy
	Retry         *RetryPolicy
	Timeout       time.Duration
	// Queue is the task queue of the workers that run the step when the
	// engine distributes steps (`queue: gpu`); empty means the default.
	Queue string
	// Condition steps (Kind == "condition"): If is the condition, Then and
	// Else name the steps each outcome gates.
	If         *Expr
	Then, Else []string
	Pos        Pos

	// cacheSet records an explicit cache.enabled, to reject it on kinds
	// that are never cached.
	cacheSet bool
	// strs locates strings and keys in the file; nil for hand-built steps.
	strs *stepStrings
}

// PropertyFile declares a JSON file in one of the step's outputs whose
// content later steps read as steps.<name>.properties.<file>.<path>.
type PropertyFile struct {
	Output string // output artifact name; empty means the only output
	Path   string // file path inside that output
}

// CachePolicy is a step's cache setting. Enabled defaults to true for
// kinds that allow caching.
type CachePolicy struct {
	Enabled     bool
	ExpireAfter time.Duration // 0 means never expires
}

// RetryPolicy retries retryable failures.
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first (1..20)
	Interval    time.Duration // wait before the first retry (default 1s)
	BackoffRate float64       // multiplier per retry (default 2.0)
	MaxInterval time.Duration // cap on the wait; 0 means no cap
}

// KindCondition is the built-in condition step kind. It has no step.Kind:
// the package validates it and the engine evaluates If.
const KindCondition = "condition"

// KindFail is the kind ID of fail steps; the kind itself is registered by
// the engine (argument "message", a string).
const KindFail = "fail"

// Branch names returned by Gate.
const (
	BranchThen = "then"
	BranchElse = "else"
)

// Step returns the step with the given name, or nil.
func (p *Pipeline) Step(name string) *Step {
	if p.byName != nil {
		return p.byName[name]
	}
	for _, st := range p.Steps {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// Param returns the parameter with the given name, or nil.
func (p *Pipeline) Param(name string) *Parameter {
	for _, pr := range p.Parameters {
		if pr.Name == name {
			return pr
		}
	}
	return nil
}

// Gate returns the condition step and branch (BranchThen or BranchElse)
// that gate st, or ok=false when no condition names st. Validation
// guarantees at most one condition gates a step.
func (p *Pipeline) Gate(st *Step) (cond string, branch string, ok bool) {
	if p.gates != nil {
		g, ok := p.gates[st.Name]
		return g.cond, g.branch, ok
	}
	for _, c := range p.Steps {
		if c.Kind != KindCondition {
			continue
		}
		if c.Name == st.Name {
			continue
		}
		for _, n := range c.Then {
			if n == st.Name {
				return c.Name, BranchThen, true
			}
		}
		for _, n := range c.Else {
			if n == st.Name {
				return c.Name, BranchElse, true
			}
		}
	}
	return "", "", false
}

func (p *Pipeline) indexGates() map[string]gate {
	gates := make(map[string]gate)
	for _, c := range p.Steps {
		if c.Kind != KindCondition {
			continue
		}
		for _, n := range c.Then {
			if _, dup := gates[n]; !dup && n != c.Name {
				gates[n] = gate{c.Name, BranchThen}
			}
		}
		for _, n := range c.Else {
			if _, dup := gates[n]; !dup && n != c.Name {
				gates[n] = gate{c.Name, BranchElse}
			}
		}
	}
	return gates
}

// Dependencies returns the names of the steps st depends on, sorted and
// without duplicates: the steps its argument templates reference, its
// depends_on, and the condition step that gates it. For a condition step,
// also the steps its If reads.
func (p *Pipeline) Dependencies(st *Step) []string {
	var deps []string
	for _, k := range sortedKeys(st.Args) {
		argTemplates(st.Args[k], k, func(_, s string) {
			t, err := parseTemplate(s)
			if err != nil {
				return
			}
			for _, e := range t.exprs() {
				deps = append(deps, e.StepRefs()...)
			}
		})
	}
	deps = append(deps, st.DependsOn...)
	if st.If != nil {
		deps = append(deps, st.If.StepRefs()...)
	}
	if cond, _, ok := p.Gate(st); ok {
		deps = append(deps, cond)
	}
	return sortedUnique(deps)
}

// TopoOrder returns the steps in an order where every step comes after the
// steps it depends on; ties keep definition order. Validation guarantees
// there is no cycle; if there is one, the steps on it come last in
// definition order. Names of unknown steps are ignored.
func (p *Pipeline) TopoOrder() []*Step {
	index := make(map[string]int, len(p.Steps))
	for i, st := range p.Steps {
		if _, dup := index[st.Name]; !dup {
			index[st.Name] = i
		}
	}
	indeg := make([]int, len(p.Steps))
	users := make([][]int, len(p.Steps))
	for i, st := range p.Steps {
		for _, d := range p.Dependencies(st) {
			j, ok := index[d]
			if !ok || j == i {
				continue
			}
			indeg[i]++
			users[j] = append(users[j], i)
		}
	}
	order := make([]*Step, 0, len(p.Steps))
	done := make([]bool, len(p.Steps))
	// ready holds indexes with no pending dependency, kept sorted so ties
	// follow definition order.
	var ready []int
	for i := range p.Steps {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		done[i] = true
		order = append(order, p.Steps[i])
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
		sort.Ints(ready)
	}
	for i, st := range p.Steps {
		if !done[i] {
			order = append(order, st)
		}
	}
	return order
}

// PropOutcome is the property a condition step exposes: its boolean
// result (steps.NAME.properties.outcome).
const PropOutcome = "outcome"
