"""The fraud tutorial's preprocessing.py (SKLearnProcessor): joins claims and
customers, encodes them and splits 81/9/10.

On SageMaker and on Ferry it reads /opt/ml/processing/claims/claims.csv and
/opt/ml/processing/customers/customers.csv and writes train/, val/, test/ and
full/ under /opt/ml/processing. --base-dir runs it by hand elsewhere.
"""
import argparse
import os

import pandas as pd
from sklearn.model_selection import train_test_split

ORDINAL = {
    "police_report_available": {"Yes": 1, "No": 0},
    "policy_liability": {"15/30": 0, "25/50": 1, "30/60": 2, "100/200": 3},
    "customer_education": {"Below High School": 0, "High School": 1, "Associate": 2, "Bachelor": 3,
                           "Advanced Degree": 4},
}


def normalise(df):
    df.columns = [c.lower().strip().replace(" ", "_") for c in df.columns]
    return df


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train-ratio", type=float, default=0.8)  # parsed but unused, as in the tutorial
    p.add_argument("--validation-ratio", type=float, default=0.1)
    p.add_argument("--test-ratio", type=float, default=0.1)
    p.add_argument("--base-dir", default="/opt/ml/processing")
    args = p.parse_args()
    base = args.base_dir

    claims = normalise(pd.read_csv(os.path.join(base, "claims", "claims.csv")))
    customers = normalise(pd.read_csv(os.path.join(base, "customers", "customers.csv")))
    df = claims.merge(customers, on="policy_id", how="left").drop(columns=["customer_zip"])

    categorical = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c]) and c not in ORDINAL]
    df[categorical] = df[categorical].fillna("na")
    df = pd.get_dummies(df, columns=categorical, prefix_sep="_", dtype=int)
    for col, mapping in ORDINAL.items():
        df[col] = df[col].map(mapping).astype(float)
    df.columns = [c.lower() for c in df.columns]
    df = df.drop(columns=["policy_id"] + [c for c in df.columns if c == "customer_gender_unkown"])

    y = df.pop("fraud")
    x = df
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.1, random_state=42)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.1, random_state=42)
    for sub, name, xs, ys in [("train", "train.csv", x_train, y_train), ("val", "validation.csv", x_val, y_val),
                              ("test", "test.csv", x_test, y_test), ("full", "dataset.csv", x, y)]:
        os.makedirs(os.path.join(base, sub), exist_ok=True)
        pd.concat([ys, xs], axis=1).to_csv(os.path.join(base, sub, name), index=False)
    print("rows: train %d, validation %d, test %d, features %d" % (len(x_train), len(x_val), len(x_test), x.shape[1]))


if __name__ == "__main__":
    main()
