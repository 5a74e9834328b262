#!/usr/bin/python3
"""Abalone random-forest quality reference for Ferry's forest learner.

Run with Debian's interpreter (scikit-learn 1.2.1):

    /usr/bin/python3 bench/forest/abalone.py            # print results
    /usr/bin/python3 bench/forest/abalone.py --update   # also rewrite the reference

Reads examples/abalone-clarify/data/abalone.csv, builds the features as the
abalone-clarify sample does (7 numeric columns passed through, then Sex
one-hot encoded as F, I, M), label Rings = Class_number_of_rings, splits
70/30 with train_test_split(test_size=0.3, random_state=42), and fits
RandomForestRegressor(n_estimators=100, max_depth=10, max_features="sqrt")
for seed 42 and seeds 0..4, printing test RMSE, MAE and fit time. With
--update it writes the split row indices and the results to
forest/testdata/abalone_reference.json, which the Go test
TestAbaloneQuality and BenchmarkAbalone read (same rows for both sides).
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import train_test_split

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "examples", "abalone-clarify", "data", "abalone.csv")
OUT = os.path.join(ROOT, "internal", "forest", "testdata", "abalone_reference.json")
NUMERIC = ["Length", "Diameter", "Height", "Whole_weight", "Shucked_weight",
           "Viscera_weight", "Shell_weight"]


def features(df):
    x = df[NUMERIC].to_numpy(dtype=np.float64)
    sex = np.stack([(df["Sex"] == c).to_numpy(dtype=np.float64) for c in ("F", "I", "M")], axis=1)
    return np.hstack([x, sex])


def main():
    df = pd.read_csv(DATA)
    x = features(df)
    y = df["Class_number_of_rings"].to_numpy(dtype=np.float64)
    idx = np.arange(len(df))
    train, test = train_test_split(idx, test_size=0.3, random_state=42)
    runs = {}
    for seed in [42, 0, 1, 2, 3, 4]:
        rf = RandomForestRegressor(n_estimators=100, max_depth=10, max_features="sqrt",
                                   random_state=seed, n_jobs=2)
        t0, c0 = time.perf_counter(), time.process_time()
        rf.fit(x[train], y[train])
        fit, cpu = time.perf_counter() - t0, time.process_time() - c0
        pred = rf.predict(x[test])
        if seed == 42:
            # Batch prediction over the whole data set, as BenchmarkPredict.
            t0 = time.perf_counter()
            reps = 5
            for _ in range(reps):
                rf.predict(x)
            rate = reps * len(x) / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(200):
                rf.predict(x[i:i + 1])
            one = (time.perf_counter() - t0) / 200
            print(f"seed 42: predict {rate:.0f} rows/s (batch of {len(x)}), single row {one * 1e6:.0f} us")
        runs[str(seed)] = {
            "rmse": float(np.sqrt(np.mean((pred - y[test]) ** 2))),
            "mae": float(np.mean(np.abs(pred - y[test]))),
            "fit_seconds": fit,
            "fit_cpu_seconds": cpu,
        }
        print(f"seed {seed}: rmse {runs[str(seed)]['rmse']:.4f} mae {runs[str(seed)]['mae']:.4f} "
              f"fit {fit:.3f}s wall, {cpu:.3f}s cpu")
    out = {
        "command": "/usr/bin/python3 bench/forest/abalone.py",
        "features": NUMERIC + ["Sex_F", "Sex_I", "Sex_M"],
        "params": {"n_estimators": 100, "max_depth": 10, "max_features": "sqrt"},
        "train": [int(i) for i in train],
        "test": [int(i) for i in test],
        "sklearn": runs,
    }
    if "--update" not in sys.argv[1:]:
        return
    with open(OUT, "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
