"""Round trip: load a model.json written by Ferry in XGBoost and predict.

    /usr/bin/python3 roundtrip.py MODEL_JSON DATA_CSV OUT_CSV [MODEL_JSON DATA_CSV OUT_CSV ...]

DATA_CSV has a header of feature names; an empty cell is missing. OUT_CSV
gets the margins (output_margin=True) then the predictions, one row per
data row, columns margin_0.. and pred_0.. .
"""
import sys

import numpy as np
import xgboost as xgb


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3:
        sys.exit("usage: roundtrip.py MODEL_JSON DATA_CSV OUT_CSV [...]")
    for i in range(0, len(args), 3):
        roundtrip(*args[i:i + 3])


def roundtrip(model_path, data_path, out_path):
    bst = xgb.Booster()
    bst.load_model(model_path)
    with open(data_path) as f:
        header = f.readline().strip().split(",")
    x = np.genfromtxt(data_path, delimiter=",", skip_header=1, dtype=np.float32,
                      missing_values="", filling_values=np.nan)
    x = x.reshape(-1, len(header))
    names = bst.feature_names
    d = xgb.DMatrix(x, missing=np.nan, feature_names=header if names else None)
    margin = bst.predict(d, output_margin=True).reshape(len(x), -1)
    pred = bst.predict(d).reshape(len(x), -1)
    cols = [f"margin_{i}" for i in range(margin.shape[1])] + [f"pred_{i}" for i in range(pred.shape[1])]
    np.savetxt(out_path, np.hstack([margin, pred]), delimiter=",", header=",".join(cols),
               comments="", fmt="%.9g")


if __name__ == "__main__":
    main()
