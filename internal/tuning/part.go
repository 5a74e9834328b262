package tuning

import (
	"encoding/json"
	"fmt"
	"math"
)

// A trial run elsewhere (a part of a tuning step on another Temporal
// worker) travels as JSON: its index, its configuration with each value's
// type kept, and what early stopping reads of the finished peers.
// [EncodePart] and [DecodePart] are that encoding; the tuning and
// sagemaker_tuning step kinds use it.

// trialPart is a trial's input on the wire.
type trialPart struct {
	Index  int
	Config map[string]wireValue
	Peers  []wirePeer `json:",omitempty"`
}

// wireValue is one hyperparameter value, typed as Config holds it
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
	Status  Status
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

// EncodePart encodes trial index with configuration cfg and the finished
// peers early stopping compares it with.
func EncodePart(index int, cfg Config, peers []Trial) ([]byte, error) {
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

// DecodePart decodes what [EncodePart] encoded; malformed input is an
// error, never a panic.
func DecodePart(b []byte) (int, Config, []Trial, error) {
	var p trialPart
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, nil, nil, fmt.Errorf("decoding a trial: %w", err)
	}
	if p.Index < 0 {
		return 0, nil, nil, fmt.Errorf("decoding a trial: index %d", p.Index)
	}
	cfg := make(Config, len(p.Config))
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
	peers := make([]Trial, len(p.Peers))
	for i, w := range p.Peers {
		peers[i] = Trial{Index: w.Index, Status: w.Status, Value: orNaN(w.Value)}
		for _, h := range w.History {
			peers[i].History = append(peers[i].History, orNaN(h))
		}
	}
	return p.Index, cfg, peers, nil
}
