#!/usr/bin/python3
"""The fraud-detection tutorial's preprocessing (seed-tutorial.md §1.4) in
pandas, for the side-by-side benchmark with Ferry's tabular_prepare.

    /usr/bin/python3 bench/prepare/prepare_pandas.py IN_DIR OUT_DIR

reads IN_DIR/claims/claims.csv and IN_DIR/customers/customers.csv and writes
OUT_DIR/{train,validation,test,full}/{train,validation,test,dataset}.csv,
as the tutorial's SKLearn processing script does (pandas 1.x, sklearn's
train_test_split with random_state 42).
"""
import os
import sys
import time

import pandas as pd
from sklearn.model_selection import train_test_split


def main(in_dir, out_dir):
    start = time.time()
    claims = pd.read_csv(os.path.join(in_dir, "claims", "claims.csv"))
    customers = pd.read_csv(os.path.join(in_dir, "customers", "customers.csv"))
    for df in (claims, customers):
        df.columns = [c.lower().strip().replace(" ", "_") for c in df.columns]
    df = claims.merge(customers, on="policy_id", how="left")
    df = df.drop(["customer_zip"], axis=1)

    ordinal = {
        "police_report_available": {"Yes": 1, "No": 0},
        "policy_liability": {"15/30": 0, "25/50": 1, "30/60": 2, "100/200": 3},
        "customer_education": {"Below High School": 0, "High School": 1, "Associate": 2,
                               "Bachelor": 3, "Advanced Degree": 4},
    }
    for col, m in ordinal.items():
        df[col] = df[col].map(m).astype(float)
    categorical = [c for c in df.columns if df[c].dtype == object]
    df[categorical] = df[categorical].fillna("na")
    df = pd.get_dummies(df, columns=categorical)
    df.columns = [c.lower() for c in df.columns]
    df = df.drop(["policy_id", "customer_gender_unkown"], axis=1)

    y = df.pop("fraud")
    df.insert(0, "fraud", y)
    rest, test = train_test_split(df, test_size=0.1, random_state=42)
    train, val = train_test_split(rest, test_size=0.1, random_state=42)
    for name, part, file in (("train", train, "train.csv"), ("validation", val, "validation.csv"),
                             ("test", test, "test.csv"), ("full", df, "dataset.csv")):
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        part.to_csv(os.path.join(out_dir, name, file), header=True, index=False)
    print("pandas prepare: %.2fs rows train=%d validation=%d test=%d full=%d columns=%d"
          % (time.time() - start, len(train), len(val), len(test), len(df), df.shape[1]))


main(sys.argv[1], sys.argv[2])
