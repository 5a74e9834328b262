"""Shaped like the fraud tutorial's xgboost_train.py (script mode): reads the
train and validation channels, trains a Booster, prints AUC lines for the
metric regexes, writes metrics.json and saves the booster with joblib."""
import argparse
import json
import os

import joblib
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

p = argparse.ArgumentParser()
p.add_argument("--num_round", type=int, default=100)
p.add_argument("--max_depth", type=int, default=3)
p.add_argument("--eta", type=float, default=0.2)
p.add_argument("--objective", type=str, default="binary:logistic")
p.add_argument("--subsample", type=float, default=0.9)
p.add_argument("--colsample_bytree", type=float, default=0.8)
p.add_argument("--eval_metric", type=str, default="auc")
p.add_argument("--train_data_dir", type=str, default=os.environ.get("SM_CHANNEL_TRAIN"))
p.add_argument("--validation_data_dir", type=str, default=os.environ.get("SM_CHANNEL_VALIDATION"))
p.add_argument("--model_dir", type=str, default=os.environ.get("SM_MODEL_DIR"))
p.add_argument("--output_data_dir", type=str, default=os.environ.get("SM_OUTPUT_DATA_DIR"))
args = p.parse_args()

train = pd.read_csv(os.path.join(args.train_data_dir, "train.csv"))
val = pd.read_csv(os.path.join(args.validation_data_dir, "validation.csv"))
dtrain = xgb.DMatrix(train.drop("fraud", axis=1), label=train["fraud"])
dval = xgb.DMatrix(val.drop("fraud", axis=1), label=val["fraud"])
params = {"max_depth": args.max_depth, "eta": args.eta, "objective": args.objective,
          "subsample": args.subsample, "colsample_bytree": args.colsample_bytree, "seed": 42}
bst = xgb.train(params, dtrain, num_boost_round=args.num_round)
train_auc = roc_auc_score(train["fraud"], bst.predict(dtrain))
val_auc = roc_auc_score(val["fraud"], bst.predict(dval))
print("[0]#011train-auc:%.4f" % train_auc)
print("[0]#011validation-auc:%.4f" % val_auc)
with open(os.path.join(args.output_data_dir, "metrics.json"), "w") as f:
    json.dump({"hyperparameters": vars(args), "binary_classification_metrics": {
        "validation:auc": {"value": val_auc}, "train:auc": {"value": train_auc}}}, f, default=str)
joblib.dump(bst, os.path.join(args.model_dir, "xgboost-model"))
