// Package hyperparam decodes a learner's hyperparameters from name=value
// strings (as `ferry train -H` and pipeline definitions give them). It
// depends on the standard library only, so learners may use it.
package hyperparam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Decode fills params, a pointer to a learner's JSON-tagged parameter
// struct, from hp: numbers and booleans are parsed, anything else is taken
// as text. A name not in names or a value of the wrong type is an error
// naming it (and the accepted names) and the learner.
func Decode(learner string, names []string, hp map[string]string, params any) error {
	obj := make(map[string]json.RawMessage, len(hp))
	for name, v := range hp {
		if !slices.Contains(names, name) {
			return fmt.Errorf("unknown %s hyperparameter %q (known: %s)", learner, name, strings.Join(names, ", "))
		}
		obj[name] = literal(v)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding %s hyperparameters: %w", learner, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(params); err != nil {
		return fmt.Errorf("%s hyperparameters: %w", learner, err)
	}
	return nil
}

// literal returns v as a JSON number or boolean when it is one, else as a
// JSON string.
func literal(v string) json.RawMessage {
	t := strings.TrimSpace(v)
	if t == "true" || t == "false" {
		return json.RawMessage(t)
	}
	var num json.Number
	if err := json.Unmarshal([]byte(t), &num); err == nil && t != "" {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(v)
	return b
}
