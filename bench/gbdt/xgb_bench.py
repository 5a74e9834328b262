"""XGBoost side of the GBDT benchmark: 1.7 (/usr/bin/python3, Debian) or
3.x (the PyPI venv's python3).

Same table (gen.py), same parameters as gbdtbench: binary:logistic,
tree_method hist, max_depth 6, eta 0.3, max_bin 256, nthread 2.
Prints one line of figures in the format gbdtbench uses.

    /usr/bin/python3 bench/gbdt/xgb_bench.py DATADIR [ROUNDS] [NTHREAD] [SHAP_ROWS] [MODEL]

With MODEL (a model file, e.g. the one `gbdtbench -model` wrote), the
model is loaded instead of trained (train_s=0): prediction and TreeSHAP
of the same trees as `gbdtbench -load MODEL`.
"""
import os
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

M = 28


def load(d, name):
    x = np.fromfile(os.path.join(d, name + ".f32"), dtype=np.float32).reshape(-1, M)
    y = np.fromfile(os.path.join(d, name + ".y"), dtype=np.float32)
    return x, y


def main():
    d = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    nthread = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    shap_rows = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    model = sys.argv[5] if len(sys.argv) > 5 else ""
    xte, yte = load(d, "test")
    if model:
        bst = xgb.Booster(params={"nthread": nthread}, model_file=model)
        train_s = train_cpu = 0.0
    else:
        xtr, ytr = load(d, "train")
        params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6,
                  "eta": 0.3, "max_bin": 256, "nthread": nthread, "seed": 0}
        t0 = time.perf_counter()
        c0 = time.process_time()
        dtrain = xgb.DMatrix(xtr, label=ytr, nthread=nthread)
        bst = xgb.train(params, dtrain, num_boost_round=rounds)
        train_s = time.perf_counter() - t0
        train_cpu = time.process_time() - c0
    # inplace_predict: predict() on one DMatrix would hit XGBoost's
    # prediction cache after the first call.
    pred = bst.inplace_predict(xte)
    best = float("inf")
    c0 = time.process_time()
    for _ in range(3):
        t0 = time.perf_counter()
        pred = bst.inplace_predict(xte)
        best = min(best, time.perf_counter() - t0)
    pred_cpu = (time.process_time() - c0) / 3
    auc = roc_auc_score(yte, pred)
    # One row from Python (inplace_predict), p50 over many calls.
    lat = []
    for i in range(2000):
        r = xte[i % len(xte):i % len(xte) + 1]
        t0 = time.perf_counter()
        bst.inplace_predict(r)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    dshap = xgb.DMatrix(xte[:shap_rows], nthread=nthread)
    t0 = time.perf_counter()
    c0 = time.process_time()
    bst.predict(dshap, pred_contribs=True)
    shap_s = time.perf_counter() - t0
    shap_cpu = time.process_time() - c0
    print(f"xgboost-{xgb.__version__} train_s={train_s:.2f} train_cpu_s={train_cpu:.2f} test_auc={auc:.5f} "
          f"predict_rows_per_s={len(xte) / best:.0f} predict_rows_per_cpu_s={len(xte) / pred_cpu:.0f} "
          f"single_row_us={lat[len(lat) // 2] * 1e6:.2f} shap_rows_per_s={shap_rows / shap_s:.0f} "
          f"shap_rows_per_cpu_s={shap_rows / shap_cpu:.0f} trees={rounds}")


if __name__ == "__main__":
    main()
