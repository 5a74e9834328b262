package forest

import "github.com/ferryml/ferry/internal/hyperparam"

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
	err := hyperparam.Decode("random_forest", ParamNames(), hp, &p)
	return p, err
}
