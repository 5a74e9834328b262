"""Fraud quality check: Ferry vs XGBoost 1.7 with the same hyperparameters.

Splits the 5,000-row encoded auto-claims table (label `fraud` first) 80/20
with a fixed seed, trains XGBoost 1.7 (hist) and `ferry train` with the
same hyperparameters, and prints both test AUCs.

    /usr/bin/python3 bench/gbdt/fraud_quality.py FERRY_BINARY WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "internal", "clarify", "testdata", "clarify",
                    "fraud_autoclaims", "data.csv")
PARAMS = {"objective": "binary:logistic", "max_depth": 5, "eta": 0.2, "tree_method": "hist",
          "max_bin": 256, "nthread": 2, "seed": 42}
ROUNDS = 100


def main():
    ferry, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    d = pd.read_csv(DATA).drop(columns=["predicted_fraud"])
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(d))
    cut = int(0.8 * len(d))
    train, test = d.iloc[idx[:cut]], d.iloc[idx[cut:]]
    train_csv, test_csv = os.path.join(work, "train.csv"), os.path.join(work, "test.csv")
    train.to_csv(train_csv, index=False)
    test.to_csv(test_csv, index=False)
    y_test = test["fraud"].to_numpy()

    bst = xgb.train(PARAMS, xgb.DMatrix(train.drop(columns=["fraud"]), label=train["fraud"]), ROUNDS)
    xgb_auc = roc_auc_score(y_test, bst.predict(xgb.DMatrix(test.drop(columns=["fraud"]))))

    model_dir = os.path.join(work, "ferry_model")
    hp = []
    for k, v in PARAMS.items():
        if k != "tree_method":
            hp += ["-H", f"{k}={v}"]
    subprocess.run([ferry, "train", "--train", train_csv, "--output", model_dir,
                    "-H", f"num_round={ROUNDS}"] + hp, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    pred_csv = os.path.join(work, "ferry_pred.csv")
    subprocess.run([ferry, "predict", "--model", model_dir, "--data", test_csv, "--label", "fraud",
                    "--output", pred_csv], check=True)
    ferry_auc = roc_auc_score(y_test, pd.read_csv(pred_csv)["prediction"])
    print(f"fraud test AUC (1000 rows): xgboost={xgb_auc:.5f} ferry={ferry_auc:.5f} "
          f"diff={ferry_auc - xgb_auc:+.5f}")


if __name__ == "__main__":
    main()
