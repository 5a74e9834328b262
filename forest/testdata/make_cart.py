#!/usr/bin/python3
"""Single-tree CART fixture: scikit-learn 1.2.1 DecisionTreeRegressor and
DecisionTreeClassifier on small random data, for TestCARTMatchesSklearn.

    /usr/bin/python3 forest/testdata/make_cart.py
"""
import json
import os

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

rng = np.random.default_rng(7)
n, m = 200, 4
x = rng.normal(size=(n, m)).round(3)
y_reg = (x[:, 0] * 2 + np.sin(x[:, 1] * 3) + 0.3 * rng.normal(size=n)).round(4)
y_cls = ((x[:, 0] + x[:, 2] ** 2 + 0.5 * rng.normal(size=n)) > 0.8).astype(float)
xt = rng.normal(size=(50, m)).round(3)

cases = {}
# Only settings without tied splits: with one-sample leaves, deep nodes of
# two rows split equally well on any feature, and scikit-learn breaks the
# tie by its random feature order.
for depth, leaf in [(3, 1), (3, 5), (5, 3), (6, 5), (8, 10)]:
    if True:
        # A setting is kept only when scikit-learn's predictions do not
        # depend on its random_state (no tied splits); otherwise null.
        reg = [DecisionTreeRegressor(max_depth=depth, min_samples_leaf=leaf, random_state=s)
               .fit(x, y_reg).predict(xt) for s in range(10)]
        cls = [DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=s)
               .fit(x, y_cls).predict_proba(xt)[:, 1] for s in range(10)]
        stable = lambda ps: all(np.allclose(p, ps[0], rtol=0, atol=1e-12) for p in ps)
        cases[f"depth{depth}_leaf{leaf}"] = {
            "max_depth": depth, "min_samples_leaf": leaf,
            "regression": reg[0].tolist() if stable(reg) else None,
            "classification": cls[0].tolist() if stable(cls) else None,
        }
out = {"n": n, "m": m, "x": x.ravel().tolist(), "y_regression": y_reg.tolist(),
       "y_classification": y_cls.tolist(), "test": xt.ravel().tolist(), "cases": cases}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cart.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
