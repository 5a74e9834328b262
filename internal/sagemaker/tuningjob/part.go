package tuningjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

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

// trialPart is a trial's input on the wire.
type trialPart struct {
	Index  int
	Config map[string]wireValue
	Peers  []wirePeer `json:",omitempty"`
}

// wireValue is one hyperparameter value, typed as tuning.Config holds it
// (an int64 must not come back a float64, which would name another
// cache key).
type wireValue struct {
	Int   *int64   `json:",omitempty"`
	Float *float64 `json:",omitempty"`
	Str   *string  `json:",omitempty"`
}

// wirePeer is what the stopper reads of a finished trial; NaN values (a
// trial without an objective) travel as null.
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
	if p.Index < 0 {
		return 0, nil, nil, fmt.Errorf("decoding a trial: index %d", p.Index)
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
func (t *tuner) remoteTrial(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial) (*run.Trial, tuning.Trial, error) {
	name := steptuning.TrialName(t.req.StepName, index+1)
	in, err := encodeTrialPart(index, cfg, peers)
	if err != nil {
		return nil, tuning.Trial{}, step.Permanent(fmt.Errorf("tuning job: trial %s: %w", name, err))
	}
	out, log, err := t.env.Parts.RunPart(ctx, step.Part{Name: fmt.Sprintf("trial-%03d", index+1), Input: in})
	if len(log) > 0 {
		t.mu.Lock()
		t.env.Log.Write(log)
		t.mu.Unlock()
	}
	if err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning job: trial %s: %w", name, err)
	}
	var rec run.Trial
	if err := json.Unmarshal(out, &rec); err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning job: trial %s: decoding its record: %w", name, err)
	}
	if rec.Trial != index+1 {
		return nil, tuning.Trial{}, fmt.Errorf("tuning job: trial %s: the part returned the record of trial %d", name, rec.Trial)
	}
	return &rec, toTrial(index, cfg, &rec), nil
}

// RunPart runs one trial of the step (step.Parter) on the worker that
// took the part: its training job, its record and its model, published
// under S3OutputPath as a local run publishes it. It returns the trial's
// record as JSON.
func (k *Kind) RunPart(ctx context.Context, env step.Env, req step.Request, input []byte) ([]byte, error) {
	index, cfg, peers, err := decodeTrialPart(input)
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
