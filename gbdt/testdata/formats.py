"""XGBoost model formats and features: fixtures and round trips for Ferry.

    python3 formats.py generate OUTDIR
        Train one small model per case (CASES below) with the XGBoost this
        interpreter imports and write, per case, OUTDIR/CASE/:
          data.csv               features (header f0..), empty cell = missing
          model.json, model.ubj  Booster.save_model
          model.p2.pkl, model.p4.pkl
                                 (binary case) pickle.dump(booster) with
                                 pickle protocols 2 and 4
          model.bin              the deprecated binary format (XGBoost < 2 only:
                                 save_raw(raw_format="deprecated"), what
                                 save_model("x.bin") and older SageMaker
                                 containers' xgboost-model hold)
          expected_margin.csv, expected_prediction.csv, expected_contribs.csv
                                 predict(output_margin=True), predict(),
                                 predict(pred_contribs=True) with
                                 iteration_range (0, best_iteration + 1), as
                                 XGBoost's scikit-learn API and SageMaker's
                                 container predict
          expected_margin_all.csv  predict(output_margin=True) with every tree
          case.json              the parameters and XGBoost version
          train_data.csv, train_labels.csv
                                 the training rows (categorical case), which
                                 Ferry trains on to compare its trees

    python3 formats.py predict MODEL DATA_CSV OUT_PREFIX [MODEL DATA_CSV OUT_PREFIX ...]
        Load MODEL (any format XGBoost reads) and write OUT_PREFIX_margin.csv,
        _prediction.csv, _contribs.csv and _margin_all.csv for DATA_CSV, as
        generate does.

Committed fixtures: testdata/xgboost17 with Debian 12's /usr/bin/python3
(XGBoost 1.7.4) and testdata/xgboost3 with the PyPI venv (XGBoost 3.x):

    cd gbdt
    /usr/bin/python3 testdata/formats.py generate testdata/xgboost17
    $FERRY_TEST_PYTHON testdata/formats.py generate testdata/xgboost3

Values are float32 written as the shortest text that reads back as the same
float32; data values are multiples of 1/64 (exact in float32).
"""
import json
import os
import pickle
import sys

import numpy as np
import xgboost as xgb

MAJOR = int(xgb.__version__.split(".")[0])


def make_data(seed, n, nf, missing=0.0, cats=()):
    """Features on a 1/64 grid, categorical columns (index -> number of
    categories) as integer codes, some cells missing."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(n, nf)) * 64) / 64
    for j, k in cats:
        x[:, j] = rng.integers(0, k, size=n)
    if missing:
        x[rng.random(size=(n, nf)) < missing] = np.nan
    return x.astype(np.float32)


def label_binary(x, rng):
    z = np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 1]) * 0.5 + rng.normal(size=len(x)) * 0.5
    return (z > 0).astype(np.float32)


def case_binary(seed=1):
    x = make_data(seed, 300, 5, missing=0.05)
    y = label_binary(x, np.random.default_rng(seed + 100))
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "tree_method": "hist", "nthread": 1, "base_score": 0.5}
    return dict(x=x, y=y, params=params, rounds=8)


def case_multiclass(seed=2):
    x = make_data(seed, 300, 4, missing=0.03)
    y = (np.digitize(np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 2]), [-0.7, 0.7])).astype(np.float32)
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3, "tree_method": "hist", "nthread": 1, "base_score": 0.5}
    return dict(x=x, y=y, params=params, rounds=4)


def case_multiclass_intercept(seed=7):
    # No base_score: XGBoost 3.x estimates one per class and writes
    # base_score as a vector "[a,b,c]"; 1.7 uses 0.5.
    x = make_data(seed, 300, 4, missing=0.03)
    y = (np.digitize(np.nan_to_num(x[:, 1]) * 0.7, [-0.3, 0.9])).astype(np.float32)
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3, "tree_method": "hist", "nthread": 1}
    return dict(x=x, y=y, params=params, rounds=4)


def case_categorical(seed=3):
    # f0: 3 categories (one-hot splits); f1: 40 categories (partition
    # splits, codes beyond one 32-bit word); f2, f3 numeric with missing.
    x = make_data(seed, 400, 4, missing=0.03, cats=[(0, 3), (1, 40)])
    rng = np.random.default_rng(seed + 100)
    c1 = np.nan_to_num(x[:, 1], nan=0).astype(int)
    effect = np.where(c1 % 3 == 0, 1.0, -1.0) + np.where(c1 > 30, 1.5, 0)
    z = effect + np.where(np.nan_to_num(x[:, 0]) == 1, 1.0, 0) + np.nan_to_num(x[:, 2]) + rng.normal(size=len(x)) * 0.3
    y = (z > 0).astype(np.float32)
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "tree_method": "hist", "nthread": 1,
              "max_cat_to_onehot": 4, "base_score": 0.5}
    return dict(x=x, y=y, params=params, rounds=6, feature_types=["c", "c", "q", "q"], write_train=True)


def case_categorical_regression(seed=8):
    # Regression on categorical features with many missing cells (the
    # missing rows of f0 have high labels, so splits that send them right
    # compete), partition splits on f0 (6 categories) and f1 (50).
    x = make_data(seed, 500, 3, cats=[(0, 6), (1, 100)])
    rng = np.random.default_rng(seed + 100)
    miss = rng.random(size=len(x)) < 0.15
    c0, c1 = x[:, 0].astype(int), x[:, 1].astype(int)
    y = np.where(c0 % 2 == 0, 2.0, -1.0) + (c1 % 5) * 0.5 + x[:, 2] + rng.normal(size=len(x)) * 0.3
    y[miss] += 3
    x[miss, 0] = np.nan
    x[rng.random(size=len(x)) < 0.05, 1] = np.nan
    params = {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3, "tree_method": "hist", "nthread": 1,
              "base_score": 0.5}
    return dict(x=x.astype(np.float32), y=y.astype(np.float32), params=params, rounds=8,
                feature_types=["c", "c", "q"], write_train=True)


def case_dart(seed=4):
    x = make_data(seed, 300, 5, missing=0.05)
    y = label_binary(x, np.random.default_rng(seed + 100))
    params = {"booster": "dart", "objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "tree_method": "hist",
              "nthread": 1, "rate_drop": 0.3, "skip_drop": 0.0, "seed": 7, "base_score": 0.5}
    return dict(x=x, y=y, params=params, rounds=8)


def case_early_stopping(seed=5):
    x = make_data(seed, 400, 5, missing=0.02)
    rng = np.random.default_rng(seed + 100)
    y = label_binary(x, rng)
    flip = rng.random(size=len(y)) < 0.25  # noisy labels: validation loss turns up early
    y[flip] = 1 - y[flip]
    params = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.5, "tree_method": "hist", "nthread": 1,
              "eval_metric": "logloss", "base_score": 0.5}
    return dict(x=x, y=y, params=params, rounds=60, early_stopping=3, valid=200)


def case_forest(seed=6):
    x = make_data(seed, 300, 4, missing=0.03)
    y = (np.digitize(np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 3]), [-0.7, 0.7])).astype(np.float32)
    params = {"objective": "multi:softprob", "num_class": 3, "num_parallel_tree": 3, "max_depth": 3, "eta": 1.0,
              "subsample": 0.8, "colsample_bynode": 0.8, "tree_method": "hist", "nthread": 1, "seed": 3, "base_score": 0.5}
    return dict(x=x, y=y, params=params, rounds=2)


# Rows of each case's data written to data.csv and predicted.
PREDICT_ROWS = 100

def case_forest_early_stopping(seed=9):
    # Early stopping on a multi-class forest: a round holds
    # num_class x num_parallel_tree = 6 trees, which best_iteration counts.
    x = make_data(seed, 500, 4, missing=0.03)
    rng = np.random.default_rng(seed + 100)
    y = (np.digitize(np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 3]), [-0.7, 0.7])).astype(np.float32)
    flip = rng.random(size=len(y)) < 0.3
    y[flip] = rng.integers(0, 3, size=flip.sum())
    params = {"objective": "multi:softprob", "num_class": 3, "num_parallel_tree": 2, "max_depth": 4, "eta": 0.5,
              "subsample": 0.8, "colsample_bynode": 0.8, "tree_method": "hist", "nthread": 1, "seed": 5,
              "base_score": 0.5, "eval_metric": "mlogloss"}
    return dict(x=x, y=y, params=params, rounds=40, early_stopping=2, valid=200)


CASES = {
    "binary": case_binary,
    "multiclass": case_multiclass,
    "multiclass_intercept": case_multiclass_intercept,
    "categorical": case_categorical,
    "categorical_regression": case_categorical_regression,
    "dart": case_dart,
    "early_stopping": case_early_stopping,
    "forest": case_forest,
    "forest_early_stopping": case_forest_early_stopping,
}


def fmt(v):
    v = np.float32(v)
    if np.isnan(v):
        return ""
    return np.format_float_positional(v, unique=True, trim="-") if abs(v) >= 1e-4 or v == 0 else np.format_float_scientific(v, unique=True, trim="-")


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(fmt(v) for v in r) + "\n")


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    x = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float32, missing_values="", filling_values=np.nan)
    return header, x.reshape(-1, len(header))


def dmatrix(x, feature_types=None):
    if feature_types and "c" in feature_types:
        return xgb.DMatrix(x, missing=np.nan, feature_types=feature_types, enable_categorical=True)
    return xgb.DMatrix(x, missing=np.nan)


def best_range(bst):
    attr = bst.attr("best_iteration")
    if attr is None:
        return (0, 0)
    return (0, int(attr) + 1)


def predict_all(bst, x, prefix):
    """Write prefix_margin/_prediction/_contribs/_margin_all.csv."""
    ft = bst.feature_types
    d = dmatrix(x, ft)
    rng = best_range(bst)
    n = len(x)
    margin = bst.predict(d, output_margin=True, iteration_range=rng).reshape(n, -1)
    pred = bst.predict(d, iteration_range=rng).reshape(n, -1)
    contribs = bst.predict(d, pred_contribs=True, iteration_range=rng).reshape(n, -1)
    margin_all = bst.predict(d, output_margin=True).reshape(n, -1)
    k = margin.shape[1]
    nf = x.shape[1]
    names = [f"f{j}" for j in range(nf)] + ["bias"]
    mcols = ["margin"] if k == 1 else [f"margin_{g}" for g in range(k)]
    pcols = ["prediction"] if pred.shape[1] == 1 else [f"prob_{g}" for g in range(pred.shape[1])]
    ccols = names if k == 1 else [f"{g}:{c}" for g in range(k) for c in names]
    write_csv(prefix + "_margin.csv", mcols, margin)
    write_csv(prefix + "_prediction.csv", pcols, pred)
    write_csv(prefix + "_contribs.csv", ccols, contribs)
    write_csv(prefix + "_margin_all.csv", mcols, margin_all)


def generate(outdir):
    for name, make in CASES.items():
        c = make()
        x, y, params = c["x"], c["y"], c["params"]
        ft = c.get("feature_types")
        nvalid = c.get("valid", 0)
        ntrain = len(x) - nvalid
        dtrain = dmatrix(x[:ntrain], ft)
        dtrain.set_label(y[:ntrain])
        kw = {}
        if nvalid:
            dvalid = dmatrix(x[ntrain:], ft)
            dvalid.set_label(y[ntrain:])
            kw = dict(evals=[(dvalid, "validation")], early_stopping_rounds=c["early_stopping"], verbose_eval=False)
        bst = xgb.train(params, dtrain, c["rounds"], **kw)
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        bst.save_model(os.path.join(d, "model.json"))
        bst.save_model(os.path.join(d, "model.ubj"))
        if MAJOR < 2 and not ft:
            with open(os.path.join(d, "model.bin"), "wb") as f:
                f.write(bst.save_raw(raw_format="deprecated"))
        if name == "binary":
            # Pickled Boosters, as older SageMaker containers saved
            # xgboost-model: protocol 2 and 4 (Python 3.8's default).
            for proto in (2, 4):
                with open(os.path.join(d, f"model.p{proto}.pkl"), "wb") as f:
                    pickle.dump(bst, f, protocol=proto)
        xd = x[:PREDICT_ROWS]
        if name == "categorical":
            # Rows whose categories the trees never saw: codes past every
            # set, in the last 32-bit word and beyond it.
            extra = np.array([[2, 39, 0.5, 0.5], [1, 33, -0.5, np.nan], [np.nan, 45, 0.25, 1], [0, 64, 1, -1]], dtype=np.float32)
            xd = np.vstack([xd, extra])
        write_csv(os.path.join(d, "data.csv"), [f"f{j}" for j in range(x.shape[1])], xd)
        if c.get("write_train"):
            # The training rows, for Ferry to train the same model.
            write_csv(os.path.join(d, "train_data.csv"), [f"f{j}" for j in range(x.shape[1])], x[:ntrain])
            write_csv(os.path.join(d, "train_labels.csv"), ["label"], y[:ntrain].reshape(-1, 1))
        # Expected values from the model as saved and re-loaded.
        re = xgb.Booster()
        re.load_model(os.path.join(d, "model.json"))
        predict_all(re, xd, os.path.join(d, "expected"))
        info = {"xgboost_version": xgb.__version__, "params": params, "num_boost_round": c["rounds"],
                "feature_types": ft, "early_stopping_rounds": c.get("early_stopping"),
                "validation_rows": nvalid, "best_iteration": bst.attr("best_iteration"),
                "num_trees": len(bst.get_dump())}
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(info, f, indent=2, sort_keys=True)
            f.write("\n")


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "generate":
        generate(args[1])
        return
    if args and args[0] == "predict" and len(args) % 3 == 1:
        for i in range(1, len(args), 3):
            model, data, prefix = args[i:i + 3]
            bst = xgb.Booster()
            bst.load_model(model)
            _, x = read_csv(data)
            predict_all(bst, x, prefix)
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
