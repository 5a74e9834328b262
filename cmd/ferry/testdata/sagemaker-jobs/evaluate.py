"""Shaped like the fraud tutorial's evaluate.py (ScriptProcessor): unpacks
model.tar.gz, unpickles the booster, computes ROC AUC on the test split and
writes evaluation.json; also writes XGBoost's own predictions (pred.csv)."""
import json
import os
import tarfile

import joblib
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

with tarfile.open("/opt/ml/processing/model/model.tar.gz") as tar:
    tar.extractall(path=".")
model = joblib.load("xgboost-model")
df = pd.read_csv("/opt/ml/processing/test/test.csv")
y = df.iloc[:, 0]
pred = model.predict(xgb.DMatrix(df[model.feature_names]))
out = "/opt/ml/processing/evaluation"
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "evaluation.json"), "w") as f:
    json.dump({"classification_metrics": {"roc_auc": {"value": roc_auc_score(y, pred)}}}, f)
with open(os.path.join(out, "pred.csv"), "w") as f:
    f.write("\n".join(repr(float(v)) for v in pred) + "\n")
df[model.feature_names].to_csv(os.path.join(out, "x.csv"), header=False, index=False)
