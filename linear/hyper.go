package linear

import "github.com/ferryml/ferry/internal/hyperparam"

// ParamNames returns the hyperparameter names [ParseParams] accepts.
func ParamNames() []string {
	return []string{"predictor_type", "l2", "wd", "l1", "max_iter", "epochs", "tol", "standardize", "seed"}
}

// ParseParams builds Params from name=value strings (as `ferry train -H`
// and pipeline definitions give them): numbers and booleans are parsed,
// anything else is taken as text. An unknown name or a value of the wrong
// type is an error naming it and the accepted names; ranges are checked
// by [Params.Validate] after [Params.WithDefaults].
func ParseParams(hp map[string]string) (Params, error) {
	var p Params
	err := hyperparam.Decode("linear_learner", ParamNames(), hp, &p)
	return p, err
}
