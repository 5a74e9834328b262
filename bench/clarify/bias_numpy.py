#!/usr/bin/python3
"""Reference timing for Ferry's bias benchmark: the same metrics (8
pre-training, 12 post-training: all but FT) for the same two facets
(gender = "F"; age > 40) on 1,000,000 rows, as a vectorised numpy
re-implementation of smclarify's formulas (smclarify itself is not
installed here; it works per metric on pandas Series and is slower).

Run: /usr/bin/python3 bench/clarify/bias_numpy.py [rows]
"""
import sys
import time

import numpy as np
import pandas as pd

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = np.random.default_rng(42)
female = rng.random(n) < 0.45
y = rng.random(n) < 0.30
flip = female & (rng.random(n) < 0.10)
y = y ^ flip
yhat = y ^ (rng.random(n) < 0.20)
df = pd.DataFrame({
    "gender": np.where(female, "F", "M"),
    "age": rng.integers(18, 81, n),
    "income": np.round(rng.random(n) * 66666, 2),
    "dept": rng.integers(0, 10, n),
    "y": np.where(y, "yes", "no"),
    "yhat": np.where(yhat, "yes", "no"),
})


def div(a, b):
    if b != 0:
        return a / b
    return 0.0 if a == 0 else (np.inf if a > 0 else -np.inf)


def sub(a, b):
    if np.isinf(a) and np.isinf(b) and a == b:
        return 0.0
    return a - b


def cdd(d, p, g):
    ng = g.max() + 1
    n_i = np.bincount(g, minlength=ng).astype(float)
    pos_i = np.bincount(g, weights=p, minlength=ng)
    neg_i = n_i - pos_i
    pos_d = np.bincount(g, weights=p & d, minlength=ng)
    neg_d = np.bincount(g, weights=~p & d, minlength=ng)
    a = np.divide(pos_d, pos_i, out=np.zeros(ng), where=pos_i != 0)
    dd = np.divide(neg_d, neg_i, out=np.zeros(ng), where=neg_i != 0)
    return float((n_i * (dd - a)).sum() / n_i.sum())


def metrics(d, y, yhat, g):
    a = ~d
    out = {}
    c = {}
    for name, grp in (("a", a), ("d", d)):
        c[name] = dict(
            n=grp.sum(), tp=(grp & y & yhat).sum(), fp=(grp & ~y & yhat).sum(),
            fn=(grp & y & ~yhat).sum(), tn=(grp & ~y & ~yhat).sum())
    A, D = c["a"], c["d"]
    qa, qd = (A["tp"] + A["fn"]) / A["n"], (D["tp"] + D["fn"]) / D["n"]
    out["CI"] = (A["n"] - D["n"]) / (A["n"] + D["n"])
    out["DPL"] = qa - qd
    pa, pd_ = np.array([1 - qa, qa]), np.array([1 - qd, qd])
    keep = (pa != 0) & (pd_ != 0)
    pa, pd_ = pa[keep], pd_[keep]
    m = (pa + pd_) / 2
    out["KL"] = float((pa * np.log(pa / pd_)).sum())
    out["JS"] = 0.5 * float((pa * np.log(pa / m)).sum() + (pd_ * np.log(pd_ / m)).sum())
    out["LP"] = float(np.sqrt(((pa - pd_) ** 2).sum()))
    out["TVD"] = 0.5 * float(np.abs(pa - pd_).sum())
    out["KS"] = float(np.abs(pa - pd_).max())
    out["CDDL"] = cdd(d, y, g)
    qha, qhd = (A["tp"] + A["fp"]) / A["n"], (D["tp"] + D["fp"]) / D["n"]
    out["DPPL"] = qha - qhd
    out["DI"] = div(qhd, qha)
    out["DCA"] = sub(div(A["tp"] + A["fn"], A["tp"] + A["fp"]), div(D["tp"] + D["fn"], D["tp"] + D["fp"]))
    out["DCR"] = sub(div(D["tn"] + D["fp"], D["tn"] + D["fn"]), div(A["tn"] + A["fp"], A["tn"] + A["fn"]))
    out["RD"] = sub(div(A["tp"], A["tp"] + A["fn"]), div(D["tp"], D["tp"] + D["fn"]))
    out["SD"] = sub(div(D["tn"], D["tn"] + D["fp"]), div(A["tn"], A["tn"] + A["fp"]))
    out["DAR"] = sub(div(A["tp"], A["tp"] + A["fp"]), div(D["tp"], D["tp"] + D["fp"]))
    out["DRR"] = sub(div(D["tn"], D["tn"] + D["fn"]), div(A["tn"], A["tn"] + A["fn"]))
    out["AD"] = (A["tp"] + A["tn"]) / A["n"] - (D["tp"] + D["tn"]) / D["n"]
    out["TE"] = sub(div(D["fn"], D["fp"]), div(A["fn"], A["fp"]))
    out["CDDPL"] = cdd(d, yhat, g)
    b = yhat.astype(float) - y.astype(float) + 1
    mu = b.mean()
    out["GE"] = float(((b / mu) ** 2 - 1).sum() / (2 * len(b)))
    return out


def run():
    yb = (df["y"] == "yes").to_numpy()
    yhb = (df["yhat"] == "yes").to_numpy()
    g = np.unique(df["dept"].to_numpy(), return_inverse=True)[1]
    res = []
    res.append(metrics((df["gender"] == "F").to_numpy(), yb, yhb, g))
    age = df["age"].to_numpy()
    res.append(metrics((age > 40) & (age <= age.max()), yb, yhb, g))
    return res


run()
times = []
for _ in range(5):
    t0 = time.perf_counter()
    run()
    times.append(time.perf_counter() - t0)
print(f"numpy bias metrics (20 metrics x 2 facets, {n} rows): best {min(times)*1000:.1f} ms, median {sorted(times)[2]*1000:.1f} ms")
