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
func (t *tuner) remoteTrial(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial) (*Record, tuning.Trial, error) {
	name := TrialName(t.req.StepName, index+1)
	in, err := tuning.EncodePart(index, cfg, peers)
	if err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning: trial %s: %w", name, err)
	}
	out, log, err := t.env.Parts.RunPart(ctx, step.Part{Name: fmt.Sprintf("trial-%03d", index+1), Input: in})
	if len(log) > 0 {
		t.mu.Lock()
		t.env.Log.Write(log)
		t.mu.Unlock()
	}
	if err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning: trial %s: %w", name, err)
	}
	var rec Record
	if err := json.Unmarshal(out, &rec); err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning: trial %s: decoding its record: %w", name, err)
	}
	return &rec, toTrial(index, cfg, &rec), nil
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
	rec, _, err := t.trial(ctx, index, cfg, t.stopper(), peers)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("tuning: trial %s: encoding its record: %w", rec.Name, err)
	}
	return out, nil
}
