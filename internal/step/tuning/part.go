package tuning

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/tuning"
)

// On the Temporal engine a tuning step's trials are parts (step.Part):
// the worker running the step proposes each trial and hands it, with the
// finished peers early stopping compares it with, to whichever worker of
// the step's queue takes it; that worker trains, stores the model, saves
// the record and returns it. Proposals and stopping decisions depend only
// on the records, so the run is the one `ferry run` makes locally.

// trialPart is a trial's input on the wire.
type trialPart struct {
	Index  int
	Config map[string]wireValue
	Peers  []wirePeer `json:",omitempty"`
}

// wireValue is one hyperparameter value, typed as tuning.Config holds it
// (an int64 must not come back a float64).
type wireValue struct {
	Int   *int64   `json:",omitempty"`
	Float *float64 `json:",omitempty"`
	Str   *string  `json:",omitempty"`
}

// wirePeer is what the stopper reads of a finished trial; NaN values (a
// metric a round did not report) travel as null.
type wirePeer struct {
	Index   int
	Status  tuning.Status
	Value   *float64
	History []*float64 `json:",omitempty"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func encodeTrialPart(index int, cfg tuning.Config, peers []tuning.Trial) ([]byte, error) {
	p := trialPart{Index: index, Config: make(map[string]wireValue, len(cfg))}
	for name, v := range cfg {
		switch x := v.(type) {
		case int64:
			p.Config[name] = wireValue{Int: &x}
		case float64:
			p.Config[name] = wireValue{Float: &x}
		case string:
			p.Config[name] = wireValue{Str: &x}
		default:
			return nil, fmt.Errorf("hyperparameter %s: value of type %T", name, v)
		}
	}
	for _, t := range peers {
		w := wirePeer{Index: t.Index, Status: t.Status, Value: finite(t.Value)}
		for _, h := range t.History {
			w.History = append(w.History, finite(h))
		}
		p.Peers = append(p.Peers, w)
	}
	return json.Marshal(p)
}

func decodeTrialPart(b []byte) (int, tuning.Config, []tuning.Trial, error) {
	var p trialPart
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, nil, nil, fmt.Errorf("decoding a trial: %w", err)
	}
	cfg := make(tuning.Config, len(p.Config))
	for name, v := range p.Config {
		switch {
		case v.Int != nil:
			cfg[name] = *v.Int
		case v.Float != nil:
			cfg[name] = *v.Float
		case v.Str != nil:
			cfg[name] = *v.Str
		default:
			return 0, nil, nil, fmt.Errorf("decoding a trial: hyperparameter %s has no value", name)
		}
	}
	peers := make([]tuning.Trial, len(p.Peers))
	for i, w := range p.Peers {
		peers[i] = tuning.Trial{Index: w.Index, Status: w.Status, Value: orNaN(w.Value)}
		for _, h := range w.History {
			peers[i].History = append(peers[i].History, orNaN(h))
		}
	}
	return p.Index, cfg, peers, nil
}

// remoteTrial runs trial index as a part on whichever worker takes it and
// copies the part's log (which names the worker) into the step's.
func (t *tuner) remoteTrial(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial) (*Record, tuning.Trial, error) {
	name := TrialName(t.req.StepName, index+1)
	in, err := encodeTrialPart(index, cfg, peers)
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
	index, cfg, peers, err := decodeTrialPart(input)
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
