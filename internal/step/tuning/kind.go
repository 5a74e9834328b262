// Package tuning is the `tuning` step kind: hyperparameter tuning over the
// built-in `training` kind's configuration. It takes training's arguments
// (algorithm, hyperparameters, inputs, label) with ranges for the tuned
// hyperparameters, runs up to max_trials trials (max_parallel_trials at a
// time) proposed by a strategy of package internal/tuning, and outputs the
// best trial's model, a trials table, and SageMaker's properties
// BestTrainingJob and TrainingJobSummaries (sorted best first).
//
// Each trial is a unit of its own: a record (STEP/trial-NNN), a log and a
// cache entry in a [TrialStore]. A trial whose inputs, learner settings and
// hyperparameters match a finished trial's is reused, not retrained, so a
// re-run reuses finished trials, and a run resumed after a crash redoes
// only the trials that had not finished.
package tuning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/training"
	"github.com/ferryml/ferry/internal/tuning"
)

// ID is the kind's stable ID.
const ID = "tuning"

// version is part of the cache key (and of each trial's key).
const version = "1"

// Argument names. algorithm, hyperparameters, inputs and label are
// training's.
const (
	ArgAlgorithm         = training.ArgAlgorithm
	ArgHyperparameters   = training.ArgHyperparameters
	ArgInputs            = training.ArgInputs
	ArgLabel             = training.ArgLabel
	ArgRanges            = "ranges"
	ArgObjectiveMetric   = "objective_metric"
	ArgDirection         = "direction"
	ArgStrategy          = "strategy"
	ArgMaxTrials         = "max_trials"
	ArgMaxParallelTrials = "max_parallel_trials"
	ArgSeed              = "seed"
	ArgEarlyStopping     = "early_stopping"
	ArgGridPoints        = "grid_points"
	ArgWarmStart         = "warm_start"
)

// Outputs and properties.
const (
	OutputModel  = "model"
	OutputTrials = "trials"

	PropBestTrial            = "best_trial"
	PropBestObjective        = "best_objective"
	PropBestTrainingJob      = "BestTrainingJob"
	PropTrainingJobSummaries = "TrainingJobSummaries"
	PropTrialsCompleted      = "trials_completed"
	PropTrialsStopped        = "trials_stopped"
)

// Trial statuses in records (SageMaker's TrainingJobStatus).
const (
	StatusCompleted = string(tuning.Completed)
	StatusStopped   = string(tuning.Stopped)
	StatusFailed    = string(tuning.Failed)
)

// Early-stopping modes (SageMaker's TrainingJobEarlyStoppingType).
const (
	EarlyStoppingOff  = "off"
	EarlyStoppingAuto = "auto"
)

// MaxTrials bounds max_trials.
const MaxTrials = 1000

// Kind is the tuning step kind.
type Kind struct {
	// Trials keeps trial records and the trial cache; nil keeps nothing
	// (every trial trains, nothing is recorded outside the outputs).
	Trials TrialStore
}

// New returns the kind over a trial store (nil: none).
func New(trials TrialStore) *Kind { return &Kind{Trials: trials} }

func ptr(f float64) *float64 { return &f }

// Spec declares the kind.
func (*Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "Tunes a built-in learner's hyperparameters (random, grid, bayesian (TPE) or hyperband); outputs the best model and a trials table.",
		Version:     version,
		Args: []step.Field{
			{Name: ArgAlgorithm, Type: step.String, Required: true, Enum: training.Algorithms(), Description: "the learner (as in training)"},
			{Name: ArgHyperparameters, Type: step.Object, Description: "fixed hyperparameters (as in training)"},
			{Name: ArgInputs, Type: step.ArtifactMap, Required: true, Description: "train (required), validation, schema (as in training)"},
			{Name: ArgLabel, Type: step.String, Description: "label column name (default: the first column)"},
			{Name: ArgRanges, Type: step.Object, Required: true, Description: "name → {type: integer|continuous|categorical, min, max, scaling: auto|linear|logarithmic|reverse_logarithmic} or {values: [...]}"},
			{Name: ArgObjectiveMetric, Type: step.String, Required: true, Description: "the metric to optimise, a training property name (validation_auc)"},
			{Name: ArgDirection, Type: step.String, Default: string(tuning.Maximize), Enum: []string{string(tuning.Maximize), string(tuning.Minimize)}, Description: "maximize or minimize the objective"},
			{Name: ArgStrategy, Type: step.String, Default: tuning.Bayesian, Enum: tuning.Strategies(), Description: "how trials are proposed; hyperband is random search with successive-halving early stopping"},
			{Name: ArgMaxTrials, Type: step.Integer, Default: int64(10), Min: ptr(1), Max: ptr(MaxTrials), Description: "trials to run (grid: at most its points)"},
			{Name: ArgMaxParallelTrials, Type: step.Integer, Default: int64(1), Min: ptr(1), Max: ptr(64), Description: "trials run at once (bounded by the pipeline's parallelism)"},
			{Name: ArgSeed, Type: step.Integer, Default: int64(0), Min: ptr(0), Description: "seed of every proposal: equal seeds, equal trials"},
			{Name: ArgEarlyStopping, Type: step.String, Default: EarlyStoppingOff, Enum: []string{EarlyStoppingOff, EarlyStoppingAuto}, Description: "auto stops poor trials at successive-halving rungs (always on for hyperband)"},
			{Name: ArgGridPoints, Type: step.Integer, Default: int64(5), Min: ptr(2), Max: ptr(100), Description: "grid points per continuous range (and at most per integer range)"},
			{Name: ArgWarmStart, Type: step.StringList, Description: "earlier tuning runs whose trials inform this one: EXEC_ID (same step name) or EXEC_ID/STEP"},
		},
		Outputs: []step.Field{
			{Name: OutputModel, Type: step.Artifact, Description: "the best trial's model directory (as training's model output)"},
			{Name: OutputTrials, Type: step.Artifact, Description: "trials.csv and trials.json: hyperparameters, objective, status, time, stopped early"},
		},
		Properties: []step.Field{
			{Name: PropBestTrial, Type: step.String, Description: "the best trial's name, STEP/trial-NNN"},
			{Name: PropBestObjective, Type: step.Float, Description: "the best trial's objective"},
			{Name: PropBestTrainingJob, Type: step.Object, Description: "SageMaker's BestTrainingJob: TrainingJobName, TrainingJobStatus, TunedHyperParameters, FinalHyperParameterTuningJobObjectiveMetric"},
			{Name: PropTrainingJobSummaries, Type: step.List, Description: "SageMaker's TrainingJobSummaries, sorted best first"},
			{Name: PropTrialsCompleted, Type: step.Integer, Description: "trials that ran to the end"},
			{Name: PropTrialsStopped, Type: step.Integer, Description: "trials stopped early"},
			{Name: training.PropBestIteration, Type: step.Integer, Description: "the best trial's best boosting round (xgboost)"},
			{Name: "validation_auc", Type: step.Float, Description: "the best trial's metrics, named as training's properties"},
		},
		DynamicProperties: true,
	}
}

// config is a step's parsed arguments.
type config struct {
	alg        string
	fixed      map[string]any
	inputs     map[string]any
	label      string
	space      *tuning.Space
	metric     string
	dir        tuning.Direction
	strategy   string
	maxTrials  int
	parallel   int
	seed       uint64
	early      bool
	gridPoints int
	warm       []string
}

func intArg(args map[string]any, name string, def int64) int64 {
	switch v := args[name].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return def
}

// metricName accepts SageMaker's metric names ("validation:auc") for
// training's property names ("validation_auc").
func metricName(s string) string {
	return strings.NewReplacer(":", "_", "-", "_", "@", "_").Replace(s)
}

func strArg(args map[string]any, name, def string) string {
	if s, ok := args[name].(string); ok && s != "" {
		return s
	}
	return def
}

// ValidateArgs checks training's arguments, the ranges against the
// learner, the objective metric and the strategy's needs.
func (k *Kind) ValidateArgs(args map[string]any) []error {
	_, errs := k.parse(args)
	return errs
}

func isRef(v any) bool {
	_, ok := v.(*step.RefPlaceholder)
	return ok
}

func (*Kind) parse(args map[string]any) (*config, []error) {
	var errs []error
	// Training's own checks, on training's arguments alone.
	targs := map[string]any{}
	for _, name := range []string{ArgAlgorithm, ArgHyperparameters, ArgInputs, ArgLabel} {
		if v, ok := args[name]; ok {
			targs[name] = v
		}
	}
	errs = append(errs, training.New().ValidateArgs(targs)...)
	c := &config{
		label:      strArg(args, ArgLabel, ""),
		metric:     metricName(strArg(args, ArgObjectiveMetric, "")),
		strategy:   strArg(args, ArgStrategy, tuning.Bayesian),
		maxTrials:  int(intArg(args, ArgMaxTrials, 10)),
		parallel:   int(intArg(args, ArgMaxParallelTrials, 1)),
		seed:       uint64(max(intArg(args, ArgSeed, 0), 0)),
		gridPoints: int(intArg(args, ArgGridPoints, 5)),
	}
	c.alg, _ = args[ArgAlgorithm].(string)
	c.fixed, _ = args[ArgHyperparameters].(map[string]any)
	c.inputs, _ = args[ArgInputs].(map[string]any)
	d, err := tuning.ParseDirection(strArg(args, ArgDirection, string(tuning.Maximize)))
	if err != nil {
		errs = append(errs, &step.FieldError{Field: ArgDirection, Msg: err.Error()})
	}
	c.dir = d
	if !slices.Contains(tuning.Strategies(), c.strategy) {
		errs = append(errs, &step.FieldError{Field: ArgStrategy, Msg: fmt.Sprintf("unknown strategy %q (want %s)", c.strategy, strings.Join(tuning.Strategies(), ", "))})
	}
	es := strArg(args, ArgEarlyStopping, EarlyStoppingOff)
	switch strings.ToLower(es) {
	case EarlyStoppingOff:
	case EarlyStoppingAuto:
		c.early = true
	default:
		errs = append(errs, &step.FieldError{Field: ArgEarlyStopping, Msg: fmt.Sprintf("unknown mode %q (want off or auto)", es)})
	}
	c.early = c.early || c.strategy == tuning.Hyperband
	if c.maxTrials < 1 || c.maxTrials > MaxTrials {
		errs = append(errs, &step.FieldError{Field: ArgMaxTrials, Msg: fmt.Sprintf("%d is out of range [1, %d]", c.maxTrials, MaxTrials)})
	}
	if c.parallel < 1 {
		errs = append(errs, &step.FieldError{Field: ArgMaxParallelTrials, Msg: fmt.Sprintf("%d is below 1", c.parallel)})
	}
	if ws, ok := args[ArgWarmStart].([]any); ok {
		for i, w := range ws {
			s, ok := w.(string)
			if !ok {
				if !isRef(w) {
					errs = append(errs, &step.FieldError{Field: fmt.Sprintf("%s[%d]", ArgWarmStart, i), Msg: "want EXEC_ID or EXEC_ID/STEP"})
				}
				continue
			}
			if _, _, err := parseWarmStart(s, "step"); err != nil {
				errs = append(errs, &step.FieldError{Field: fmt.Sprintf("%s[%d]", ArgWarmStart, i), Msg: err.Error()})
			}
			c.warm = append(c.warm, s)
		}
	}
	if c.metric == "" && !isRef(args[ArgObjectiveMetric]) {
		errs = append(errs, &step.FieldError{Field: ArgObjectiveMetric, Msg: "required: the metric to optimise (a training property such as validation_auc)"})
	}
	if isRef(args[ArgRanges]) {
		return c, errs
	}
	ranges, rerrs := parseRanges(args[ArgRanges])
	errs = append(errs, rerrs...)
	if len(rerrs) == 0 {
		space, serrs := tuning.NewSpace(ranges)
		for _, e := range serrs {
			var re *tuning.RangeError
			if errors.As(e, &re) {
				f := ArgRanges + "." + re.Name
				if re.Name == "ranges" {
					f = ArgRanges
				} else if re.Field != "" {
					f += "." + re.Field
				}
				errs = append(errs, &step.FieldError{Field: f, Msg: re.Msg})
			} else {
				errs = append(errs, &step.FieldError{Field: ArgRanges, Msg: e.Error()})
			}
		}
		c.space = space
		if space != nil && slices.Contains(training.Algorithms(), c.alg) {
			literal := map[string]any{}
			for k, v := range c.fixed {
				if !isRef(v) {
					literal[k] = v
				}
			}
			errs = append(errs, checkAgainstLearner(c.alg, literal, space.Ranges())...)
		}
	}
	if c.metric != "" {
		_, hasValidation := c.inputs[training.InputValidation]
		if known := reportedMetrics(c.alg, c.fixed, hasValidation); known != nil && !slices.Contains(known, c.metric) {
			errs = append(errs, &step.FieldError{Field: ArgObjectiveMetric, Msg: fmt.Sprintf("no trial reports %q: trials report %s", c.metric, strings.Join(known, ", "))})
		}
	}
	if c.early && c.alg != "" && c.alg != training.AlgorithmXGBoost {
		field := ArgEarlyStopping
		if c.strategy == tuning.Hyperband {
			field = ArgStrategy
		}
		errs = append(errs, &step.FieldError{Field: field, Msg: fmt.Sprintf("early stopping needs per-round metrics, which %s does not report (xgboost does)", c.alg)})
	}
	return c, errs
}

// Run runs the trials and outputs the best model and the trials table.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	t, err := k.prepare(ctx, env, req)
	if err != nil {
		return step.Result{}, err
	}
	defer t.close()
	return t.run(ctx)
}

// prepare parses the step's arguments, finds its input files and reads
// the data once for every trial.
func (k *Kind) prepare(ctx context.Context, env step.Env, req step.Request) (*tuner, error) {
	c, errs := k.parse(req.Args)
	if len(errs) > 0 {
		return nil, step.Permanent(fmt.Errorf("tuning: %w", errors.Join(errs...)))
	}
	if env.Log == nil {
		env.Log = io.Discard
	}
	files := map[string]string{}
	for name, v := range c.inputs {
		ref, err := refOf(v)
		if err != nil {
			return nil, step.Permanent(fmt.Errorf("tuning: input %q: %w", name, err))
		}
		dir, err := env.Store.Path(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("tuning: input %q: %w", name, err)
		}
		want := ".csv"
		if name == training.InputSchema {
			want = "schema.json"
		}
		if files[name], err = findFile(dir, want); err != nil {
			return nil, step.Permanent(fmt.Errorf("tuning: input %q: %w", name, err))
		}
	}
	t := &tuner{k: k, c: c, env: env, req: req, files: files}
	// The data is read once for every trial.
	data, err := training.Load(training.Job{Train: files[training.InputTrain], Validation: files[training.InputValidation],
		Schema: files[training.InputSchema], Label: c.label})
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("tuning: %w", err))
	}
	t.data = data
	// A local store takes each trial's model from where the trial wrote
	// it, a directory of its own, without a copy.
	t.outDir = filepath.Join(env.WorkDir, "trials")
	if ad, ok := env.Store.(artifact.Adopter); ok {
		if t.outDir, err = ad.TempDir(); err != nil {
			return nil, fmt.Errorf("tuning: %w", err)
		}
		t.adopter = ad
	}
	return t, nil
}

// close removes what the trials left in the store's temporary directory
// (the models of stopped and failed trials).
func (t *tuner) close() {
	if t.adopter != nil {
		artifact.RemoveTree(t.outDir)
	}
}

func refOf(v any) (artifact.Ref, error) {
	switch x := v.(type) {
	case artifact.Ref:
		return x, nil
	case string:
		return artifact.ParseRef(x)
	}
	return "", fmt.Errorf("want an artifact reference, got %T", v)
}

// tuner is one run of a tuning step.
type tuner struct {
	k     *Kind
	c     *config
	env   step.Env
	req   step.Request
	files map[string]string
	data  *training.Data
	mu    sync.Mutex // serialises env.Log
	// outDir holds the trials' output directories (trial-NNN, made by
	// the model writer); adopter, when set, is the store that owns it.
	outDir  string
	adopter artifact.Adopter
}

func (t *tuner) logf(format string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.env.Log, format+"\n", a...)
}

func (t *tuner) run(ctx context.Context) (step.Result, error) {
	c := t.c
	warm, err := t.warmTrials(ctx)
	if err != nil {
		return step.Result{}, err
	}
	budget := c.maxTrials
	if c.strategy == tuning.Grid {
		budget = min(budget, tuning.GridSize(c.space, c.gridPoints))
	}
	sampler, err := tuning.NewSampler(c.space, tuning.Options{Strategy: c.strategy, Direction: c.dir, Seed: c.seed, GridPoints: c.gridPoints, Budget: budget})
	if err != nil {
		return step.Result{}, step.Permanent(err)
	}
	if p := t.req.Parallelism; p > 0 && c.parallel > p {
		t.logf("max_parallel_trials %d: bounded by the pipeline's parallelism %d", c.parallel, p)
		c.parallel = p
	}
	stopper := t.stopper()
	var trial trialFunc = func(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial, free func()) (*Record, tuning.Trial, error) {
		return t.trial(ctx, index, cfg, stopper, peers, free)
	}
	if t.env.Parts != nil {
		trial = t.remoteTrial // each on whichever worker takes it
	}
	t.logf("tuning %s: %s over %s, %d trials, %d at a time, objective %s (%s), seed %d, early stopping %v, %d warm-start trials",
		c.alg, c.strategy, strings.Join(c.space.Names(), ", "), budget, c.parallel, c.metric, c.dir, c.seed, c.early, len(warm))
	recs, done, err := runWindow(ctx, sampler, budget, c.parallel, warm, trial)
	if err != nil {
		return step.Result{}, err
	}
	return t.result(ctx, recs, done)
}

// stopper is the early-stopping rule of the step's trials (nil: none).
func (t *tuner) stopper() *tuning.Stopper {
	if !t.c.early {
		return nil
	}
	return &tuning.Stopper{Direction: t.c.dir, MaxRounds: t.numRound()}
}

// numRound is the trials' full length in rounds (xgboost's num_round,
// default 10).
func (t *tuner) numRound() int {
	if v, ok := t.c.fixed["num_round"]; ok {
		if f, ok := number(v); ok {
			return int(f)
		}
	}
	for _, r := range t.c.space.Ranges() {
		if r.Name == "num_round" {
			return int(r.Max)
		}
	}
	return 10
}

// trialKey hashes what a trial's training depends on.
func (t *tuner) trialKey(hp map[string]any) (string, error) {
	ins := map[string]string{}
	for name, v := range t.c.inputs {
		ref, err := refOf(v)
		if err != nil {
			return "", err
		}
		ins[name] = string(ref)
	}
	b, err := json.Marshal(map[string]any{
		"kind": ID + "/trial", "version": version, "algorithm": t.c.alg, "hyperparameters": hp,
		"inputs": ins, "label": t.c.label, "objective_metric": t.c.metric,
	})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func toTrial(index int, cfg tuning.Config, r *Record) tuning.Trial {
	tr := tuning.Trial{Index: index, Config: cfg, Status: tuning.Status(r.Status), Value: math.NaN(), History: r.History}
	if r.Objective != nil {
		tr.Value = *r.Objective
	}
	return tr
}

// trial runs (or reuses) trial index (0-based).
func (t *tuner) trial(ctx context.Context, index int, cfg tuning.Config, stopper *tuning.Stopper, peers []tuning.Trial, free func()) (*Record, tuning.Trial, error) {
	n := index + 1
	name := TrialName(t.req.StepName, n)
	hp := map[string]any{}
	maps.Copy(hp, t.c.fixed)
	for k, v := range cfg {
		hp[k] = tuning.FormatValue(v)
	}
	key, err := t.trialKey(hp)
	if err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning: trial %s: computing its cache key: %w", name, err)
	}
	if rec, ok := t.reuse(ctx, index, key, stopper, peers); ok {
		rec.Trial, rec.Name, rec.Reused = n, name, true
		rec.ObjectiveMetric, rec.Direction = t.c.metric, string(t.c.dir)
		if err := t.save(ctx, rec); err != nil {
			return nil, tuning.Trial{}, err
		}
		t.logf("%s %s (reused) %s %s", name, rec.Status, objectiveText(rec), cfg)
		return rec, toTrial(index, cfg, rec), nil
	}
	rec := &Record{Trial: n, Name: name, CacheKey: key, Hyperparameters: cfg.Strings(), StartedAt: time.Now().UTC(),
		ObjectiveMetric: t.c.metric, Direction: string(t.c.dir)}
	var log io.Writer = io.Discard
	if t.k.Trials != nil && t.req.ExecutionID != "" {
		if w, err := t.k.Trials.TrialLog(t.req.ExecutionID, t.req.StepName, n); err == nil {
			defer w.Close()
			log = w
		}
	}
	out := filepath.Join(t.outDir, fmt.Sprintf("trial-%03d", n))
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errStopped := errors.New("stopped early")
	job := training.Job{
		Algorithm: t.c.alg, Hyperparameters: hp, Label: t.c.label, Log: log,
		Train: t.files[training.InputTrain], Validation: t.files[training.InputValidation], Schema: t.files[training.InputSchema],
		OutputDir: out,
		Data:      t.data,
		// Trials are judged on the objective: the training set's metrics
		// are computed only when the objective is one of them.
		SkipTrainMetrics: !strings.HasPrefix(t.c.metric, training.SetTrain+"_"),
		Trained:          free, // writing the model leaves the core to the next trial
		ProgressFunc: func(round int, metrics map[string]float64) {
			v, ok := metrics[t.c.metric]
			if !ok {
				return
			}
			rec.History = append(rec.History, v)
			if stopper.ShouldStop(index, round+1, v, peers) {
				fmt.Fprintf(log, "stopping early after round %d: %s %.5f is not among the best at this rung\n", round, t.c.metric, v)
				cancel(errStopped)
			}
		},
	}
	s, err := training.Run(tctx, job)
	free() // (if Trained did not): storing the model and record leaves the core to the next trial
	rec.EndedAt = time.Now().UTC()
	rec.Seconds = rec.EndedAt.Sub(rec.StartedAt).Seconds()
	rec.Rounds = len(rec.History)
	switch {
	case err != nil && errors.Is(context.Cause(tctx), errStopped) && ctx.Err() == nil:
		rec.Status, rec.StoppedEarly = StatusStopped, true
		if len(rec.History) > 0 {
			rec.Objective = ptr(rec.History[len(rec.History)-1])
		}
	case err != nil && ctx.Err() != nil:
		return nil, tuning.Trial{}, fmt.Errorf("tuning: trial %s: %w", name, ctx.Err())
	case err != nil:
		rec.Status, rec.Error = StatusFailed, err.Error()
		fmt.Fprintf(log, "failed: %v\n", err)
	default:
		rec.Status, rec.Metrics = StatusCompleted, s.Metrics
		if v, ok := s.Metrics[t.c.metric]; ok {
			rec.Objective = ptr(v)
		}
		var ref artifact.Ref
		if t.adopter != nil {
			ref, err = t.adopter.Adopt(ctx, out)
		} else {
			ref, err = t.env.Store.PutDir(ctx, out)
		}
		if err != nil {
			return nil, tuning.Trial{}, fmt.Errorf("tuning: trial %s: storing its model: %w", name, err)
		}
		rec.Model = string(ref)
		rec.Metrics[training.PropBestIteration] = float64(s.BestIteration)
	}
	if err := t.save(ctx, rec); err != nil {
		return nil, tuning.Trial{}, err
	}
	t.logf("%s %s in %.2fs %s %s", name, rec.Status, rec.Seconds, objectiveText(rec), cfg)
	return rec, toTrial(index, cfg, rec), nil
}

func objectiveText(r *Record) string {
	if r.Objective == nil {
		return "objective -"
	}
	return fmt.Sprintf("objective %.6g", *r.Objective)
}

// reuse returns a copy of the cached trial under key when it stands for
// what this trial would do now: a completed trial is reused as is, or as
// stopped where the stopper would now stop it; a stopped trial is reused
// when the stopper stops it no later than it stopped.
func (t *tuner) reuse(ctx context.Context, index int, key string, stopper *tuning.Stopper, peers []tuning.Trial) (*Record, bool) {
	if t.k.Trials == nil {
		return nil, false
	}
	cached, err := t.k.Trials.CachedTrial(ctx, key)
	if err != nil || cached == nil {
		return nil, false
	}
	rec, ok := ReplayCached(*cached, index, stopper, peers)
	if !ok || rec.Status != StatusCompleted {
		return rec, ok
	}
	ref, err := artifact.ParseRef(rec.Model)
	if err != nil {
		return nil, false
	}
	if ok, err := t.env.Store.Exists(ctx, ref); err != nil || !ok {
		return nil, false
	}
	return rec, true
}

func (t *tuner) save(ctx context.Context, rec *Record) error {
	if t.k.Trials == nil || t.req.ExecutionID == "" {
		return nil
	}
	if err := t.k.Trials.SaveTrial(ctx, t.req.ExecutionID, t.req.StepName, rec); err != nil {
		return fmt.Errorf("tuning: trial %s: %w", rec.Name, err)
	}
	return nil
}

// warmTrials reads the trials of the warm-start executions.
func (t *tuner) warmTrials(ctx context.Context) ([]tuning.Trial, error) {
	if len(t.c.warm) == 0 {
		return nil, nil
	}
	if t.k.Trials == nil {
		return nil, step.Permanent(errors.New("tuning: warm_start: this Ferry keeps no trial records"))
	}
	var out []tuning.Trial
	for i, w := range t.c.warm {
		execID, stepName, err := parseWarmStart(w, t.req.StepName)
		if err != nil {
			return nil, step.Permanent(fmt.Errorf("tuning: %s[%d]: %w", ArgWarmStart, i, err))
		}
		recs, err := t.k.Trials.Trials(ctx, execID, stepName)
		if err != nil {
			return nil, fmt.Errorf("tuning: %s[%d]: %w", ArgWarmStart, i, err)
		}
		if len(recs) == 0 {
			return nil, step.Permanent(fmt.Errorf("tuning: %s[%d]: no trials recorded for execution %s step %s", ArgWarmStart, i, execID, stepName))
		}
		for _, r := range recs {
			cfg := tuning.Config{}
			for k, v := range r.Hyperparameters {
				cfg[k] = v
			}
			out = append(out, toTrial(-len(out)-1, cfg, &r))
		}
	}
	return out, nil
}

// summary is SageMaker's HyperParameterTrainingJobSummary, as far as Ferry
// knows its fields.
func summary(r *Record, metric string) map[string]any {
	s := map[string]any{
		"TrainingJobName":      r.Name,
		"TrainingJobStatus":    r.Status,
		"TunedHyperParameters": anyStrings(r.Hyperparameters),
		"TrainingStartTime":    r.StartedAt.Format(time.RFC3339Nano),
		"TrainingEndTime":      r.EndedAt.Format(time.RFC3339Nano),
		"ObjectiveStatus":      "Succeeded",
	}
	if r.Objective != nil {
		s["FinalHyperParameterTuningJobObjectiveMetric"] = map[string]any{"MetricName": metric, "Value": *r.Objective}
	} else {
		s["ObjectiveStatus"] = "Failed"
	}
	if r.Error != "" {
		s["FailureReason"] = r.Error
	}
	return s
}

func anyStrings(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (t *tuner) result(ctx context.Context, recs []*Record, done []tuning.Trial) (step.Result, error) {
	ranked := tuning.Rank(done, t.c.dir)
	best, ok := tuning.Best(done, t.c.dir)
	if !ok || best.Status != tuning.Completed {
		reported := map[string]bool{}
		for _, r := range recs {
			for m := range r.Metrics {
				reported[m] = true
			}
		}
		names := slices.Sorted(maps.Keys(reported))
		failed := 0
		for _, r := range recs {
			if r.Status == StatusFailed {
				failed++
			}
		}
		if failed == len(recs) && len(recs) > 0 {
			return step.Result{}, step.Permanent(fmt.Errorf("tuning: all %d trials failed; the first: %s", failed, recs[0].Error))
		}
		if !ok {
			return step.Result{}, step.Permanent(fmt.Errorf("tuning: %s: no trial reported %q (trials reported: %s)", ArgObjectiveMetric, t.c.metric, strings.Join(names, ", ")))
		}
		return step.Result{}, step.Permanent(errors.New("tuning: no trial completed (every trial with an objective was stopped early)"))
	}
	byIndex := func(i int) *Record { return recs[i] }
	bestRec := byIndex(best.Index)
	summaries := make([]any, 0, len(ranked))
	stopped, completed := 0, 0
	for _, tr := range ranked {
		r := byIndex(tr.Index)
		summaries = append(summaries, summary(r, t.c.metric))
		switch r.Status {
		case StatusCompleted:
			completed++
		case StatusStopped:
			stopped++
		}
	}
	outDir := filepath.Join(t.env.WorkDir, "outputs", OutputTrials)
	if err := writeTable(outDir, recs, t.c.space.Names()); err != nil {
		return step.Result{}, fmt.Errorf("tuning: writing the trials table: %w", err)
	}
	tref, err := t.env.Store.PutDir(ctx, outDir)
	if err != nil {
		return step.Result{}, fmt.Errorf("tuning: storing the trials table: %w", err)
	}
	mref, err := artifact.ParseRef(bestRec.Model)
	if err != nil {
		return step.Result{}, fmt.Errorf("tuning: best model reference: %w", err)
	}
	props := map[string]any{
		PropBestTrial:            bestRec.Name,
		PropBestObjective:        *bestRec.Objective,
		PropBestTrainingJob:      summary(bestRec, t.c.metric),
		PropTrainingJobSummaries: summaries,
		PropTrialsCompleted:      int64(completed),
		PropTrialsStopped:        int64(stopped),
	}
	for name, v := range bestRec.Metrics {
		if name == training.PropBestIteration {
			props[name] = int64(v)
			continue
		}
		props[name] = v
	}
	t.logf("best: %s %s %s", bestRec.Name, objectiveText(bestRec), tuning.Config(anyConfig(bestRec.Hyperparameters)))
	return step.Result{Outputs: map[string]artifact.Ref{OutputModel: mref, OutputTrials: tref}, Properties: props}, nil
}

func anyConfig(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Interface guards.
var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)
