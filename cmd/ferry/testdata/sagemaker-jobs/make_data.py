"""Writes small fraud-shaped splits (label "fraud" first, a header) for the
SageMaker jobs test: python3 make_data.py OUTDIR."""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.RandomState(3)
names = ["num_insurers_past_5_years", "customer_gender_male", "months_as_customer", "num_witnesses"]
for split, n in (("train", 400), ("validation", 100), ("test", 100)):
    X = np.column_stack([rng.randint(1, 6, n), rng.randint(0, 2, n), rng.randint(1, 200, n), rng.randint(0, 4, n)])
    logit = 0.8 * X[:, 0] + 1.0 * X[:, 1] - 0.01 * X[:, 2] - 0.5 * X[:, 3] - 3
    y = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    os.makedirs(os.path.join(out, split), exist_ok=True)
    with open(os.path.join(out, split, split + ".csv"), "w") as f:
        f.write("fraud," + ",".join(names) + "\n")
        for yi, row in zip(y, X):
            f.write("%d,%s\n" % (yi, ",".join(str(v) for v in row)))
