"""Makes the model.tar.gz fixtures of package modeltar with XGBoost.

Run by TestMakeFixtures (go test -run TestMakeFixtures -update) twice:
with the test venv (pythontest.Venv: XGBoost 3.x, joblib) into xgb3/ and
with Debian's python3 (XGBoost 1.7) into xgb17/:

    python3 make_fixtures.py OUTDIR

Writes, for one small binary:logistic booster trained on seeded data with
missing values:
  pickle.tar.gz   xgboost-model = joblib.dump(Booster)  (as the tutorial's script saves it)
  ubjson.tar.gz   xgboost-model = Booster.save_model(... .ubj)
  json.tar.gz     xgboost-model = Booster.save_model(... .json)
  sklearn.tar.gz  xgboost-model = pickle.dump(XGBClassifier)
  binary.tar.gz   xgboost-model in the deprecated binary format (XGBoost < 2 only)
  x.csv           rows to predict (no header, empty = missing)
  want.csv        XGBoost's predictions for x.csv, one per line (repr)
  versions.txt    the versions that made them
"""
import io, os, pickle, sys, tarfile, tempfile

import joblib
import numpy as np
import xgboost as xgb

out = sys.argv[1]
rng = np.random.RandomState(7)
n, m = 400, 5
X = rng.normal(size=(n, m))
X[rng.rand(n, m) < 0.1] = np.nan
y = ((np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) - 0.3 * np.nan_to_num(X[:, 3]) + 0.3 * rng.normal(size=n)) > 0).astype(int)
names = ["f%d" % i for i in range(m)]
d = xgb.DMatrix(X, label=y)
bst = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "subsample": 0.8, "seed": 1}, d, num_boost_round=12)


def pack(name, payload):
    with tarfile.open(os.path.join(out, name), "w:gz") as tf:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(payload)
        info.mtime = 0
        tf.addfile(info, io.BytesIO(payload))


buf = io.BytesIO()
joblib.dump(bst, buf)
pack("pickle.tar.gz", buf.getvalue())
with tempfile.TemporaryDirectory() as tmp:
    for ext, name in (("ubj", "ubjson.tar.gz"), ("json", "json.tar.gz")):
        p = os.path.join(tmp, "m." + ext)
        bst.save_model(p)
        pack(name, open(p, "rb").read())
if int(xgb.__version__.split(".")[0]) < 2:
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "m.model")
        bst.save_model(p)
        payload = open(p, "rb").read()
        assert not payload.startswith(b"{"), "XGBoost wrote JSON, not the binary format"
        pack("binary.tar.gz", payload)
clf = xgb.XGBClassifier(n_estimators=8, max_depth=3, learning_rate=0.3, random_state=1)
clf.fit(X, y)
pack("sklearn.tar.gz", pickle.dumps(clf))

Xt = X[:60]
with open(os.path.join(out, "x.csv"), "w") as f:
    for row in Xt:
        f.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")
with open(os.path.join(out, "want.csv"), "w") as f:
    for v in bst.predict(xgb.DMatrix(Xt)):
        f.write(repr(float(v)) + "\n")
with open(os.path.join(out, "want_sklearn.csv"), "w") as f:
    for v in clf.predict_proba(Xt)[:, 1]:
        f.write(repr(float(v)) + "\n")
with open(os.path.join(out, "versions.txt"), "w") as f:
    f.write("xgboost %s\njoblib %s\nnumpy %s\n" % (xgb.__version__, joblib.__version__, np.__version__))
