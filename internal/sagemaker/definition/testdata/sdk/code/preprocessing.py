"""Tutorial-shaped preprocessing: join claims and customers, one-hot encode, split 81/9/10."""
import argparse
import os

import pandas as pd
from sklearn.model_selection import train_test_split

BASE = "/opt/ml/processing"

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-ratio", type=float, default=0.8)
    parser.add_argument("--validation-ratio", type=float, default=0.1)
    parser.add_argument("--test-ratio", type=float, default=0.1)
    parser.parse_args()
    claims = pd.read_csv(f"{BASE}/claims/claims.csv")
    customers = pd.read_csv(f"{BASE}/customers/customers.csv")
    df = claims.merge(customers, on="policy_id", how="left").drop(columns=["customer_zip"])
    cat = [c for c in df.columns if df[c].dtype == object and c not in ("police_report_available", "policy_liability", "customer_education")]
    df[cat] = df[cat].fillna("na")
    df = pd.get_dummies(df, columns=cat).astype({c: int for c in df.columns if df[c].dtype == bool})
    df["police_report_available"] = df["police_report_available"].map({"Yes": 1, "No": 0}).astype(float)
    df["policy_liability"] = df["policy_liability"].map({"15/30": 0, "25/50": 1, "30/60": 2, "100/200": 3}).astype(float)
    df["customer_education"] = df["customer_education"].map({"Below High School": 0, "High School": 1, "Associate": 2, "Bachelor": 3, "Advanced Degree": 4}).astype(float)
    df.columns = [c.lower() for c in df.columns]
    df = df.drop(columns=["policy_id"] + [c for c in df.columns if c == "customer_gender_unkown"])
    y, x = df.pop("fraud"), df
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.1, random_state=42)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.1, random_state=42)
    for name, sub, xs, ys in [("train", "train.csv", x_train, y_train), ("val", "validation.csv", x_val, y_val),
                              ("test", "test.csv", x_test, y_test), ("full", "dataset.csv", x, y)]:
        os.makedirs(f"{BASE}/{name}", exist_ok=True)
        pd.concat([ys, xs], axis=1).to_csv(f"{BASE}/{name}/{sub}", index=False)
