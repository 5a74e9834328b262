#!/usr/bin/python3
"""Reference timing for Ferry's SHAP benchmark: XGBoost 1.7.4's exact
TreeSHAP (pred_contribs) for the first 1,000 rows of the fraud data with
the fraud fixture model, single-threaded and with all cores. (The shap
library, whose KernelExplainer Clarify runs, is not installed here.)

Run: /usr/bin/python3 bench/clarify/shap_xgboost.py
"""
import time

import numpy as np
import pandas as pd
import xgboost as xgb

df = pd.read_csv("internal/clarify/testdata/clarify/fraud_autoclaims/data.csv", nrows=1000)
x = df.drop(columns=["fraud", "predicted_fraud"])
booster = xgb.Booster()
booster.load_model("gbdt/testdata/xgboost/fraud_autoclaims/model.json")
dm = xgb.DMatrix(x.to_numpy(dtype=np.float64), feature_names=list(x.columns))
for threads in (1, 0):
    booster.set_param({"nthread": threads})
    booster.predict(dm, pred_contribs=True)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        booster.predict(dm, pred_contribs=True)
        times.append(time.perf_counter() - t0)
    print(f"xgboost pred_contribs, 1000 rows, nthread={threads or 'all'}: best {min(times)*1000:.1f} ms")
