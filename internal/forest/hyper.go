package forest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ParamNames returns the hyperparameter names [ParseParams] accepts.
func ParamNames() []string {
	return []string{"task", "n_estimators", "max_depth", "max_features", "min_samples_split", "min_samples_leaf", "bootstrap", "seed"}
}

// ParseParams builds Params from name=value strings (as `ferry train -H`
// and pipeline definitions give them): numbers and booleans are parsed,
// anything else is taken as text. An unknown name or a value of the wrong
// type is an error naming it and the accepted names; ranges are checked
// by [Params.Validate] after [Params.WithDefaults].
func ParseParams(hp map[string]string) (Params, error) {
	var p Params
	obj := make(map[string]json.RawMessage, len(hp))
	for name, v := range hp {
		if !slices.Contains(ParamNames(), name) {
			return p, fmt.Errorf("unknown random_forest hyperparameter %q (known: %s)", name, strings.Join(ParamNames(), ", "))
		}
		obj[name] = literal(v)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return p, fmt.Errorf("encoding random_forest hyperparameters: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("random_forest hyperparameters: %w", err)
	}
	return p, nil
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
