package callback

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "sagemaker_callback"

// Kind is the sagemaker_callback kind.
type Kind struct{ Dir *Dir }

var _ step.Kind = (*Kind)(nil)

type args struct {
	SqsQueueUrl      string         `json:"SqsQueueUrl"`
	Arguments        map[string]any `json:"Arguments"`
	OutputParameters []struct {
		OutputName string `json:"OutputName"`
		OutputType string `json:"OutputType"`
	} `json:"OutputParameters"`
}

// Spec implements step.Kind.
func (*Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "A SageMaker Callback step: waits until `ferry callback success|failure TOKEN` answers it (the token and the Arguments are shown by `ferry callback list` and in the step log); a success's output parameters become OutputParameters.",
		Version:     "1",
		Args: []step.Field{
			{Name: "SqsQueueUrl", Type: step.String, Description: "recorded with the pending callback (no queue locally)"},
			{Name: "Arguments", Type: step.Object, Description: "recorded with the pending callback, for whoever answers it"},
			{Name: "OutputParameters", Type: step.List, Description: "OutputName and OutputType (String, Integer, Boolean, Float) expected in the answer"},
		},
		Properties: []step.Field{
			{Name: "OutputParameters", Type: step.Object, Description: "OutputName -> value (typed per OutputType) of each declared output"},
			{Name: "CallbackToken", Type: step.String},
		},
		DynamicProperties: true,
		NoCache:           true,
	}
}

// FailedError is a callback answered with failure.
type FailedError struct{ Token, Reason string }

func (e *FailedError) Error() string {
	return fmt.Sprintf("callback %s failed: %s", e.Token, e.Reason)
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	token := Token(req.ExecutionID, req.StepName)
	log := env.Log
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "waiting for callback token %s: answer with `ferry callback success %s [-o NAME=VALUE ...]` or `ferry callback failure %s --reason TEXT`\n", token, token, token)
	ans, err := k.Dir.Wait(ctx, Pending{Token: token, ExecutionID: req.ExecutionID, StepName: req.StepName, SqsQueueUrl: a.SqsQueueUrl, Arguments: a.Arguments})
	if err != nil {
		return step.Result{}, err
	}
	if !ans.Succeeded {
		return step.Result{}, step.Permanent(&FailedError{Token: token, Reason: ans.FailureReason})
	}
	outs := map[string]any{}
	for _, op := range a.OutputParameters {
		s, ok := ans.OutputParameters[op.OutputName]
		if !ok {
			return step.Result{}, step.Permanent(fmt.Errorf("callback %s succeeded without output %q", token, op.OutputName))
		}
		v, err := parse(s, op.OutputType)
		if err != nil {
			return step.Result{}, step.Permanent(fmt.Errorf("callback %s: output %q: %w", token, op.OutputName, err))
		}
		outs[op.OutputName] = v
	}
	return step.Result{Properties: map[string]any{"OutputParameters": outs, "CallbackToken": token}}, nil
}

func parse(s, typ string) (any, error) {
	switch typ {
	case "", "String":
		return s, nil
	case "Integer":
		return strconv.ParseInt(s, 10, 64)
	case "Float":
		return strconv.ParseFloat(s, 64)
	case "Boolean":
		return strconv.ParseBool(s)
	}
	return nil, fmt.Errorf("unknown OutputType %q", typ)
}
