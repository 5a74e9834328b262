#!/usr/bin/python3
"""Writes fixtures.json: inputs and scikit-learn's metric values.

Run with Debian's interpreter (scikit-learn 1.2.1):
    /usr/bin/python3 metric/testdata/make_fixtures.py > metric/testdata/fixtures.json
"""
import json
import sys

import numpy as np
import sklearn
from sklearn import metrics


def classification(name, y, p, w=None, threshold=0.5):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    pred = (p >= threshold).astype(float)
    kw = {} if w is None else {"sample_weight": np.asarray(w, dtype=float)}
    tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[0, 1], **kw).ravel()
    return {
        "name": name,
        "task": "binary",
        "y": y.tolist(),
        "p": p.tolist(),
        "w": None if w is None else list(map(float, w)),
        "threshold": threshold,
        "want": {
            "roc_auc": metrics.roc_auc_score(y, p, **kw),
            "pr_auc": metrics.average_precision_score(y, p, **kw),
            "logloss": metrics.log_loss(y, p, labels=[0, 1], **kw),
            "accuracy": metrics.accuracy_score(y, pred, **kw),
            "precision": metrics.precision_score(y, pred, zero_division=0, **kw),
            "recall": metrics.recall_score(y, pred, zero_division=0, **kw),
            "f1": metrics.f1_score(y, pred, zero_division=0, **kw),
            "tn": float(tn), "fp": float(fp), "fn": float(fn), "tp": float(tp),
        },
    }


def regression(name, y, p, w=None):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    kw = {} if w is None else {"sample_weight": np.asarray(w, dtype=float)}
    mse = metrics.mean_squared_error(y, p, **kw)
    return {
        "name": name,
        "task": "regression",
        "y": y.tolist(),
        "p": p.tolist(),
        "w": None if w is None else list(map(float, w)),
        "want": {
            "mse": mse,
            "rmse": float(np.sqrt(mse)),
            "mae": metrics.mean_absolute_error(y, p, **kw),
            "r2": metrics.r2_score(y, p, **kw),
        },
    }


def main():
    rng = np.random.RandomState(7)
    cases = []
    # Small hand-made cases.
    cases.append(classification("sklearn_doc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
    cases.append(classification("all_tied", [0, 1, 0, 1, 1], [0.5] * 5))
    cases.append(classification("perfect", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]))
    cases.append(classification("inverted", [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]))
    cases.append(classification("extreme_probs", [0, 1, 1, 0], [0.0, 1.0, 0.0, 1.0]))
    cases.append(classification("no_predicted_positive", [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]))
    # Random scores rounded to one decimal: many ties.
    y = rng.randint(0, 2, 200)
    p = np.round(np.clip(0.3 * y + rng.rand(200) * 0.7, 0, 1), 1)
    cases.append(classification("ties_200", y, p))
    cases.append(classification("ties_200_threshold_0.3", y, p, threshold=0.3))
    w = np.round(rng.rand(200) * 3, 2)
    cases.append(classification("ties_200_weighted", y, p, w=w))
    # Imbalanced, continuous scores.
    y = (rng.rand(1000) < 0.05).astype(int)
    p = 1 / (1 + np.exp(-(2 * y - 1 + rng.randn(1000) * 1.5)))
    cases.append(classification("imbalanced_1000", y, p))
    # Regression.
    cases.append(regression("sklearn_doc", [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]))
    yr = rng.randn(300) * 5 + 10
    pr = yr + rng.randn(300) * 2
    cases.append(regression("noisy_300", yr, pr))
    cases.append(regression("noisy_300_weighted", yr, pr, w=rng.rand(300) + 0.1))
    cases.append(regression("constant_truth", [2, 2, 2], [2, 2, 3]))
    json.dump({"generator": "make_fixtures.py", "sklearn": sklearn.__version__, "cases": cases},
              sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
