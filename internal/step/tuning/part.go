package tuning

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/tuning"
)

// On the Temporal engine a tuning step's trials are parts (step.Part):
// the worker running the step proposes each trial and hands it, with the
// finished peers early stopping compares it with, to whichever worker of
// the step's queue takes it; that worker trains, stores the model, saves
// the record and returns it. Proposals and stopping decisions depend only
// on the records, so the run is the one `ferry run` makes locally.

// remoteTrial runs trial index as a part on whichever worker takes it and
// copies the part's log (which names the worker) into the step's.
// (The slot is held until the part returns: free is not called.)
func (t *tuner) remoteTrial(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial, _ func()) (*Record, tuning.Trial, error) {
	rec, err := RunTrialPart(ctx, t.env.Parts, index, cfg, peers, func(log []byte) {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.env.Log.Write(log)
	})
	if err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning: trial %s: %w", TrialName(t.req.StepName, index+1), err)
	}
	return rec, toTrial(index, cfg, rec), nil
}

// RunTrialPart runs trial index (0-based) of a tuning kind as the part
// "trial-NNN" through parts, hands the part's log to log, and returns the
// record the part returned. The sagemaker_tuning kind uses it too.
func RunTrialPart(ctx context.Context, parts step.PartRunner, index int, cfg tuning.Config, peers []tuning.Trial, log func([]byte)) (*Record, error) {
	in, err := tuning.EncodePart(index, cfg, peers)
	if err != nil {
		return nil, step.Permanent(err)
	}
	out, logs, err := parts.RunPart(ctx, step.Part{Name: fmt.Sprintf("trial-%03d", index+1), Input: in})
	if len(logs) > 0 {
		log(logs)
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(out, &rec); err != nil {
		return nil, fmt.Errorf("decoding its record: %w", err)
	}
	if rec.Trial != index+1 {
		return nil, fmt.Errorf("the part returned the record of trial %d", rec.Trial)
	}
	return &rec, nil
}

// RunPart runs one trial of the step (step.Parter): on the worker that
// took the part, with the data read from the shared store. It returns
// the trial's record as JSON.
func (k *Kind) RunPart(ctx context.Context, env step.Env, req step.Request, input []byte) ([]byte, error) {
	index, cfg, peers, err := tuning.DecodePart(input)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("tuning: %w", err))
	}
	t, err := k.prepare(ctx, env, req)
	if err != nil {
		return nil, err
	}
	defer t.close()
	rec, _, err := t.trial(ctx, index, cfg, t.stopper(), peers, func() {})
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("tuning: trial %s: encoding its record: %w", rec.Name, err)
	}
	return out, nil
}
