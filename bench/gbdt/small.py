"""XGBoost side of the small-data shape of the GBDT benchmark: the encoded
auto-claims fraud table (3,500 train / 1,500 validation rows, 48 features,
bench/tuning/data.py's split), binary:logistic, hist, max_depth 6, eta 0.3,
100 rounds, 1 thread, validation AUC every round: one tuning trial's
training. The DMatrix objects are built once (as a tuning study does);
each of REPEAT trainings is timed and the CPU seconds per training printed
in the format gbdtbench -small uses.

    python3 bench/gbdt/small.py DIR [ROUNDS] [REPEAT]
"""
import os
import sys
import time

import pandas as pd
import xgboost as xgb


def main():
    d = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    tr = pd.read_csv(os.path.join(d, "train.csv"))
    va = pd.read_csv(os.path.join(d, "valid.csv"))
    label = tr.columns[0]
    dtr = xgb.DMatrix(tr.drop(columns=[label]), label=tr[label])
    dva = xgb.DMatrix(va.drop(columns=[label]), label=va[label])
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.3,
              "nthread": 1, "eval_metric": "auc", "seed": 0, "base_score": 0.5}
    best_cpu, best_wall, auc = float("inf"), float("inf"), 0.0
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        res = {}
        xgb.train(params, dtr, rounds, evals=[(dva, "validation")], evals_result=res, verbose_eval=False)
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
        auc = res["validation"]["auc"][-1]
    print("xgboost-%s small train_ms=%.2f train_cpu_ms=%.2f validation_auc=%.5f" % (
        xgb.__version__, best_wall * 1000, best_cpu * 1000, auc))


if __name__ == "__main__":
    main()
