"""A hist model on a matrix, whose split conditions are XGBoost's cuts.

    python3 sketch_model.py DATA.f32 ROWS COLS MAX_BIN OUT.json

DATA.f32 holds ROWS x COLS float32 values, row-major, little-endian; NaN is
missing. Trains 10 rounds of depth 8 (tree_method hist, nthread 1) on a
noise label, so the trees split on many cut values, and saves the model.
For XGBoost 1.7, which has no DMatrix.get_quantile_cut.
"""
import sys

import numpy as np
import xgboost as xgb


def main():
    path, rows, cols, max_bin, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    x = np.fromfile(path, dtype="<f4").reshape(rows, cols)
    y = np.random.default_rng(0).normal(size=rows).astype(np.float32)
    d = xgb.DMatrix(x, label=y, missing=np.nan)
    params = {"tree_method": "hist", "max_bin": max_bin, "nthread": 1, "max_depth": 8, "eta": 0.3,
              "min_child_weight": 0, "lambda": 0.01, "base_score": 0.5}
    xgb.train(params, d, 10).save_model(out)


if __name__ == "__main__":
    main()
