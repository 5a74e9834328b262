package callback_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/sagemaker/callback"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// answerWhenPending answers the first pending callback with give.
func answerWhenPending(t *testing.T, d *callback.Dir, give func(token string) error) {
	t.Helper()
	go func() {
		for range 500 {
			list, _ := d.List()
			if len(list) > 0 {
				if err := give(list[0].Token); err != nil {
					t.Error(err)
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Error("no pending callback")
	}()
}

func TestCallbackSuccess(t *testing.T) {
	t.Parallel()
	d := &callback.Dir{Path: t.TempDir(), Poll: 5 * time.Millisecond}
	k := &callback.Kind{Dir: d}
	answerWhenPending(t, d, func(token string) error {
		list, _ := d.List()
		if list[0].Arguments["model"] != "m1" || list[0].StepName != "Approve" {
			t.Errorf("pending = %+v", list[0])
		}
		return d.Succeed(token, map[string]string{"approved": "true", "score": "0.9"})
	})
	res, err := steptest.New(t).Run(t, k, step.Request{ExecutionID: "e1", StepName: "Approve", Args: map[string]any{
		"SqsQueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "Arguments": map[string]any{"model": "m1"},
		"OutputParameters": []any{map[string]any{"OutputName": "approved", "OutputType": "Boolean"}, map[string]any{"OutputName": "score", "OutputType": "Float"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"approved": true, "score": 0.9}
	if diff := cmp.Diff(want, res.Properties["OutputParameters"]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if res.Properties["CallbackToken"] != callback.Token("e1", "Approve") {
		t.Errorf("token %v", res.Properties["CallbackToken"])
	}
	if list, _ := d.List(); len(list) != 0 {
		t.Errorf("still pending: %v", list)
	}
	if err := d.Succeed(callback.Token("e1", "Approve"), nil); err == nil || !strings.Contains(err.Error(), "already answered") {
		t.Errorf("second answer: %v", err)
	}
}

func TestCallbackFailure(t *testing.T) {
	t.Parallel()
	d := &callback.Dir{Path: t.TempDir(), Poll: 5 * time.Millisecond}
	answerWhenPending(t, d, func(token string) error { return d.Fail(token, "rejected by reviewer") })
	_, err := steptest.New(t).Run(t, &callback.Kind{Dir: d}, step.Request{ExecutionID: "e2", StepName: "Approve", Args: map[string]any{}})
	var fe *callback.FailedError
	if !errors.As(err, &fe) || fe.Reason != "rejected by reviewer" || !step.IsPermanent(err) {
		t.Errorf("got %v", err)
	}
}

func TestUnknownToken(t *testing.T) {
	t.Parallel()
	d := &callback.Dir{Path: t.TempDir()}
	for _, tok := range []string{"nope", callback.Token("x", "y")} {
		if err := d.Succeed(tok, nil); !errors.Is(err, callback.ErrUnknownToken) {
			t.Errorf("Succeed(%s) = %v", tok, err)
		}
	}
	if err := d.Fail(callback.Token("x", "y"), " "); err == nil {
		t.Error("a failure without a reason was accepted")
	}
}
