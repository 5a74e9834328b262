package pipeline

import (
	"regexp"
	"sort"

	"gopkg.in/yaml.v3"
)

// SecretMask is what a secret value is shown and stored as.
const SecretMask = "***"

// FromEnvKey is the key of a value taken from Ferry's environment: in step
// arguments, a mapping whose only key is from_env ({from_env: NAME}) stands
// for the value of the environment variable NAME of the process that runs
// the step. Such values are secrets: never shown or stored in plaintext.
const FromEnvKey = "from_env"

// envNamePattern is a portable environment variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// EnvScope is a Scope that resolves {from_env: NAME} values. A Scope that
// does not implement it makes resolving one an error.
type EnvScope interface {
	Scope
	// Env returns the value of an environment variable of the process
	// running the step, and whether it is set (and not empty).
	Env(name string) (string, bool)
}

// FromEnv reports whether v (an argument value) is {from_env: NAME}, and
// returns NAME.
func FromEnv(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	name, ok := m[FromEnvKey].(string)
	return name, ok
}

// EnvNames returns the environment variable names that the steps' arguments
// take values from, sorted and without duplicates.
func (p *Pipeline) EnvNames() []string {
	var names []string
	var walk func(v any)
	walk = func(v any) {
		if name, ok := FromEnv(v); ok {
			names = append(names, name)
			return
		}
		switch x := v.(type) {
		case []any:
			for _, el := range x {
				walk(el)
			}
		case map[string]any:
			for _, el := range x {
				walk(el)
			}
		}
	}
	for _, st := range p.Steps {
		for _, v := range st.Args {
			walk(v)
		}
	}
	return sortedUnique(names)
}

// SecretParams returns the names of the secret parameters, sorted.
func (p *Pipeline) SecretParams() []string {
	var out []string
	for _, pr := range p.Parameters {
		if pr.Secret {
			out = append(out, pr.Name)
		}
	}
	sort.Strings(out)
	return out
}

// checkSecretParam reports what a secret parameter may not have: a type
// other than string, a default or an enum (their values would sit in the
// definition, which is stored and shown).
func (d *decoder) checkSecretParam(pr *Parameter, pos Pos, def, enum *yaml.Node) {
	field := keyParameters + "." + pr.Name
	if pr.Type != ParamString {
		d.errs.add(pos, "", field+"."+keySecret, "secret parameter %q must be of type string, not %s", pr.Name, pr.Type)
	}
	if def != nil {
		d.errs.add(nodePos(def), "", field+"."+keyDefault, "secret parameter %q may not have a default: the definition is stored and shown (give the value when the pipeline runs, or take it from the environment with {from_env: NAME} in the step)", pr.Name)
	}
	if enum != nil {
		d.errs.add(nodePos(enum), "", field+"."+keyEnum, "secret parameter %q may not have an enum", pr.Name)
	}
}
