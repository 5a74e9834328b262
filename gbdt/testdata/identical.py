"""Fixtures of the identical-trees test (issue 15): XGBoost's hist trees on
data with missing values, for Ferry to grow the same trees.

    python3 identical.py OUT_DIR DATASET ROWS [FRAUD_DIR]

DATASET is one of
  diabetes_nan  a regression shaped like scikit-learn's diabetes data (10
                continuous features with many distinct values, a linear and
                interacting target), 10% of the cells missing;
  fraud_nan     the auto-claims fraud table (FRAUD_DIR/data.csv and
                labels.csv), rows drawn with replacement up to ROWS, 5% of the
                cells of the continuous columns set missing;
  diabetes_nan_weighted, fraud_nan_weighted
                the same data with a sample weight per row (weights.csv:
                0 to 3 in steps of 0.1, about 5% of them 0), which XGBoost
                uses in the gradients and in the quantile sketch.
Writes OUT_DIR/data.csv (empty cell = missing), labels.csv, params.json,
trees.csv (every node of every tree: left, right, split feature, split
condition, default_left, and the leaf value or base weight) and
expected_margin.csv (predict(output_margin=True)). Runs on XGBoost 1.7
(Debian) and 3.x (PyPI) alike: base_score is given, nthread is 1.
"""
import csv
import json
import os
import sys

import numpy as np
import xgboost as xgb

ROUNDS = 100


def f32s(v):
    """Shortest text of a float32 that reads back as the same float32."""
    if np.isnan(v):
        return ""
    return np.format_float_positional(np.float32(v), unique=True, trim="-")


def diabetes(rows):
    rng = np.random.default_rng(442)
    x = np.empty((rows, 10))
    x[:, 0] = rng.normal(48, 13, rows).round()  # age
    x[:, 1] = rng.integers(1, 3, rows)  # sex
    x[:, 2] = rng.normal(26, 4.4, rows).round(1)  # bmi
    x[:, 3] = rng.normal(95, 14, rows).round(2)  # bp
    for j in range(4, 10):  # serum measurements
        x[:, j] = rng.lognormal(4.5 - 0.5 * (j - 4), 0.3, rows).round(4)
    y = (150 + 3 * (x[:, 2] - 26) + 0.8 * (x[:, 3] - 95) + 20 * np.log(x[:, 8] / np.exp(2.5))
         + 0.05 * (x[:, 0] - 48) * (x[:, 2] - 26) + rng.normal(0, 30, rows))
    x[rng.random(x.shape) < 0.1] = np.nan
    names = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    params = {"objective": "reg:squarederror", "max_depth": 6, "eta": 0.3, "tree_method": "hist",
              "nthread": 1, "base_score": 0.5, "seed": 0}
    return x.astype(np.float32), y.astype(np.float32), names, params


def fraud(rows, src):
    with open(os.path.join(src, "data.csv")) as f:
        r = csv.reader(f)
        names = next(r)
        x = np.array([[float(v) if v else np.nan for v in row] for row in r])
    with open(os.path.join(src, "labels.csv")) as f:
        r = csv.reader(f)
        next(r)
        y = np.array([float(row[0]) for row in r])
    rng = np.random.default_rng(500)
    if rows != len(y):
        idx = rng.integers(0, len(y), rows)
        x, y = x[idx], y[idx]
    cont = [j for j in range(x.shape[1]) if len(np.unique(x[:, j])) > 2]
    mask = rng.random((rows, len(cont))) < 0.05
    for k, j in enumerate(cont):
        x[mask[:, k], j] = np.nan
    params = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.3, "tree_method": "hist",
              "nthread": 1, "base_score": 0.5, "seed": 0}
    return x.astype(np.float32), y.astype(np.float32), names, params


def weights(rows):
    rng = np.random.default_rng(15)
    w = np.round(rng.uniform(0.1, 3, rows), 1)
    w[rng.random(rows) < 0.05] = 0
    return w.astype(np.float32)


def main():
    out, name, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    w = None
    if name.endswith("_weighted"):
        name = name[: -len("_weighted")]
        w = weights(rows)
    if name == "diabetes_nan":
        x, y, names, params = diabetes(rows)
    elif name == "fraud_nan":
        x, y, names, params = fraud(rows, sys.argv[4])
    else:
        sys.exit("unknown dataset " + name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "data.csv"), "w") as f:
        f.write(",".join(names) + "\n")
        for row in x:
            f.write(",".join(f32s(v) for v in row) + "\n")
    with open(os.path.join(out, "labels.csv"), "w") as f:
        f.write("label\n")
        for v in y:
            f.write(f32s(v) + "\n")
    if w is not None:
        with open(os.path.join(out, "weights.csv"), "w") as f:
            f.write("weight\n")
            for v in w:
                f.write(f32s(v) + "\n")
    d = xgb.DMatrix(x, label=y, weight=w, missing=np.nan)
    bst = xgb.train(params, d, ROUNDS)
    with open(os.path.join(out, "params.json"), "w") as f:
        json.dump({"params": params, "num_boost_round": ROUNDS, "xgboost_version": xgb.__version__,
                   "dataset": sys.argv[2], "rows": rows}, f, indent=2)
        f.write("\n")
    model = json.loads(bst.save_raw("json"))
    with open(os.path.join(out, "trees.csv"), "w") as f:
        f.write("tree,node,left,right,feature,condition,default_left,weight\n")
        for t, tr in enumerate(model["learner"]["gradient_booster"]["model"]["trees"]):
            for i, left in enumerate(tr["left_children"]):
                f.write("%d,%d,%d,%d,%d,%s,%d,%s\n" % (
                    t, i, left, tr["right_children"][i], tr["split_indices"][i],
                    f32s(tr["split_conditions"][i]), tr["default_left"][i], f32s(tr["base_weights"][i])))
    margin = bst.predict(d, output_margin=True)
    with open(os.path.join(out, "expected_margin.csv"), "w") as f:
        f.write("margin\n")
        for v in margin:
            f.write(f32s(v) + "\n")


if __name__ == "__main__":
    main()
