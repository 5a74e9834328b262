"""The fraud tutorial's xgboost_train.py, run in script mode by the XGBoost
framework estimator: reads the train and validation channels
(SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION), picks the number of rounds with
3-fold cross-validation, trains, prints AUC lines for the metric regexes,
writes metrics.json to SM_OUTPUT_DATA_DIR and saves the booster with joblib
as SM_MODEL_DIR/xgboost-model.
"""
import argparse
import json
import os

import joblib
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def main():
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
    p.add_argument("--train_data_dir", default=os.environ.get("SM_CHANNEL_TRAIN"))
    p.add_argument("--validation_data_dir", default=os.environ.get("SM_CHANNEL_VALIDATION"))
    p.add_argument("--model_dir", default=os.environ.get("SM_MODEL_DIR"))
    p.add_argument("--output_data_dir", default=os.environ.get("SM_OUTPUT_DATA_DIR"))
    args = p.parse_args()

    train = pd.read_csv(os.path.join(args.train_data_dir, "train.csv"))
    val = pd.read_csv(os.path.join(args.validation_data_dir, "validation.csv"))
    dtrain = xgb.DMatrix(train.drop("fraud", axis=1), label=train["fraud"])
    dval = xgb.DMatrix(val.drop("fraud", axis=1), label=val["fraud"])

    params = {"max_depth": args.max_depth, "eta": args.eta, "objective": args.objective,
              "subsample": args.subsample, "colsample_bytree": args.colsample_bytree}
    cv = xgb.cv(params=params, dtrain=dtrain, num_boost_round=args.num_round, nfold=args.nfold,
                early_stopping_rounds=args.early_stopping_rounds, metrics=["auc"], seed=42)
    model = xgb.train(params=params, dtrain=dtrain, num_boost_round=len(cv))

    train_auc = roc_auc_score(train["fraud"], model.predict(dtrain))
    val_auc = roc_auc_score(val["fraud"], model.predict(dval))
    print("[0]#011train-auc:%.2f" % train_auc)
    print("[0]#011validation-auc:%.2f" % val_auc)

    metrics = {"hyperparameters": dict(params, num_round=len(cv)),
               "binary_classification_metrics": {"validation:auc": {"value": val_auc},
                                                 "train:auc": {"value": train_auc}}}
    os.makedirs(args.output_data_dir, exist_ok=True)
    with open(os.path.join(args.output_data_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f)
    joblib.dump(model, os.path.join(args.model_dir, "xgboost-model"))


if __name__ == "__main__":
    main()
