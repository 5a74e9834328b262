"""Tutorial-shaped evaluation: unpacks model.tar.gz, writes evaluation.json (a property file)."""
import json
import os
import tarfile

import joblib
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

if __name__ == "__main__":
    with tarfile.open("/opt/ml/processing/model/model.tar.gz") as tar:
        tar.extractall(path=".")
    model = joblib.load("xgboost-model")
    test = pd.read_csv("/opt/ml/processing/test/test.csv")
    y = test.iloc[:, 0]
    x = test[model.feature_names]
    auc = roc_auc_score(y, model.predict(xgb.DMatrix(x)))
    os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
    with open("/opt/ml/processing/evaluation/evaluation.json", "w") as f:
        json.dump({"classification_metrics": {"roc_auc": {"value": auc}}}, f)
