// Package fail is the "fail" step kind: it ends its execution as Failed
// with a message (SageMaker's FailStep), typically in a condition branch.
package fail

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/internal/step"
)

// Kind is the fail step kind.
type Kind struct{}

var _ step.Kind = Kind{}

// Spec implements step.Kind.
func (Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        "fail",
		Description: "Ends the execution as Failed with a message.",
		Version:     "1",
		Args: []step.Field{
			{Name: "message", Type: step.String, Default: "the pipeline reached a fail step",
				Description: "The execution's failure reason."},
		},
		NoCache: true,
	}
}

// Run implements step.Kind: it always returns a *step.FailError.
func (Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	msg := "the pipeline reached a fail step"
	if v, ok := req.Args["message"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return step.Result{}, step.Permanent(fmt.Errorf("argument message: got %T, want a string", v))
		}
		if s != "" {
			msg = s
		}
	}
	if env.Log != nil {
		fmt.Fprintln(env.Log, "fail:", msg)
	}
	return step.Result{}, &step.FailError{Message: msg}
}
