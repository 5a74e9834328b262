"""The fraud-detection tutorial's preprocessing (seed-tutorial.md §1.4) in
polars, for the side-by-side benchmark with Ferry's tabular_prepare and the
pandas script (prepare_pandas.py).

    python3 bench/prepare/prepare_polars.py IN_DIR OUT_DIR

needs polars from PyPI (.ci/requirements.txt). Reads
IN_DIR/claims/claims.csv and IN_DIR/customers/customers.csv and writes
OUT_DIR/{train,validation,test,full}/{train,validation,test,dataset}.csv
with the same headers and row counts as the other two sides: pandas' NA
strings, a left join in claims order, the three ordinal maps, "na" for
missing categories, get_dummies' column names and order (the indicator
columns after the others, categories sorted), label first, then 10% held
out for test and 10% of the rest for validation (ceil, as scikit-learn's
train_test_split sizes them) from a seeded shuffle. polars uses every core.
"""
import math
import os
import sys
import time

import polars as pl

# pandas' default NA strings (read_csv's na_values), as Ferry reads them.
NA = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
      "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"]

ORDINAL = {
    "police_report_available": {"Yes": 1.0, "No": 0.0},
    "policy_liability": {"15/30": 0.0, "25/50": 1.0, "30/60": 2.0, "100/200": 3.0},
    "customer_education": {"Below High School": 0.0, "High School": 1.0, "Associate": 2.0,
                           "Bachelor": 3.0, "Advanced Degree": 4.0},
}


def read(path):
    df = pl.read_csv(path, null_values=NA, infer_schema_length=100_000)
    return df.rename({c: c.lower().strip().replace(" ", "_") for c in df.columns})


def main(in_dir, out_dir):
    start = time.time()
    claims = read(os.path.join(in_dir, "claims", "claims.csv"))
    customers = read(os.path.join(in_dir, "customers", "customers.csv"))
    df = claims.join(customers, on="policy_id", how="left", maintain_order="left")
    df = df.drop("customer_zip")
    df = df.with_columns(
        pl.col(c).replace_strict(m, default=None, return_dtype=pl.Float64) for c, m in ORDINAL.items())
    categorical = [c for c, t in df.schema.items() if t == pl.String]
    df = df.with_columns(pl.col(categorical).fill_null("na"))
    # get_dummies: the other columns first, then each column's indicators
    # in sorted category order.
    dummies = []
    for c in categorical:
        for v in df.get_column(c).unique().sort().to_list():
            dummies.append((pl.col(c) == v).cast(pl.UInt8).alias(c + "_" + v))
    df = df.select([pl.col(c) for c in df.columns if c not in categorical] + dummies)
    df = df.rename({c: c.lower() for c in df.columns})
    df = df.drop("policy_id", "customer_gender_unkown")
    df = df.select(["fraud"] + [c for c in df.columns if c != "fraud"])

    n = df.height
    n_test = math.ceil(0.1 * n)
    n_val = math.ceil(0.1 * (n - n_test))
    shuffled = df.sample(fraction=1.0, shuffle=True, seed=42)
    test = shuffled.slice(0, n_test)
    val = shuffled.slice(n_test, n_val)
    train = shuffled.slice(n_test + n_val)
    for name, part, file in (("train", train, "train.csv"), ("validation", val, "validation.csv"),
                             ("test", test, "test.csv"), ("full", df, "dataset.csv")):
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        part.write_csv(os.path.join(out_dir, name, file))
    print("polars prepare: %.2fs rows train=%d validation=%d test=%d full=%d columns=%d"
          % (time.time() - start, train.height, val.height, test.height, n, df.width))


main(sys.argv[1], sys.argv[2])
