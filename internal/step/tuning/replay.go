package tuning

import "github.com/ferryml/ferry/internal/tuning"

// ReplayCached is a cached trial record as trial index of this run would
// end: the stopping rule is replayed on the record's per-round history
// against this run's peers. A completed trial comes back completed, or
// stopped where the rule now stops it; a stopped trial comes back when
// the rule stops it no later than it stopped (else it must train again,
// as must a failed one: false). A completed result still needs its model,
// which the caller checks in its store. Both tuning kinds (this one and
// sagemaker_tuning) reuse trials through it.
func ReplayCached(rec Record, index int, stopper *tuning.Stopper, peers []tuning.Trial) (*Record, bool) {
	stopAt := stopper.StopRound(index, rec.History, peers)
	switch {
	case stopAt > 0 && stopAt <= len(rec.History) && (rec.Status == StatusCompleted || rec.Status == StatusStopped):
		rec.Status, rec.StoppedEarly, rec.Model, rec.Metrics = StatusStopped, true, "", nil
		rec.History = rec.History[:stopAt]
		rec.Rounds = stopAt
		rec.Objective = ptr(rec.History[stopAt-1])
		return &rec, true
	case rec.Status == StatusCompleted:
		return &rec, true
	}
	return nil, false
}
