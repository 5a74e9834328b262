#!/usr/bin/python3
"""scikit-learn 1.2.1 reference fits for Ferry's linear learner
(TestMatchesSklearn). Run from the repository root:

    /usr/bin/python3 linear/testdata/make_fixture.py

Ferry's objective is (1/(2n))·Σ(y − b − w·z)² (regressor) or
(1/n)·Σ logloss (binary classifier), plus (l2/2)·‖w‖² + l1·‖w‖₁, where z
are the features with NaN imputed by the training mean and, with
standardize, scaled to unit variance. The equivalent scikit-learn
estimators: Ridge(alpha = n·l2), Lasso(alpha = l1), ElasticNet(alpha =
l1 + l2, l1_ratio = l1 / (l1 + l2)), LogisticRegression(C = 1/(n·l2)) and,
with L1, saga with C = 1/(n·(l1 + l2)), l1_ratio = l1 / (l1 + l2).
"""
import json
import os

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(11)
n, m = 300, 5
x = rng.normal(size=(n, m)) * np.array([1, 10, 0.1, 3, 1]) + np.array([0, 5, -1, 2, 0])
x[:, 4] += 0.8 * x[:, 0]  # correlated features
coef = np.array([1.5, -0.2, 8.0, 0.0, 0.7])
margin = x @ coef - 1.0
y_reg = margin + rng.normal(size=n)
y_cls = (rng.random(n) < 1 / (1 + np.exp(-margin / 2))).astype(float)
x[rng.random(size=(n, m)) < 0.05] = np.nan
xt = rng.normal(size=(40, m)) * np.array([1, 10, 0.1, 3, 1]) + np.array([0, 5, -1, 2, 0])
xt[rng.random(size=(40, m)) < 0.05] = np.nan


def fit(est, standardize, yv, proba):
    steps = [SimpleImputer(strategy="mean")]
    if standardize:
        steps.append(StandardScaler())
    p = make_pipeline(*steps, est).fit(x, yv)
    return (p.predict_proba(xt)[:, 1] if proba else p.predict(xt)).tolist()


cases = []
for name, ptype, l1, l2, std in [
    ("ridge", "regressor", 0.0, 0.1, True),
    ("ridge_raw", "regressor", 0.0, 0.1, False),
    ("lasso", "regressor", 0.05, 0.0, True),
    ("elastic_net", "regressor", 0.02, 0.1, True),
    ("logistic_l2", "binary_classifier", 0.0, 0.01, True),
    ("logistic_l1", "binary_classifier", 0.01, 0.0, True),
    ("logistic_elastic", "binary_classifier", 0.005, 0.02, True),
]:
    if ptype == "regressor":
        if l1 == 0:
            est = Ridge(alpha=n * l2)
        elif l2 == 0:
            est = Lasso(alpha=l1, tol=1e-14, max_iter=1000000)
        else:
            est = ElasticNet(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), tol=1e-14, max_iter=1000000)
        pred = fit(est, std, y_reg, False)
    else:
        if l1 == 0:
            est = LogisticRegression(C=1 / (n * l2), tol=1e-12, max_iter=100000)
        else:
            est = LogisticRegression(penalty="elasticnet", solver="saga", C=1 / (n * (l1 + l2)),
                                     l1_ratio=l1 / (l1 + l2), tol=1e-12, max_iter=1000000)
        pred = fit(est, std, y_cls, True)
    cases.append({"name": name, "params": {"predictor_type": ptype, "l1": l1, "l2": l2, "standardize": std},
                  "want": pred})

out = {"n": n, "m": m, "x": [None if np.isnan(v) else v for v in x.ravel()],
       "y_regressor": y_reg.tolist(), "y_binary_classifier": y_cls.tolist(),
       "test": [None if np.isnan(v) else v for v in xt.ravel()], "cases": cases}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
