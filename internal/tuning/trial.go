package tuning

import (
	"fmt"
	"math"
	"sort"
)

// Direction says whether the objective is maximised or minimised.
type Direction string

// The directions (SageMaker's HyperParameterTuningJobObjective Type, in
// lower case).
const (
	Maximize Direction = "maximize"
	Minimize Direction = "minimize"
)

// ParseDirection accepts maximize/minimize in any case (SageMaker writes
// Maximize and Minimize).
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "maximize", "Maximize", "MAXIMIZE", "max":
		return Maximize, nil
	case "minimize", "Minimize", "MINIMIZE", "min":
		return Minimize, nil
	}
	return "", fmt.Errorf("unknown direction %q (want maximize or minimize)", s)
}

// Better reports whether a is a better objective value than b. NaN is
// never better than anything.
func (d Direction) Better(a, b float64) bool {
	if math.IsNaN(a) {
		return false
	}
	if math.IsNaN(b) {
		return true
	}
	if d == Minimize {
		return a < b
	}
	return a > b
}

// Status is a trial's outcome.
type Status string

// Trial statuses (SageMaker's TrainingJobStatus names).
const (
	Completed Status = "Completed"
	Stopped   Status = "Stopped" // stopped early by the stopper: Value is its last reported value
	Failed    Status = "Failed"
)

// Trial is one finished trial as strategies see it.
type Trial struct {
	// Index is the 0-based trial number (warm-start trials: -1).
	Index  int
	Config Config
	Status Status
	// Value is the objective (NaN when the trial did not report it).
	Value float64
	// History is the objective after each round (built-in learners report
	// it per boosting round; others only at the end).
	History []float64
}

// usable reports whether the trial has an objective value.
func (t Trial) usable() bool {
	return (t.Status == Completed || t.Status == Stopped) && !math.IsNaN(t.Value)
}

// Rank orders trials best first: completed trials by objective, then
// trials stopped early by objective, then failed ones; ties by index.
func Rank(trials []Trial, d Direction) []Trial {
	out := make([]Trial, len(trials))
	copy(out, trials)
	class := func(t Trial) int {
		switch {
		case t.Status == Completed && !math.IsNaN(t.Value):
			return 0
		case t.Status == Stopped && !math.IsNaN(t.Value):
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := class(out[i]), class(out[j])
		if ci != cj {
			return ci < cj
		}
		if ci < 2 && out[i].Value != out[j].Value {
			return d.Better(out[i].Value, out[j].Value)
		}
		return out[i].Index < out[j].Index
	})
	return out
}

// Best returns the best trial (see [Rank]) and whether any trial reported
// the objective.
func Best(trials []Trial, d Direction) (Trial, bool) {
	r := Rank(trials, d)
	if len(r) == 0 || !r[0].usable() {
		return Trial{}, false
	}
	return r[0], true
}
