package tuningjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
	steptuning "github.com/ferryml/ferry/internal/step/tuning"
	"github.com/ferryml/ferry/internal/tuning"
)

// On the Temporal engine a Tuning step's trials are parts (step.Part), as
// the tuning kind's are: the worker running the step proposes each batch
// of trials and hands each trial, with the finished peers (warm-start
// trials included) that early stopping compares it with, to whichever
// worker of the step's queue takes it. That worker runs the training job,
// publishes its model under S3OutputPath, saves the record and returns
// it. Proposals and stopping decisions depend only on the records, so
// the run is the one `ferry run` makes locally.

var _ step.Parter = (*Kind)(nil)

// remoteTrial runs trial index as a part on whichever worker takes it and
// copies the part's log (which names the worker) into the step's.
func (t *tuner) remoteTrial(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial) (*run.Trial, tuning.Trial, error) {
	rec, err := steptuning.RunTrialPart(ctx, t.env.Parts, index, cfg, peers, func(log []byte) {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.env.Log.Write(log)
	})
	if err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning job: trial %s: %w", steptuning.TrialName(t.req.StepName, index+1), err)
	}
	return rec, toTrial(index, cfg, rec), nil
}

// RunPart runs one trial of the step (step.Parter) on the worker that
// took the part: its training job, its record and its model, published
// under S3OutputPath as a local run publishes it. It returns the trial's
// record as JSON.
func (k *Kind) RunPart(ctx context.Context, env step.Env, req step.Request, input []byte) ([]byte, error) {
	index, cfg, peers, err := tuning.DecodePart(input)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("tuning job: %w", err))
	}
	r, err := decode(req.Args)
	if err != nil {
		return nil, step.Permanent(err)
	}
	p, errs := check(r)
	if len(errs) > 0 {
		return nil, step.Permanent(fmt.Errorf("tuning job: %w", errors.Join(errs...)))
	}
	t := k.tuner(env, req, r.HyperParameterTuningJobName, p)
	rec, _, err := t.trial(ctx, index, cfg, t.stopper(false), peers)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("tuning job: trial %s: encoding its record: %w", rec.Name, err)
	}
	return out, nil
}
