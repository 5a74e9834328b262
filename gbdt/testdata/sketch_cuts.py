"""XGBoost's hist cuts of a matrix, for Ferry's sketch test.

    python3 sketch_cuts.py DATA.f32 ROWS COLS MAX_BIN OUT.csv

DATA.f32 holds ROWS x COLS float32 values, row-major, little-endian; NaN is
missing. OUT.csv gets one line per feature: the feature index, the minimum
value XGBoost keeps below every cut, then the cut values (the last is the
sentinel above the maximum). Needs XGBoost 2.0 or later
(DMatrix.get_quantile_cut); the cuts are those of a DMatrix after one
round of tree_method hist with nthread 1.
"""
import sys

import numpy as np
import xgboost as xgb


def main():
    path, rows, cols, max_bin, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    x = np.fromfile(path, dtype="<f4").reshape(rows, cols)
    d = xgb.DMatrix(x, label=np.zeros(rows, dtype=np.float32), missing=np.nan)
    xgb.train({"tree_method": "hist", "max_bin": max_bin, "nthread": 1, "max_depth": 1}, d, 1)
    indptr, values = d.get_quantile_cut()
    with open(out, "w") as f:
        for j in range(cols):
            cut = values[indptr[j]:indptr[j + 1]]
            f.write(",".join([str(j)] + [repr(float(v)) for v in cut]) + "\n")


if __name__ == "__main__":
    main()
