"""Optuna (TPE sampler) tuning XGBoost 3.x on the benchmark's search space.

For each seed: TRIALS trials of xgb.train (hist, NTHREAD threads, ROUNDS rounds), each
scored by validation AUC after the last round; prints the best AUC after 10,
25 and all trials and the wall time of the study (data loading excluded, as
on Ferry's side the CSVs are stored once before timing).

    python3 bench/tuning/optuna_bench.py DATADIR TRIALS ROUNDS NTHREAD SEED...
"""
import os
import sys
import time

import optuna
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

optuna.logging.set_verbosity(optuna.logging.WARNING)


def main():
    data, trials, rounds, nthread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    seeds = [int(s) for s in sys.argv[5:]]
    train = pd.read_csv(os.path.join(data, "train.csv"))
    valid = pd.read_csv(os.path.join(data, "valid.csv"))
    label = train.columns[0]
    dtrain = xgb.DMatrix(train.drop(columns=[label]), label=train[label])
    dvalid = xgb.DMatrix(valid.drop(columns=[label]), label=valid[label])
    yv = valid[label].to_numpy()

    def objective(trial):
        params = {
            "objective": "binary:logistic", "tree_method": "hist", "max_bin": 256,
            "seed": 42, "verbosity": 0,
            # The search space of Ferry's side (bench/tuning/main.go).
            "max_depth": trial.suggest_int("max_depth", 2, 10),
            "eta": trial.suggest_float("eta", 0.01, 0.5, log=True),
            "min_child_weight": trial.suggest_float("min_child_weight", 1, 20, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
            "lambda": trial.suggest_float("lambda", 0.01, 10, log=True),
        }
        if nthread > 0:  # 0: XGBoost's default, every core
            params["nthread"] = nthread
        bst = xgb.train(params, dtrain, rounds)
        return roc_auc_score(yv, bst.predict(dvalid))

    for seed in seeds:
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
        t0, c0 = time.perf_counter(), time.process_time()
        study.optimize(objective, n_trials=trials)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        vals = [t.value for t in study.trials]
        best = lambda n: max(vals[:n])
        print(f"optuna seed={seed} best10={best(10):.5f} best25={best(25):.5f} best={best(trials):.5f} "
              f"wall_s={wall:.2f} cpu_s={cpu:.2f}", flush=True)


if __name__ == "__main__":
    main()
