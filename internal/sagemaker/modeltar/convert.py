"""Converts an XGBoost model file of any format to XGBoost's JSON format.

Run by Ferry (package modeltar) with the model image's mapped Python:

    python3 convert.py MODEL_FILE OUT_JSON

MODEL_FILE is JSON, UBJSON, the deprecated binary format, or a pickle or
joblib dump of a Booster or of an XGBoost scikit-learn model.
"""
import os, pickle, shutil, sys, tempfile

import xgboost as xgb

path, out = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    head = f.read(16)


def as_booster(obj):
    if isinstance(obj, xgb.Booster):
        return obj
    if hasattr(obj, "get_booster"):
        return obj.get_booster()
    raise SystemExit("the pickle holds a %s.%s, not an XGBoost Booster or XGBoost scikit-learn model"
                     % (type(obj).__module__, type(obj).__name__))


bst = None
if head[:1] == b"\x80" or head[:2] in (b"x\x9c", b"x\x01", b"x\xda", b"x^") or head[:3] == b"ZF\x00":
    try:
        import joblib
        obj = joblib.load(path)
    except ImportError:
        with open(path, "rb") as f:
            obj = pickle.load(f)
    bst = as_booster(obj)
else:
    stripped = head.lstrip()
    if stripped[:1] == b"{" and stripped[1:2] in (b'"', b"\n", b" ", b"\r", b"\t", b"}"):
        ext = ".json"
    elif head[:1] == b"{":
        ext = ".ubj"
    else:
        ext = ".bin"
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "model" + ext)
        shutil.copyfile(path, p)
        bst = xgb.Booster(model_file=p)
tmp_out = out + ".tmp.json"
bst.save_model(tmp_out)
os.replace(tmp_out, out)
