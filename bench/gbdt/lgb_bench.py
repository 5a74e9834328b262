"""LightGBM 4.x side of the GBDT benchmark (run with the PyPI venv's python3).

Same table (gen.py) as gbdtbench and xgb_bench.py, the closest LightGBM
settings: binary objective, max_depth 6 with num_leaves 64 (a full depth-6
tree), learning_rate 0.3, max_bin 255 (LightGBM's default; its bins leave
one for missing values), min_data_in_leaf 1 and min_sum_hessian_in_leaf 1
(XGBoost's min_child_weight), lambda_l2 1 (XGBoost's lambda), 2 threads.
Prints one line of figures in the format gbdtbench uses.

    python3 bench/gbdt/lgb_bench.py DATADIR [ROUNDS] [NTHREAD] [SHAP_ROWS]
"""
import os
import sys
import time

import lightgbm as lgb
import numpy as np
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
    xtr, ytr = load(d, "train")
    xte, yte = load(d, "test")
    params = {"objective": "binary", "max_depth": 6, "num_leaves": 64, "learning_rate": 0.3,
              "max_bin": 255, "num_threads": nthread, "min_data_in_leaf": 1,
              "min_sum_hessian_in_leaf": 1, "lambda_l2": 1, "seed": 0, "verbosity": -1,
              "force_row_wise": True}
    t0 = time.perf_counter()
    c0 = time.process_time()
    dtrain = lgb.Dataset(xtr, label=ytr, params={"max_bin": 255, "verbosity": -1})
    bst = lgb.train(params, dtrain, num_boost_round=rounds)
    train_s = time.perf_counter() - t0
    train_cpu = time.process_time() - c0
    pred = bst.predict(xte, num_threads=nthread)
    best = float("inf")
    c0 = time.process_time()
    for _ in range(3):
        t0 = time.perf_counter()
        pred = bst.predict(xte, num_threads=nthread)
        best = min(best, time.perf_counter() - t0)
    pred_cpu = (time.process_time() - c0) / 3
    auc = roc_auc_score(yte, pred)
    lat = []
    for i in range(2000):
        r = xte[i % len(xte):i % len(xte) + 1]
        t0 = time.perf_counter()
        bst.predict(r, num_threads=1)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    t0 = time.perf_counter()
    c0 = time.process_time()
    bst.predict(xte[:shap_rows], pred_contrib=True, num_threads=nthread)
    shap_s = time.perf_counter() - t0
    shap_cpu = time.process_time() - c0
    print(f"lightgbm-{lgb.__version__} train_s={train_s:.2f} train_cpu_s={train_cpu:.2f} test_auc={auc:.5f} "
          f"predict_rows_per_s={len(xte) / best:.0f} predict_rows_per_cpu_s={len(xte) / pred_cpu:.0f} "
          f"single_row_us={lat[len(lat) // 2] * 1e6:.2f} shap_rows_per_s={shap_rows / shap_s:.0f} "
          f"shap_rows_per_cpu_s={shap_rows / shap_cpu:.0f} trees={rounds}")


if __name__ == "__main__":
    main()
