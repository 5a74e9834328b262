// Command tuningbench runs Ferry's tuning step on the benchmark's search
// space (the one optuna_bench.py searches) and prints, per seed, the best
// validation AUC after 10, 25 and all trials and the wall time. run.sh
// runs it beside Optuna.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/tuning"
)

// cpuSeconds is the process's user+system CPU time (all threads): on a
// shared machine a steadier measure than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	data := flag.String("data", "", "directory with train.csv and valid.csv")
	trials := flag.Int("trials", 50, "trials per seed")
	rounds := flag.Int("rounds", 100, "boosting rounds per trial")
	parallel := flag.Int("parallel", 2, "max_parallel_trials")
	nthread := flag.Int("nthread", 1, "threads per trial")
	strategy := flag.String("strategy", "bayesian", "tuning strategy")
	early := flag.String("early-stopping", "auto", "off or auto")
	seeds := flag.String("seeds", "1,2,3,4,5", "comma-separated seeds")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	memprofile := flag.String("memprofile", "", "write an allocation profile here at the end")
	dump := flag.String("dump", "", "write each seed's trials.json here as SET-SEED.json (SET: the data directory's name)")
	records := flag.Bool("records", false, "keep each trial's record (SQLite) and log file as `ferry run` does (default: none, the tuning kind alone)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(context.Background(), *data, *trials, *rounds, *parallel, *nthread, *strategy, *early, *seeds, *dump, *records); err != nil {
		fmt.Fprintln(os.Stderr, "tuningbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	if *memprofile != "" {
		if f, err := os.Create(*memprofile); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
}

func run(ctx context.Context, data string, trials, rounds, parallel, nthread int, strategy, early, seeds, dump string, records bool) error {
	tmp, err := os.MkdirTemp("", "tuningbench-")
	if err != nil {
		return err
	}
	defer func() {
		_ = filepath.WalkDir(tmp, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(tmp)
	}()
	store, err := artifact.OpenDir(filepath.Join(tmp, "artifacts"))
	if err != nil {
		return err
	}
	put := func(name string) (artifact.Ref, error) {
		dir := filepath.Join(tmp, "in-"+name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		b, err := os.ReadFile(filepath.Join(data, name+".csv"))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".csv"), b, 0o644); err != nil {
			return "", err
		}
		return store.PutDir(ctx, dir)
	}
	train, err := put("train")
	if err != nil {
		return err
	}
	valid, err := put("valid")
	if err != nil {
		return err
	}
	for _, s := range strings.Split(seeds, ",") {
		var seed int64
		if _, err := fmt.Sscan(s, &seed); err != nil {
			return fmt.Errorf("seed %q: %w", s, err)
		}
		// A database per seed: no seed reuses another's trials.
		k, closeDB, err := kind(ctx, filepath.Join(tmp, fmt.Sprintf("seed-%d", seed)), records)
		if err != nil {
			return err
		}
		args := map[string]any{
			"algorithm": "xgboost",
			"hyperparameters": map[string]any{"objective": "binary:logistic", "eval_metric": "auc",
				"num_round": int64(rounds), "max_bin": int64(256), "nthread": int64(nthread), "seed": int64(42)},
			"inputs": map[string]any{"train": train, "validation": valid},
			// The search space of optuna_bench.py.
			"ranges": map[string]any{
				"max_depth":        map[string]any{"type": "integer", "min": int64(2), "max": int64(10)},
				"eta":              map[string]any{"type": "continuous", "min": 0.01, "max": 0.5, "scaling": "logarithmic"},
				"min_child_weight": map[string]any{"type": "continuous", "min": 1.0, "max": 20.0, "scaling": "logarithmic"},
				"subsample":        map[string]any{"type": "continuous", "min": 0.5, "max": 1.0},
				"colsample_bytree": map[string]any{"type": "continuous", "min": 0.4, "max": 1.0},
				"lambda":           map[string]any{"type": "continuous", "min": 0.01, "max": 10.0, "scaling": "logarithmic"},
			},
			"objective_metric":    "validation_auc",
			"strategy":            strategy,
			"early_stopping":      early,
			"max_trials":          int64(trials),
			"max_parallel_trials": int64(parallel),
			"seed":                seed,
		}
		work := filepath.Join(tmp, fmt.Sprintf("work-%d", seed))
		if err := os.MkdirAll(work, 0o755); err != nil {
			return err
		}
		env := step.Env{Store: store, WorkDir: work, Logger: slog.New(slog.DiscardHandler), Log: io.Discard}
		t0, c0 := time.Now(), cpuSeconds()
		res, err := k.Run(ctx, env, step.Request{ExecutionID: "bench", StepName: "tune", Args: args})
		wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-c0
		closeDB()
		if err != nil {
			return err
		}
		dir, err := store.Path(ctx, res.Outputs[tuning.OutputTrials])
		if err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, tuning.TrialsJSON))
		if err != nil {
			return err
		}
		if dump != "" {
			name := fmt.Sprintf("%s-%s-%d.json", filepath.Base(filepath.Clean(data)), early, seed)
			if err := os.WriteFile(filepath.Join(dump, name), b, 0o644); err != nil {
				return err
			}
		}
		var recs []tuning.Record
		if err := json.Unmarshal(b, &recs); err != nil {
			return err
		}
		best := func(n int) float64 {
			v := math.Inf(-1)
			for _, r := range recs[:min(n, len(recs))] {
				if r.Status == tuning.StatusCompleted && r.Objective != nil {
					v = max(v, *r.Objective)
				}
			}
			return v
		}
		stopped, rounds := 0, 0
		for _, r := range recs {
			rounds += r.Rounds
			if r.StoppedEarly {
				stopped++
			}
		}
		fmt.Printf("ferry seed=%d best10=%.5f best25=%.5f best=%.5f wall_s=%.2f cpu_s=%.2f stopped=%d rounds=%d\n",
			seed, best(10), best(25), best(trials), wall, cpu, stopped, rounds)
	}
	return nil
}

// kind returns the tuning kind, with trial records in a SQLite database
// and logs in files under dir when records is set (as `ferry run` wires
// it), and a function that closes the database.
func kind(ctx context.Context, dir string, records bool) (*tuning.Kind, func(), error) {
	if !records {
		return tuning.New(nil), func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "ferry.db"))
	if err != nil {
		return nil, nil, err
	}
	store := tuning.Records{Store: sqlite.NewTrialStore(db), LogPath: func(exec, trial string) string {
		return filepath.Join(dir, "logs", exec, strings.ReplaceAll(trial, "/", "_")+".log")
	}}
	return tuning.New(store), func() { db.Close() }, nil
}
