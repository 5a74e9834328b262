// Package tuningjob is the sagemaker_tuning step kind: a SageMaker
// pipeline definition's Tuning step (the CreateHyperParameterTuningJob
// request: HyperParameterTuningJobConfig and TrainingJobDefinition) run
// locally. Each trial is a training job run by the sagemaker_training
// kind's runner (SageMaker's built-in XGBoost on Ferry's trees, or script
// mode with MetricDefinitions applied to the trial's log), proposed by a
// strategy of internal/tuning, and recorded as a step run of its own
// (STEP/trial-NNN) through internal/step/tuning's TrialStore, so re-runs
// and resumed runs reuse finished trials. On the Temporal engine each
// trial is a part of the step (step.Parter, part.go) that whichever worker
// of the step's queue takes runs.
//
// Each trial publishes its model at
// <S3OutputPath>/<trial job name>/output/model.tar.gz, as SageMaker does,
// so the URI the SDK's TuningStep.get_top_model_s3_uri builds from
// TrainingJobSummaries[k].TrainingJobName resolves in later steps. The
// properties are DescribeHyperParameterTuningJob's (BestTrainingJob) and
// TrainingJobSummaries, sorted best first.
package tuningjob

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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sagemaker/definition"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/step"
	steptuning "github.com/ferryml/ferry/internal/step/tuning"
	"github.com/ferryml/ferry/internal/tuning"
)

// ID is the kind's ID.
const ID = definition.KindTuning

// version is part of each trial's cache key.
const version = "1"

// OutputModel is the best trial's model: a directory holding model.tar.gz.
const OutputModel = definition.OutModel

// Kind runs Tuning steps.
type Kind struct {
	// R runs each trial's training job.
	R *job.Runner
	// Trials keeps the trial records and the trial cache (nil: none).
	Trials steptuning.TrialStore
}

var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)

// Spec implements step.Kind.
func (*Kind) Spec() step.Spec {
	s, _ := definition.KindSpec(ID)
	s.Description = "A SageMaker hyperparameter tuning job (CreateHyperParameterTuningJob request) run locally: each trial is a training job " +
		"(built-in XGBoost or script mode) proposed by the Strategy (Bayesian: TPE; Random; Grid; Hyperband: random proposals with early stopping), recorded as STEP/trial-NNN; " +
		"TrainingJobEarlyStoppingType Auto and Hyperband stop poor trials from the per-round objective in their logs; " +
		"properties are DescribeHyperParameterTuningJob's (BestTrainingJob) and TrainingJobSummaries sorted best first."
	s.Version = version
	s.DynamicProperties = true
	desc := map[string]string{
		"HyperParameterTuningJobConfig": "Strategy, HyperParameterTuningJobObjective {Type, MetricName}, ParameterRanges (Integer, Continuous, Categorical; ScalingType), ResourceLimits, TrainingJobEarlyStoppingType, StrategyConfig.HyperbandStrategyConfig {MinResource, MaxResource}, RandomSeed",
		"TrainingJobDefinition":         "each trial's CreateTrainingJob request: StaticHyperParameters, AlgorithmSpecification (built-in XGBoost image, or script mode with MetricDefinitions), InputDataConfig, OutputDataConfig",
		"TrainingJobDefinitions":        "one definition (Ferry tunes one at a time)",
		"WarmStartConfig":               "ParentHyperParameterTuningJobs: earlier Ferry tuning runs, EXEC_ID or EXEC_ID.STEP",
		"HyperParameterTuningJobName":   "the tuning job's name (default ferry-<execution>-<step>); trial n's job is <name>-NNN",
	}
	for i := range s.Args {
		s.Args[i].Description = desc[s.Args[i].Name]
	}
	return s
}

// ValidateArgs implements step.Validator: the literal request's problems,
// located. A request with references is checked when it runs.
func (*Kind) ValidateArgs(args map[string]any) []error {
	if hasRef(args) {
		return nil
	}
	r, err := decode(args)
	if err != nil {
		return []error{err}
	}
	_, errs := check(r)
	return errs
}

func hasRef(v any) bool {
	switch x := v.(type) {
	case *step.RefPlaceholder:
		return true
	case map[string]any:
		for _, e := range x {
			if hasRef(e) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(x, hasRef)
	}
	return false
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	r, err := decode(req.Args)
	if err != nil {
		return step.Result{}, step.Permanent(err)
	}
	p, errs := check(r)
	if len(errs) > 0 {
		return step.Result{}, step.Permanent(fmt.Errorf("tuning job: %w", errors.Join(errs...)))
	}
	return k.tuner(env, req, r.HyperParameterTuningJobName, p).run(ctx)
}

// tuner is the state of one run of a step (or of one of its parts, on
// another worker) with request req.
func (k *Kind) tuner(env step.Env, req step.Request, name string, p *plan) *tuner {
	if env.Log == nil {
		env.Log = io.Discard
	}
	t := &tuner{k: k, p: p, env: env, req: req, training: &job.Training{R: k.R}, name: name}
	if t.name == "" {
		t.name = tuningJobName(req)
	}
	return t
}

var notName = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// tuningJobName is the deterministic name of a step's tuning job (at most
// 32 characters, as SageMaker's).
func tuningJobName(req step.Request) string {
	exec := req.ExecutionID
	if len(exec) > 12 {
		exec = exec[:12]
	}
	name := notName.ReplaceAllString("ferry-"+exec+"-"+req.StepName, "-")
	if len(name) > 32 {
		name = name[:32]
	}
	return strings.TrimRight(name, "-")
}

type tuner struct {
	k        *Kind
	p        *plan
	env      step.Env
	req      step.Request
	training *job.Training
	name     string
	mu       sync.Mutex // serialises env.Log
}

func (t *tuner) logf(format string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.env.Log, format+"\n", a...)
}

// jobName is trial n's training job name: <tuning job>-NNN.
func (t *tuner) jobName(n int) string { return fmt.Sprintf("%s-%03d", t.name, n) }

func (t *tuner) run(ctx context.Context) (step.Result, error) {
	p := t.p
	warm, err := t.warmTrials(ctx)
	if err != nil {
		return step.Result{}, err
	}
	budget := p.maxTrials
	if p.strategy == tuning.Grid {
		budget = min(budget, tuning.GridSize(p.space, 5))
	}
	sampler, err := tuning.NewSampler(p.space, tuning.Options{Strategy: p.strategy, Direction: p.dir, Seed: p.seed, GridPoints: 5, Budget: budget})
	if err != nil {
		return step.Result{}, step.Permanent(err)
	}
	parallel := p.parallel
	if n := t.req.Parallelism; n > 0 && parallel > n {
		t.logf("MaxParallelTrainingJobs %d: bounded by the pipeline's parallelism %d", parallel, n)
		parallel = n
	}
	stopper := t.stopper(true)
	trial := func(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial) (*run.Trial, tuning.Trial, error) {
		return t.trial(ctx, index, cfg, stopper, peers)
	}
	if t.env.Parts != nil {
		trial = t.remoteTrial // each on whichever worker takes it
	}
	t.logf("tuning job %s: %s over %s, %d trials, %d at a time, objective %s (%s), %d warm-start trials",
		t.name, p.strategy, strings.Join(p.space.Names(), ", "), budget, parallel, p.metric, p.dir, len(warm))
	var recs []*run.Trial
	var done []tuning.Trial
	for next := 0; next < budget; {
		peers := append(slices.Clone(warm), done...)
		configs := sampler.Propose(next, min(parallel, budget-next), peers)
		if len(configs) == 0 {
			break
		}
		batch := make([]*run.Trial, len(configs))
		trials := make([]tuning.Trial, len(configs))
		errc := make([]error, len(configs))
		var wg sync.WaitGroup
		for i, cfg := range configs {
			wg.Go(func() { batch[i], trials[i], errc[i] = trial(ctx, next+i, cfg, peers) })
		}
		wg.Wait()
		if err := errors.Join(errc...); err != nil {
			return step.Result{}, err
		}
		recs = append(recs, batch...)
		done = append(done, trials...)
		next += len(configs)
	}
	return t.result(ctx, recs, done)
}

// stopper is the early stopper of the trials (nil: they run to the end):
// TrainingJobEarlyStoppingType Auto and Strategy Hyperband stop a trial
// whose objective, as its job logs it round after round, is not among the
// best third of the finished trials' at a rung. The rungs need the trials'
// length: HyperbandStrategyConfig.MaxResource, or else the num_round (or,
// for scripts, epochs) hyperparameter, static or the top of its range.
// With logged, the step's log says which rule applies.
func (t *tuner) stopper(logged bool) *tuning.Stopper {
	p := t.p
	if !p.early {
		return nil
	}
	rounds := p.maxRounds
	for _, name := range []string{"num_round", "epochs"} {
		if rounds > 0 {
			break
		}
		if v, ok := p.def.StaticHyperParameters[name]; ok {
			if f, err := strconv.ParseFloat(strings.Trim(tuning.FormatValue(v), `"`), 64); err == nil {
				rounds = int(f)
			}
		}
		for _, r := range p.space.Ranges() {
			if r.Name == name && r.Type != tuning.Categorical {
				rounds = int(r.Max)
			}
		}
	}
	if rounds < 2 {
		if !logged {
			return nil
		}
		t.logf("early stopping: the trials' length in rounds is unknown (set HyperbandStrategyConfig.MaxResource, or a num_round or epochs hyperparameter); every trial runs to the end")
		return nil
	}
	s := &tuning.Stopper{Direction: p.dir, MinRounds: p.minRounds, MaxRounds: rounds}
	if !logged {
		return s
	}
	t.logf("early stopping: rungs at rounds %v of %d; a trial continues past a rung when its %s is in the best third of the finished trials'", s.Rungs(), rounds, p.metric)
	return s
}

// trainingArgs is trial cfg's CreateTrainingJob request.
func (t *tuner) trainingArgs(cfg tuning.Config, jobName string) map[string]any {
	d := t.p.def
	hp := map[string]any{}
	maps.Copy(hp, d.StaticHyperParameters)
	for k, v := range cfg {
		hp[k] = tuning.FormatValue(v)
	}
	// SageMaker tells the built-in algorithm what is tuned (a script gets
	// its own hyperparameters only).
	_, script := hp["sagemaker_program"]
	if _, ok := hp["_tuning_objective_metric"]; !ok && !script && t.p.metric != "" {
		hp["_tuning_objective_metric"] = t.p.metric
	}
	args := map[string]any{
		"AlgorithmSpecification": d.AlgorithmSpecification,
		"HyperParameters":        hp,
		"InputDataConfig":        d.InputDataConfig,
		"TrainingJobName":        jobName,
	}
	if d.OutputDataConfig != nil {
		args["OutputDataConfig"] = d.OutputDataConfig
	}
	rc := d.ResourceConfig
	if rc == nil {
		rc = d.HyperParameterTuningResourceConfig
	}
	if rc != nil {
		args["ResourceConfig"] = rc
	}
	if d.StoppingCondition != nil {
		args["StoppingCondition"] = d.StoppingCondition
	}
	if d.Environment != nil {
		args["Environment"] = d.Environment
	}
	if d.RoleArn != "" {
		args["RoleArn"] = d.RoleArn
	}
	return args
}

// trialKey hashes what a trial's training depends on: the inputs' and
// code's content (the training kind's code digest), the algorithm and the
// hyperparameters; not the job's name or output location.
func (t *tuner) trialKey(ctx context.Context, args map[string]any) (string, error) {
	code, err := t.training.CodeDigest(ctx, step.Request{ExecutionID: t.req.ExecutionID, StepName: t.req.StepName, Args: args})
	if err != nil {
		return "", err
	}
	keyed := map[string]any{"kind": ID + "/trial", "version": version, "code": code, "metric": t.p.metric}
	for k, v := range args {
		if k != "TrainingJobName" && k != "OutputDataConfig" && k != "RoleArn" && k != "ResourceConfig" {
			keyed[k] = v
		}
	}
	b, err := json.Marshal(keyed)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// modelPrefix is where trial jobName's model is published (SageMaker's
// <S3OutputPath>/<job>/output), or "".
func (t *tuner) modelPrefix(jobName string) string {
	out, _ := t.p.def.OutputDataConfig["S3OutputPath"].(string)
	if out == "" {
		return ""
	}
	return strings.TrimSuffix(out, "/") + "/" + jobName + "/output"
}

func toTrial(index int, cfg tuning.Config, r *run.Trial) tuning.Trial {
	tr := tuning.Trial{Index: index, Config: cfg, Status: tuning.Status(r.Status), Value: math.NaN(), History: r.History}
	if r.Objective != nil {
		tr.Value = *r.Objective
	}
	return tr
}

// trial runs (or reuses) trial index (0-based).
func (t *tuner) trial(ctx context.Context, index int, cfg tuning.Config, stopper *tuning.Stopper, peers []tuning.Trial) (*run.Trial, tuning.Trial, error) {
	n := index + 1
	name := steptuning.TrialName(t.req.StepName, n)
	jobName := t.jobName(n)
	args := t.trainingArgs(cfg, jobName)
	key, err := t.trialKey(ctx, args)
	if err != nil {
		return nil, tuning.Trial{}, fmt.Errorf("tuning job: trial %s: computing its cache key: %w", name, err)
	}
	if rec, ok := t.reuse(ctx, key, jobName, index, stopper, peers); ok {
		rec.Trial, rec.Name, rec.Reused = n, name, true
		if err := t.save(ctx, rec); err != nil {
			return nil, tuning.Trial{}, err
		}
		t.logf("%s (%s) %s (reused) %s %s", name, jobName, rec.Status, objectiveText(rec), cfg)
		return rec, toTrial(index, cfg, rec), nil
	}
	rec := &run.Trial{Trial: n, Name: name, CacheKey: key, Hyperparameters: cfg.Strings(), StartedAt: time.Now().UTC(),
		ObjectiveMetric: t.p.metric, Direction: string(t.p.dir)}
	var log io.Writer = io.Discard
	if t.k.Trials != nil && t.req.ExecutionID != "" {
		if w, err := t.k.Trials.TrialLog(t.req.ExecutionID, t.req.StepName, n); err == nil {
			defer w.Close()
			log = w
		}
	}
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errStopped := errors.New("stopped early")
	// The objective after each round is recorded (a later run with early
	// stopping replays its rule on it) and, with a stopper, judged.
	{
		trialLog := log
		w, err := t.progress(args, func(v float64) {
			if context.Cause(tctx) != nil {
				return
			}
			rec.History = append(rec.History, v)
			round := len(rec.History)
			if stopper.ShouldStop(index, round, v, peers) {
				fmt.Fprintf(trialLog, "stopping early after round %d: %s %.6g is not among the best at this rung\n", round, t.p.metric, v)
				cancel(errStopped)
			}
		})
		if err != nil {
			return nil, tuning.Trial{}, step.Permanent(fmt.Errorf("tuning job: trial %s: %w", name, err))
		}
		log = io.MultiWriter(log, w)
	}
	env := step.Env{Store: t.env.Store, Logger: t.env.Logger, Log: log,
		WorkDir: filepath.Join(t.env.WorkDir, "trials", fmt.Sprintf("trial-%03d", n))}
	res, err := t.training.Run(tctx, env, step.Request{ExecutionID: t.req.ExecutionID, PipelineName: t.req.PipelineName,
		PipelineDigest: t.req.PipelineDigest, StepName: t.req.StepName, Attempt: t.req.Attempt, Args: args})
	rec.EndedAt = time.Now().UTC()
	rec.Seconds = rec.EndedAt.Sub(rec.StartedAt).Seconds()
	rec.Rounds = len(rec.History)
	switch {
	case errors.Is(context.Cause(tctx), errStopped) && ctx.Err() == nil:
		// Stopped, even when the job ended before the stop reached it:
		// the outcome depends on the logged metrics, never on timing.
		rec.Status, rec.StoppedEarly = steptuning.StatusStopped, true
		if len(rec.History) > 0 {
			v := rec.History[len(rec.History)-1]
			rec.Objective = &v
		}
	case err != nil && ctx.Err() != nil:
		return nil, tuning.Trial{}, fmt.Errorf("tuning job: trial %s: %w", name, ctx.Err())
	case err != nil:
		rec.Status, rec.Error = steptuning.StatusFailed, err.Error()
		fmt.Fprintf(log, "failed: %v\n", err)
	default:
		rec.Status, rec.Metrics = steptuning.StatusCompleted, finalMetrics(res.Properties)
		if v, ok := rec.Metrics[t.p.metric]; ok {
			rec.Objective = &v
		}
		rec.Model = string(res.Outputs[OutputModel])
	}
	if err := t.save(ctx, rec); err != nil {
		return nil, tuning.Trial{}, err
	}
	t.logf("%s (%s) %s in %.2fs %s %s", name, jobName, rec.Status, rec.Seconds, objectiveText(rec), cfg)
	return rec, toTrial(index, cfg, rec), nil
}

// progress is the writer that reads trial args's objective from its log
// as the job writes it and passes each value to report.
func (t *tuner) progress(args map[string]any, report func(float64)) (io.Writer, error) {
	hp, _ := args["HyperParameters"].(map[string]any)
	if _, script := hp["sagemaker_program"]; !script {
		return &progress{key: builtinKey(t.p.metric), report: report}, nil
	}
	var defs []tuning.MetricDefinition
	list, _ := t.p.def.AlgorithmSpecification["MetricDefinitions"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		name, _ := m["Name"].(string)
		re, _ := m["Regex"].(string)
		if name == t.p.metric {
			defs = append(defs, tuning.MetricDefinition{Name: name, Regex: re})
		}
	}
	sc, err := tuning.NewScraper(defs)
	if err != nil {
		return nil, fmt.Errorf("AlgorithmSpecification.%w", err)
	}
	return &progress{scraper: sc, metric: t.p.metric, report: report}, nil
}

// finalMetrics reads FinalMetricDataList: metric name -> value.
func finalMetrics(props map[string]any) map[string]float64 {
	out := map[string]float64{}
	list, _ := props["FinalMetricDataList"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		name, _ := m["MetricName"].(string)
		switch v := m["Value"].(type) {
		case float64:
			out[name] = v
		case int64:
			out[name] = float64(v)
		}
	}
	return out
}

func objectiveText(r *run.Trial) string {
	if r.Objective == nil {
		return "objective -"
	}
	return fmt.Sprintf("objective %.6g", *r.Objective)
}

// reuse returns a copy of the finished trial cached under key, with its
// model (still in the store) published where this trial's job puts it.
// A trial is replayed through the stopper on its recorded history: a
// completed one is reused as stopped where the stopper now stops it; a
// stopped one is reused when the stopper stops it no later than it stopped.
func (t *tuner) reuse(ctx context.Context, key, jobName string, index int, stopper *tuning.Stopper, peers []tuning.Trial) (*run.Trial, bool) {
	if t.k.Trials == nil {
		return nil, false
	}
	cached, err := t.k.Trials.CachedTrial(ctx, key)
	if err != nil || cached == nil {
		return nil, false
	}
	rec, ok := steptuning.ReplayCached(*cached, index, stopper, peers)
	if !ok || rec.Status != steptuning.StatusCompleted {
		return rec, ok
	}
	ref, err := artifact.ParseRef(rec.Model)
	if err != nil {
		return nil, false
	}
	dir, err := t.env.Store.Path(ctx, ref)
	if err != nil {
		return nil, false
	}
	if prefix := t.modelPrefix(jobName); prefix != "" && t.k.R != nil && t.k.R.Objects != nil && strings.HasPrefix(prefix, "s3://") {
		if err := t.k.R.Objects.Publish(ctx, dir, prefix); err != nil {
			return nil, false
		}
	}
	return rec, true
}

func (t *tuner) save(ctx context.Context, rec *run.Trial) error {
	if t.k.Trials == nil || t.req.ExecutionID == "" {
		return nil
	}
	if err := t.k.Trials.SaveTrial(ctx, t.req.ExecutionID, t.req.StepName, rec); err != nil {
		return fmt.Errorf("tuning job: trial %s: %w", rec.Name, err)
	}
	return nil
}

// warmTrials reads the trials of the parent tuning jobs. Ferry names a
// parent by the execution that ran it, EXEC_ID (this step's name) or
// EXEC_ID/STEP... written with a '.' for the '/', which job names cannot
// hold: EXEC_ID.STEP.
func (t *tuner) warmTrials(ctx context.Context) ([]tuning.Trial, error) {
	ws := t.p.req.WarmStartConfig
	if ws == nil || len(ws.ParentHyperParameterTuningJobs) == 0 {
		return nil, nil
	}
	if t.k.Trials == nil {
		return nil, step.Permanent(errors.New("tuning job: WarmStartConfig: this Ferry keeps no trial records"))
	}
	var out []tuning.Trial
	for i, parent := range ws.ParentHyperParameterTuningJobs {
		exec, stepName, found := strings.Cut(parent.HyperParameterTuningJobName, ".")
		if !found {
			stepName = t.req.StepName
		}
		recs, err := t.k.Trials.Trials(ctx, exec, stepName)
		if err != nil {
			return nil, fmt.Errorf("tuning job: WarmStartConfig.ParentHyperParameterTuningJobs[%d]: %w", i, err)
		}
		if len(recs) == 0 {
			return nil, step.Permanent(fmt.Errorf("tuning job: WarmStartConfig.ParentHyperParameterTuningJobs[%d]: no trials recorded for execution %q step %q (name a parent EXEC_ID or EXEC_ID.STEP)", i, exec, stepName))
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

const arnPrefix = "arn:aws:sagemaker:local:000000000000:"

// summary is SageMaker's HyperParameterTrainingJobSummary of a trial.
func (t *tuner) summary(r *run.Trial) map[string]any {
	jn := t.jobName(r.Trial)
	typ := "Maximize"
	if t.p.dir == tuning.Minimize {
		typ = "Minimize"
	}
	hp := map[string]any{}
	for k, v := range r.Hyperparameters {
		hp[k] = v
	}
	s := map[string]any{
		"TrainingJobName":      jn,
		"TrainingJobArn":       arnPrefix + "training-job/" + jn,
		"TuningJobName":        t.name,
		"TrainingJobStatus":    r.Status,
		"TunedHyperParameters": hp,
		"CreationTime":         r.StartedAt.Format(time.RFC3339Nano),
		"TrainingStartTime":    r.StartedAt.Format(time.RFC3339Nano),
		"TrainingEndTime":      r.EndedAt.Format(time.RFC3339Nano),
		"ObjectiveStatus":      "Succeeded",
		"FerryTrial":           r.Name,
	}
	if r.Objective != nil {
		s["FinalHyperParameterTuningJobObjectiveMetric"] = map[string]any{"Type": typ, "MetricName": t.p.metric, "Value": *r.Objective}
	} else {
		s["ObjectiveStatus"] = "Failed"
	}
	if r.Error != "" {
		s["FailureReason"] = r.Error
	}
	return s
}

func (t *tuner) result(ctx context.Context, recs []*run.Trial, done []tuning.Trial) (step.Result, error) {
	best, ok := tuning.Best(done, t.p.dir)
	if !ok || best.Status != tuning.Completed {
		failed := 0
		for _, r := range recs {
			if r.Status == steptuning.StatusFailed {
				failed++
			}
		}
		if failed == len(recs) && len(recs) > 0 {
			return step.Result{}, step.Permanent(fmt.Errorf("tuning job: all %d training jobs failed; the first: %s", failed, recs[0].Error))
		}
		reported := map[string]bool{}
		for _, r := range recs {
			for m := range r.Metrics {
				reported[m] = true
			}
		}
		return step.Result{}, step.Permanent(fmt.Errorf("tuning job: HyperParameterTuningJobObjective.MetricName: no training job reported %q (they reported: %s)",
			t.p.metric, strings.Join(slices.Sorted(maps.Keys(reported)), ", ")))
	}
	bestRec := recs[best.Index]
	ref, err := artifact.ParseRef(bestRec.Model)
	if err != nil {
		return step.Result{}, fmt.Errorf("tuning job: best model reference: %w", err)
	}
	counters := map[string]any{"Completed": int64(0), "InProgress": int64(0), "RetryableError": int64(0), "NonRetryableError": int64(0), "Stopped": int64(0)}
	objectives := map[string]any{"Succeeded": int64(0), "Pending": int64(0), "Failed": int64(0)}
	summaries := make([]any, 0, len(recs))
	for _, tr := range tuning.Rank(done, t.p.dir) {
		r := recs[tr.Index]
		summaries = append(summaries, t.summary(r))
		switch r.Status {
		case steptuning.StatusCompleted:
			counters["Completed"] = counters["Completed"].(int64) + 1
		case steptuning.StatusStopped:
			counters["Stopped"] = counters["Stopped"].(int64) + 1
		default:
			counters["NonRetryableError"] = counters["NonRetryableError"].(int64) + 1
		}
		if r.Objective != nil {
			objectives["Succeeded"] = objectives["Succeeded"].(int64) + 1
		} else {
			objectives["Failed"] = objectives["Failed"].(int64) + 1
		}
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	cfg, err := toAny(t.p.req.HyperParameterTuningJobConfig)
	if err != nil {
		return step.Result{}, err
	}
	def, err := toAny(t.p.def)
	if err != nil {
		return step.Result{}, err
	}
	props := map[string]any{
		"HyperParameterTuningJobName":   t.name,
		"HyperParameterTuningJobArn":    arnPrefix + "hyper-parameter-tuning-job/" + t.name,
		"HyperParameterTuningJobStatus": "Completed",
		"HyperParameterTuningJobConfig": cfg,
		"TrainingJobDefinition":         def,
		"BestTrainingJob":               t.summary(bestRec),
		"TrainingJobSummaries":          summaries,
		"TrainingJobStatusCounters":     counters,
		"ObjectiveStatusCounters":       objectives,
		"CreationTime":                  recs[0].StartedAt.Format(time.RFC3339Nano),
		"HyperParameterTuningEndTime":   now,
		"LastModifiedTime":              now,
	}
	t.logf("best: %s (%s) %s", bestRec.Name, t.jobName(bestRec.Trial), objectiveText(bestRec))
	return step.Result{Outputs: map[string]artifact.Ref{OutputModel: ref}, Properties: props}, nil
}

func toAny(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
