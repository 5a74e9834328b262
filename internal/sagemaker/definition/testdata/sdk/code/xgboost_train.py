"""Tutorial-shaped XGBoost script-mode training: saves the booster with joblib as xgboost-model."""
import argparse
import json
import os

import joblib
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--max_depth", type=int, default=3)
    p.add_argument("--eta", type=float, default=0.2)
    p.add_argument("--objective", type=str, default="binary:logistic")
    p.add_argument("--num_round", type=int, default=100)
    p.add_argument("--subsample", type=float, default=0.9)
    p.add_argument("--colsample_bytree", type=float, default=0.8)
    p.add_argument("--eval_metric", type=str, default="auc")
    p.add_argument("--nfold", type=int, default=3)
    p.add_argument("--early_stopping_rounds", type=int, default=3)
    p.add_argument("--train-data-dir", type=str, default=os.environ.get("SM_CHANNEL_TRAIN"))
    p.add_argument("--validation-data-dir", type=str, default=os.environ.get("SM_CHANNEL_VALIDATION"))
    p.add_argument("--model-dir", type=str, default=os.environ.get("SM_MODEL_DIR"))
    p.add_argument("--output-data-dir", type=str, default=os.environ.get("SM_OUTPUT_DATA_DIR"))
    a = p.parse_args()
    train = pd.read_csv(os.path.join(a.train_data_dir, "train.csv"))
    val = pd.read_csv(os.path.join(a.validation_data_dir, "validation.csv"))
    dtrain = xgb.DMatrix(train.drop(columns=["fraud"]), label=train["fraud"])
    dval = xgb.DMatrix(val.drop(columns=["fraud"]), label=val["fraud"])
    params = {"max_depth": a.max_depth, "eta": a.eta, "objective": a.objective,
              "subsample": a.subsample, "colsample_bytree": a.colsample_bytree}
    cv = xgb.cv(params, dtrain, num_boost_round=a.num_round, nfold=a.nfold,
                early_stopping_rounds=a.early_stopping_rounds, metrics=["auc"], seed=42)
    model = xgb.train(params, dtrain, num_boost_round=len(cv))
    train_auc = roc_auc_score(train["fraud"], model.predict(dtrain))
    val_auc = roc_auc_score(val["fraud"], model.predict(dval))
    print(f"[0]#011train-auc:{train_auc:.2f}")
    print(f"[0]#011validation-auc:{val_auc:.2f}")
    os.makedirs(a.output_data_dir, exist_ok=True)
    with open(os.path.join(a.output_data_dir, "metrics.json"), "w") as f:
        json.dump({"hyperparameters": params, "binary_classification_metrics": {
            "validation:auc": {"value": val_auc}, "train:auc": {"value": train_auc}}}, f)
    joblib.dump(model, os.path.join(a.model_dir, "xgboost-model"))
