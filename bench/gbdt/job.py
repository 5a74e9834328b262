"""A whole training job as a user runs it, for the whole-job shape of the
GBDT benchmark: pandas reads the CSV (label `y` first), then XGBoost
(DMatrix + train, tree_method hist) or LightGBM (Dataset + train) trains
with default settings besides depth 6 and the rounds. Prints the phases.

    python3 bench/gbdt/job.py xgboost|lightgbm TRAIN.csv ROUNDS
"""
import sys
import time

import pandas as pd


def main():
    lib, path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t0 = time.perf_counter()
    d = pd.read_csv(path)
    y, x = d["y"], d.drop(columns=["y"])
    t1 = time.perf_counter()
    if lib == "xgboost":
        import xgboost as xgb
        dm = xgb.DMatrix(x, label=y)
        t2 = time.perf_counter()
        xgb.train({"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6}, dm, rounds)
        name = "xgboost-" + xgb.__version__
    else:
        import lightgbm as lgb
        ds = lgb.Dataset(x, label=y, params={"verbosity": -1})
        t2 = time.perf_counter()
        lgb.train({"objective": "binary", "max_depth": 6, "num_leaves": 64, "verbosity": -1}, ds, rounds)
        name = "lightgbm-" + lgb.__version__
    t3 = time.perf_counter()
    print(f"{name} read_s={t1 - t0:.3f} prepare_s={t2 - t1:.3f} train_s={t3 - t2:.3f} job_s={t3 - t0:.3f}")


if __name__ == "__main__":
    main()
