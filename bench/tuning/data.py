"""Writes the tuning benchmark's data sets (label first, header) into WORKDIR:

  fraud/train.csv, fraud/valid.csv   the encoded auto-claims table (5,000 rows,
                                     label `fraud`), split 70/30 with seed 0;
  synth/train.csv, synth/valid.csv   sklearn make_classification: 20,000 + 10,000
                                     rows, 20 features (8 informative, 4 redundant),
                                     flip_y 0.05, class_sep 0.8, seed 0.

    python3 bench/tuning/data.py WORKDIR
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

HERE = os.path.dirname(os.path.abspath(__file__))
FRAUD = os.path.join(HERE, "..", "..", "internal", "clarify", "testdata", "clarify",
                     "fraud_autoclaims", "data.csv")


def write(d, work, name):
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(d))
    cut = int(0.7 * len(d)) if name == "fraud" else 20000
    os.makedirs(os.path.join(work, name), exist_ok=True)
    d.iloc[idx[:cut]].to_csv(os.path.join(work, name, "train.csv"), index=False)
    d.iloc[idx[cut:]].to_csv(os.path.join(work, name, "valid.csv"), index=False)


def main():
    work = sys.argv[1]
    d = pd.read_csv(FRAUD).drop(columns=["predicted_fraud"])
    write(d, work, "fraud")
    x, y = make_classification(n_samples=30000, n_features=20, n_informative=8, n_redundant=4,
                               flip_y=0.05, class_sep=0.8, random_state=0)
    s = pd.DataFrame(x, columns=[f"f{i}" for i in range(20)]).round(5)
    s.insert(0, "label", y)
    write(s, work, "synth")


if __name__ == "__main__":
    main()
