#!/usr/bin/python3
"""Writes fraud_autoclaims/expected.json: scikit-learn 1.2.1's metrics of
XGBoost 1.7.4's predictions (expected_prediction.csv, copied with model.json,
data.csv and labels.csv from the XGBoost fixture in
gbdt/testdata/xgboost/fraud_autoclaims).

    /usr/bin/python3 internal/evaluate/testdata/make_expected.py
"""
import json
import os

import numpy as np
import pandas as pd
from sklearn import metrics

d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fraud_autoclaims")
y = pd.read_csv(os.path.join(d, "labels.csv"))["label"].to_numpy(dtype=float)
p = pd.read_csv(os.path.join(d, "expected_prediction.csv"))["prediction"].to_numpy(dtype=float)
pred = (p >= 0.5).astype(float)
tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[0, 1]).ravel()
out = {
    "roc_auc": metrics.roc_auc_score(y, p),
    "pr_auc": metrics.average_precision_score(y, p),
    "logloss": metrics.log_loss(y, p),
    "accuracy": metrics.accuracy_score(y, pred),
    "precision": metrics.precision_score(y, pred, zero_division=0),
    "recall": metrics.recall_score(y, pred, zero_division=0),
    "f1": metrics.f1_score(y, pred, zero_division=0),
    "confusion_matrix": {"0": {"0": int(tn), "1": int(fp)}, "1": {"0": int(fn), "1": int(tp)}},
}
with open(os.path.join(d, "expected.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
