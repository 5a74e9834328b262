package tuning

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// writeSynthetic writes a label-first binary classification CSV: the label
// depends on x0 and on x1*x2, plus noise; x3 is noise.
func writeSynthetic(t testing.TB, path string, rows int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	b.WriteString("y,x0,x1,x2,x3\n")
	for range rows {
		x := [4]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		y := 0
		if x[0]+0.8*x[1]*x[2]+0.7*rng.NormFloat64() > 0.3 {
			y = 1
		}
		fmt.Fprintf(&b, "%d,%.4f,%.4f,%.4f,%.4f\n", y, x[0], x[1], x[2], x[3])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

type bundle struct {
	*steptest.Bundle
	trials     TrialStore
	train, val artifact.Ref
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := steptest.New(t)
	root := artifacttest.TempDir(t)
	writeSynthetic(t, filepath.Join(root, "train", "train.csv"), 400, 1)
	writeSynthetic(t, filepath.Join(root, "val", "validation.csv"), 200, 2)
	db, err := sqlite.Open(t.Context(), filepath.Join(root, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// The trials are records in the database, as `ferry` wires them.
	trials := Records{Store: sqlite.NewTrialStore(db), LogPath: func(exec, trial string) string {
		return filepath.Join(root, "logs", exec, strings.ReplaceAll(trial, "/", "_")+".log")
	}}
	return &bundle{Bundle: b, trials: trials,
		train: b.PutDir(t, filepath.Join(root, "train")), val: b.PutDir(t, filepath.Join(root, "val"))}
}

func (b *bundle) args(over map[string]any) map[string]any {
	args := map[string]any{
		ArgAlgorithm:       "xgboost",
		ArgHyperparameters: map[string]any{"objective": "binary:logistic", "eval_metric": "auc", "num_round": int64(9)},
		ArgInputs:          map[string]any{"train": b.train, "validation": b.val},
		ArgRanges: map[string]any{
			"max_depth": map[string]any{"min": int64(1), "max": int64(6)},
			"eta":       map[string]any{"min": 0.01, "max": 1.0, "scaling": "logarithmic"},
			"subsample": map[string]any{"min": 0.5, "max": 1.0},
		},
		ArgObjectiveMetric: "validation_auc",
		ArgStrategy:        "bayesian",
		ArgMaxTrials:       int64(6),
		ArgSeed:            int64(3),
	}
	for k, v := range over {
		args[k] = v
	}
	return args
}

func (b *bundle) run(t *testing.T, k *Kind, exec string, args map[string]any) (step.Result, error) {
	t.Helper()
	return b.Run(t, k, step.Request{ExecutionID: exec, StepName: "tune", Args: args})
}

func (b *bundle) records(t *testing.T, exec string) []Record {
	t.Helper()
	recs, err := b.trials.Trials(t.Context(), exec, "tune")
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func reusedCount(recs []Record) int {
	n := 0
	for _, r := range recs {
		if r.Reused {
			n++
		}
	}
	return n
}

func TestRunOutputsBestModelAndTable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.run(t, New(b.trials), "exec-1", b.args(map[string]any{ArgMaxParallelTrials: int64(2)}))
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := res.Properties[PropTrainingJobSummaries].([]any)
	if len(sums) != 6 {
		t.Fatalf("got %d TrainingJobSummaries, want 6", len(sums))
	}
	prev := 2.0
	for i, s := range sums {
		v := s.(map[string]any)["FinalHyperParameterTuningJobObjectiveMetric"].(map[string]any)["Value"].(float64)
		if v > prev {
			t.Errorf("summary %d objective %g after %g: not sorted best first", i, v, prev)
		}
		prev = v
	}
	best := res.Properties[PropBestTrainingJob].(map[string]any)
	if diff := cmp.Diff(sums[0], any(best)); diff != "" {
		t.Errorf("BestTrainingJob differs from TrainingJobSummaries[0]:\n%s", diff)
	}
	if res.Properties[PropBestObjective] != res.Properties["validation_auc"] {
		t.Errorf("best_objective %v, validation_auc %v: want equal", res.Properties[PropBestObjective], res.Properties["validation_auc"])
	}
	mdir, err := b.Store.Path(t.Context(), res.Outputs[OutputModel])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mdir, "ferry-model.json")); err != nil {
		t.Errorf("best model has no manifest: %v", err)
	}
	tdir, err := b.Store.Path(t.Context(), res.Outputs[OutputTrials])
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.ReadFile(filepath.Join(tdir, TrialsCSV))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHdr := []string{"trial", "name", "status", "objective", "stopped_early", "rounds", "seconds", "reused", "eta", "max_depth", "subsample", "model"}
	if diff := cmp.Diff(wantHdr, rows[0]); diff != "" {
		t.Errorf("trials.csv header (-want +got):\n%s", diff)
	}
	if len(rows) != 7 || rows[1][1] != "tune/trial-001" || rows[1][2] != StatusCompleted {
		t.Errorf("trials.csv rows: %v", rows)
	}
	if _, err := os.Stat(filepath.Join(tdir, TrialsJSON)); err != nil {
		t.Error(err)
	}
	recs := b.records(t, "exec-1")
	if len(recs) != 6 || reusedCount(recs) != 0 {
		t.Fatalf("got %d records (%d reused), want 6 trained", len(recs), reusedCount(recs))
	}
	if _, err := os.Stat(b.trials.(Records).LogPath("exec-1", TrialName("tune", 1))); err != nil {
		t.Errorf("trial log: %v", err)
	}
}

func TestRerunReusesFinishedTrials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k := New(b.trials)
	first, err := b.run(t, k, "exec-1", b.args(nil))
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.run(t, k, "exec-2", b.args(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := reusedCount(b.records(t, "exec-2")); got != 6 {
		t.Errorf("re-run reused %d trials, want 6", got)
	}
	if first.Outputs[OutputModel] != again.Outputs[OutputModel] || first.Properties[PropBestTrial] != again.Properties[PropBestTrial] {
		t.Errorf("re-run chose %v (%v), first run %v (%v)", again.Properties[PropBestTrial], again.Outputs[OutputModel], first.Properties[PropBestTrial], first.Outputs[OutputModel])
	}
	// A larger budget reuses the first six and trains two more.
	if _, err := b.run(t, k, "exec-3", b.args(map[string]any{ArgMaxTrials: int64(8)})); err != nil {
		t.Fatal(err)
	}
	recs := b.records(t, "exec-3")
	if len(recs) != 8 || reusedCount(recs) != 6 {
		t.Errorf("max_trials 8: %d records, %d reused; want 8 and 6", len(recs), reusedCount(recs))
	}
}

// crashingStore fails the run (as a crash would end it) after saving
// `after` trials. Saves are one at a time: two trials saving at once must
// not both take the last place.
type crashingStore struct {
	TrialStore
	after int
	mu    sync.Mutex
	saved []string // names of the trials saved, in order
}

var errCrash = errors.New("crash")

func (c *crashingStore) SaveTrial(ctx context.Context, execID, stepName string, rec *Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.saved) >= c.after {
		return errCrash
	}
	if err := c.TrialStore.SaveTrial(ctx, execID, stepName, rec); err != nil {
		return err
	}
	c.saved = append(c.saved, rec.Name)
	return nil
}

func TestResumeAfterCrashRedoesOnlyUnfinishedTrials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	crash := &crashingStore{TrialStore: b.trials, after: 3}
	if _, err := b.run(t, New(crash), "exec-1", b.args(nil)); !errors.Is(err, errCrash) {
		t.Fatalf("first attempt: got %v, want the crash", err)
	}
	if got := len(b.records(t, "exec-1")); got != 3 {
		t.Fatalf("after the crash %d trial records, want 3", got)
	}
	// The resumed attempt (same execution) reuses the three saved (two
	// trials run at a time, so not always the first three).
	if _, err := b.run(t, New(b.trials), "exec-1", b.args(nil)); err != nil {
		t.Fatal(err)
	}
	recs := b.records(t, "exec-1")
	if len(recs) != 6 || reusedCount(recs) != 3 {
		t.Errorf("resumed: %d records, %d reused; want 6 and 3", len(recs), reusedCount(recs))
	}
	for _, r := range recs {
		if slices.Contains(crash.saved, r.Name) != r.Reused {
			t.Errorf("%s: reused %v, saved before the crash %v", r.Name, r.Reused, slices.Contains(crash.saved, r.Name))
		}
	}
}

func TestHyperbandStopsPoorTrials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	args := b.args(map[string]any{
		ArgStrategy:        "hyperband",
		ArgMaxTrials:       int64(12),
		ArgHyperparameters: map[string]any{"objective": "binary:logistic", "eval_metric": "auc", "num_round": int64(27)},
		ArgRanges: map[string]any{
			"max_depth": map[string]any{"min": int64(1), "max": int64(6)},
			"eta":       map[string]any{"min": 0.001, "max": 1.0, "scaling": "logarithmic"},
		},
	})
	res, err := b.run(t, New(b.trials), "exec-1", args)
	if err != nil {
		t.Fatal(err)
	}
	recs := b.records(t, "exec-1")
	stopped, rounds := 0, 0
	for _, r := range recs {
		rounds += r.Rounds
		if r.StoppedEarly {
			stopped++
			if r.Status != StatusStopped || r.Rounds >= 27 || r.Model != "" {
				t.Errorf("%s stopped early but status %s, %d rounds, model %q", r.Name, r.Status, r.Rounds, r.Model)
			}
		}
	}
	if stopped == 0 || res.Properties[PropTrialsStopped] != int64(stopped) {
		t.Errorf("stopped %d trials (property %v), want some", stopped, res.Properties[PropTrialsStopped])
	}
	if rounds >= 12*27 {
		t.Errorf("ran %d rounds, want fewer than %d", rounds, 12*27)
	}
	t.Logf("hyperband: %d of 12 trials stopped early, %d of %d rounds", stopped, rounds, 12*27)
	// Reusing the trials replays the same stopping decisions.
	if _, err := b.run(t, New(b.trials), "exec-2", args); err != nil {
		t.Fatal(err)
	}
	again := b.records(t, "exec-2")
	if reusedCount(again) != 12 {
		t.Errorf("re-run reused %d of 12", reusedCount(again))
	}
	for i := range again {
		if again[i].StoppedEarly != recs[i].StoppedEarly || again[i].Rounds != recs[i].Rounds {
			t.Errorf("%s: re-run stopped_early %v after %d rounds, first run %v after %d", again[i].Name, again[i].StoppedEarly, again[i].Rounds, recs[i].StoppedEarly, recs[i].Rounds)
		}
	}
}

func TestWarmStart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k := New(b.trials)
	if _, err := b.run(t, k, "exec-1", b.args(map[string]any{ArgMaxTrials: int64(10)})); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	env := b.Env(t)
	env.Log = &log
	if _, err := k.Run(t.Context(), env, step.Request{ExecutionID: "exec-2", StepName: "tune",
		Args: b.args(map[string]any{ArgMaxTrials: int64(2), ArgSeed: int64(11), ArgWarmStart: []any{"exec-1"}})}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "10 warm-start trials") {
		t.Errorf("log does not mention the warm-start trials:\n%s", log.String())
	}
	_, err := b.run(t, k, "exec-3", b.args(map[string]any{ArgWarmStart: []any{"exec-9"}}))
	if err == nil || !strings.Contains(err.Error(), "warm_start[0]") {
		t.Errorf("unknown warm-start execution: got %v", err)
	}
}

func TestValidationErrorsAreLocated(t *testing.T) {
	t.Parallel()
	b := &bundle{train: artifact.Ref("sha256:" + strings.Repeat("a", 64)), val: artifact.Ref("sha256:" + strings.Repeat("b", 64))}
	rng := func(r map[string]any) map[string]any { return map[string]any{ArgRanges: r} }
	cases := []struct {
		name  string
		over  map[string]any
		field string
		msg   string
	}{
		{"MinAboveMax", rng(map[string]any{"eta": map[string]any{"min": 0.5, "max": 0.1}}), "ranges.eta.min", "greater than max"},
		{"LogScaleMinZero", rng(map[string]any{"eta": map[string]any{"min": 0.0, "max": 0.5, "scaling": "logarithmic"}}), "ranges.eta.scaling", "min > 0"},
		{"UnknownHyperparameter", rng(map[string]any{"max_depht": map[string]any{"min": int64(1), "max": int64(5)}}), "ranges.max_depht", "unknown"},
		{"OutsideLearnerRange", rng(map[string]any{"subsample": map[string]any{"min": 0.5, "max": 2.0}}), "ranges.subsample", "value 2"},
		{"TunedAndFixed", rng(map[string]any{"num_round": map[string]any{"min": int64(5), "max": int64(50)}}), "ranges.num_round", "not both"},
		{"MissingMax", rng(map[string]any{"eta": map[string]any{"min": 0.1}}), "ranges.eta.max", "required"},
		{"MetricNoTrialReports", map[string]any{ArgObjectiveMetric: "validation_rmse"}, "objective_metric", `no trial reports "validation_rmse"`},
		{"HyperbandNeedsRounds", map[string]any{ArgAlgorithm: "random_forest", ArgHyperparameters: map[string]any{}, ArgStrategy: "hyperband",
			ArgRanges: map[string]any{"num_trees": map[string]any{"min": int64(10), "max": int64(50)}}, ArgObjectiveMetric: "validation_auc"}, "strategy", "per-round"},
		{"EmptyRanges", rng(map[string]any{}), "ranges", "no hyperparameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := New(nil).ValidateArgs(b.args(tc.over))
			for _, e := range errs {
				var fe *step.FieldError
				if errors.As(e, &fe) && fe.Field == tc.field && strings.Contains(fe.Msg, tc.msg) {
					return
				}
			}
			t.Errorf("want an error at %s saying %q; got %v", tc.field, tc.msg, errs)
		})
	}
}

func TestMetricNoTrialReportsFailsTheRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// eval_metric is not fixed, so only the run can tell.
	args := b.args(map[string]any{
		ArgHyperparameters: map[string]any{"objective": "binary:logistic", "num_round": int64(3)},
		ArgObjectiveMetric: "validation_ndcg", ArgMaxTrials: int64(2),
	})
	_, err := b.run(t, New(nil), "exec-1", args)
	if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), `objective_metric: no trial reported "validation_ndcg"`) || !strings.Contains(err.Error(), "validation_auc") {
		t.Errorf("got %v; want a permanent error naming objective_metric and the metrics reported", err)
	}
}

func TestGridRunsEveryPoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.run(t, New(nil), "", b.args(map[string]any{
		ArgStrategy: "grid", ArgMaxTrials: int64(100),
		ArgRanges: map[string]any{
			"max_depth":        map[string]any{"min": int64(2), "max": int64(3)},
			"grow_policy":      []any{"depthwise", "lossguide"},
			"min_child_weight": map[string]any{"min": 1.0, "max": 4.0},
		},
		ArgGridPoints: int64(2),
	}))
	if err != nil {
		t.Fatal(err)
	}
	sums := res.Properties[PropTrainingJobSummaries].([]any)
	seen := map[string]bool{}
	for _, s := range sums {
		hp := s.(map[string]any)["TunedHyperParameters"].(map[string]any)
		seen[fmt.Sprint(hp["max_depth"], hp["grow_policy"], hp["min_child_weight"])] = true
	}
	if len(sums) != 8 || len(seen) != 8 {
		t.Errorf("grid ran %d trials (%d distinct), want the 8 points", len(sums), len(seen))
	}
}

func FuzzParseRanges(f *testing.F) {
	f.Add("eta", "continuous", 0.01, 1.0, "logarithmic", "")
	f.Add("max_depth", "integer", 1.0, 10.0, "", "")
	f.Add("booster", "categorical", 0.0, 0.0, "", "gbtree,dart")
	f.Add("x", "", -1.0, 1.0, "reverse_logarithmic", "")
	f.Fuzz(func(t *testing.T, name, typ string, lo, hi float64, scaling, values string) {
		spec := map[string]any{"min": lo, "max": hi}
		if typ != "" {
			spec["type"] = typ
		}
		if scaling != "" {
			spec["scaling"] = scaling
		}
		if values != "" {
			var vs []any
			for _, v := range strings.Split(values, ",") {
				vs = append(vs, v)
			}
			spec["values"] = vs
		}
		args := map[string]any{
			ArgAlgorithm: "xgboost", ArgInputs: map[string]any{"train": "sha256:" + strings.Repeat("a", 64)},
			ArgRanges: map[string]any{name: spec}, ArgObjectiveMetric: "validation_auc",
		}
		c, errs := New(nil).parse(args)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Error() == "" {
					t.Fatal("empty error")
				}
			}
			return
		}
		if c.space == nil {
			t.Fatal("no errors but no space")
		}
	})
}

func TestSageMakerSpellings(t *testing.T) {
	t.Parallel()
	b := &bundle{train: artifact.Ref("sha256:" + strings.Repeat("a", 64)), val: artifact.Ref("sha256:" + strings.Repeat("b", 64))}
	args := b.args(map[string]any{
		ArgObjectiveMetric: "validation:auc",
		ArgRanges: map[string]any{
			"subsample": map[string]any{"type": "Continuous", "min": "0.5", "max": "0.99", "scaling": "ReverseLogarithmic"},
			"max_depth": map[string]any{"type": "Integer", "min": "2", "max": "8", "scaling": "Auto"},
		},
	})
	c, errs := New(nil).parse(args)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if c.metric != "validation_auc" {
		t.Errorf("metric %q, want validation_auc", c.metric)
	}
}

func TestParallelTrialsBoundedByPipeline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var log bytes.Buffer
	env := b.Env(t)
	env.Log = &log
	args := b.args(map[string]any{ArgMaxParallelTrials: int64(4), ArgMaxTrials: int64(4)})
	if _, err := New(nil).Run(t.Context(), env, step.Request{StepName: "tune", Parallelism: 2, Args: args}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "max_parallel_trials 4: bounded by the pipeline's parallelism 2") {
		t.Errorf("log:\n%s", log.String())
	}
}

func TestSeedMakesRunsReproducible(t *testing.T) {
	t.Parallel()
	b := setup(t)
	table := func(exec string) []string {
		res, err := b.run(t, New(nil), exec, b.args(map[string]any{ArgMaxParallelTrials: int64(3)}))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range res.Properties[PropTrainingJobSummaries].([]any) {
			m := s.(map[string]any)
			out = append(out, fmt.Sprint(m["TrainingJobName"], m["TunedHyperParameters"], m["FinalHyperParameterTuningJobObjectiveMetric"]))
		}
		return out
	}
	if diff := cmp.Diff(table("a"), table("b")); diff != "" {
		t.Errorf("two runs with one seed differ (-first +second):\n%s", diff)
	}
}

// TestDirStoreReusesFinishedTrials: the file store (a worker without the
// database) keeps trials and reuses them as the database does.
func TestDirStoreReusesFinishedTrials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.trials = DirStore{Root: filepath.Join(artifacttest.TempDir(t), "tuning")}
	k := New(b.trials)
	for _, exec := range []string{"exec-1", "exec-2"} {
		if _, err := b.run(t, k, exec, b.args(nil)); err != nil {
			t.Fatal(err)
		}
	}
	if got := reusedCount(b.records(t, "exec-2")); got != 6 {
		t.Errorf("re-run reused %d trials, want 6", got)
	}
}
