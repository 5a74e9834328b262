"""The fraud tutorial's evaluate.py (ScriptProcessor on the XGBoost image):
unpacks /opt/ml/processing/model/model.tar.gz, loads the joblib-saved
booster, computes ROC-AUC on /opt/ml/processing/test/test.csv and writes
/opt/ml/processing/evaluation/evaluation.json, read by the pipeline as a
property file. --base-dir runs it by hand elsewhere.
"""
import argparse
import json
import os
import tarfile
import tempfile

import joblib
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-dir", default="/opt/ml/processing")
    base = p.parse_args().base_dir

    work = tempfile.mkdtemp()
    with tarfile.open(os.path.join(base, "model", "model.tar.gz")) as tar:
        tar.extractall(path=work, filter="data")
    model = joblib.load(os.path.join(work, "xgboost-model"))

    test = pd.read_csv(os.path.join(base, "test", "test.csv"))
    y = test.iloc[:, 0]
    x = test[model.feature_names]
    auc = roc_auc_score(y, model.predict(xgb.DMatrix(x)))
    print("test ROC-AUC %.6f" % auc)

    out = os.path.join(base, "evaluation")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "evaluation.json"), "w") as f:
        json.dump({"classification_metrics": {"roc_auc": {"value": auc}}}, f)


if __name__ == "__main__":
    main()
