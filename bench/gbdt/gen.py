"""Synthetic binary-classification table for the GBDT benchmark.

Writes <out>/train.f32, <out>/test.f32 (row-major float32 features, 28
columns) and <out>/train.y, <out>/test.y (float32 labels), plus a CSV head
for inspection. Run with /usr/bin/python3 (numpy).

    /usr/bin/python3 bench/gbdt/gen.py OUTDIR [TRAIN_ROWS] [TEST_ROWS]
    /usr/bin/python3 bench/gbdt/gen.py --csv OUT.csv ROWS COLS MISSING
    /usr/bin/python3 bench/gbdt/gen.py --scale OUT.csv ROWS

The --csv form writes the whole-job shape: a CSV with a header, label
`y` first, COLS float features (8 significant digits) of which a
fraction MISSING of the cells are empty (missing).

The --scale form writes the training table's shape (28 features, label `y`
first, 7 significant digits, missing cells empty) as a CSV of ROWS rows,
half a million rows at a time (scale.sh writes its 10M rows with
gbdtbench -write-csv instead, the same distribution, ten times faster).
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


def make_csv(path, n, m, missing):
    rng = np.random.default_rng(20261205)
    x = rng.standard_normal((n, m)).astype(np.float32)
    z = (0.8 * x[:, 0] - 0.6 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3]
         + np.where(x[:, 4] > 0.3, 0.7, -0.4) + 0.3 * x[:, 5] ** 2 - 0.3
         + 0.2 * x[:, 6:min(m, 12)].sum(axis=1) + 0.8 * rng.standard_normal(n))
    y = (z > 0).astype(np.int8)
    x[rng.random((n, m)) < missing] = np.nan
    with open(path, "w") as f:
        f.write(",".join(["y"] + [f"x{j}" for j in range(m)]) + "\n")
        for i in range(n):
            f.write(str(y[i]) + "," + ",".join("" if v != v else f"{v:.8g}" for v in x[i].tolist()) + "\n")
    print(f"wrote {n} rows x {m} features ({missing:.0%} missing) to {path}")


def make_scale(path, n):
    import pandas as pd
    rng = np.random.default_rng(20261205)
    chunk = 500_000
    with open(path, "w") as f:
        for lo in range(0, n, chunk):
            x, y = make(rng, min(chunk, n - lo))
            d = pd.DataFrame(x, columns=[f"x{j}" for j in range(M)])
            d.insert(0, "y", y.astype(np.int8))
            d.to_csv(f, header=lo == 0, index=False, na_rep="", float_format="%.7g")
    print(f"wrote {n} rows x {M} features to {path}")


def main():
    if sys.argv[1] == "--scale":
        make_scale(sys.argv[2], int(sys.argv[3]))
        return
    if sys.argv[1] == "--csv":
        make_csv(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        return
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
