"""Ferry's inference worker: serves a SageMaker inference.py.

Started by Ferry (package inference) as

    python3 worker.py MODEL_DIR CODE_DIR [PROGRAM]

It imports CODE_DIR/PROGRAM (default inference.py), calls model_fn(MODEL_DIR) once, then
answers requests read from file descriptor 3 on file descriptor 4, calling
the handlers as the SageMaker inference toolkit does: transform_fn(model,
data, content_type, accept) when defined, else input_fn(data,
content_type), predict_fn(data, model) and output_fn(prediction, accept),
with the toolkit's defaults for the ones not defined. Each frame is one
JSON header line whose "len" is the length of the raw body that follows.
"""
import importlib.util
import io
import json
import os
import sys
import traceback

model_dir, code_dir = sys.argv[1], sys.argv[2]
program = sys.argv[3] if len(sys.argv) > 3 else "inference.py"
rin = os.fdopen(3, "rb")
wout = os.fdopen(4, "wb")


def send(hdr, body=b""):
    hdr["len"] = len(body)
    wout.write(json.dumps(hdr).encode() + b"\n")
    wout.write(body)
    wout.flush()


def read_exact(n):
    chunks = []
    while n > 0:
        b = rin.read(n)
        if not b:
            raise EOFError
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def base_type(ct):
    return (ct or "").split(";")[0].strip().lower()


def default_input_fn(data, content_type):
    t = base_type(content_type)
    if t == "application/json":
        return json.loads(data)
    if t == "text/csv":
        rows = [[float(c) if c.strip() else float("nan") for c in line.split(",")]
                for line in data.decode().splitlines() if line.strip()]
        try:
            import numpy as np
            return np.array(rows)
        except ImportError:
            return rows
    if t == "application/x-npy":
        import numpy as np
        return np.load(io.BytesIO(data), allow_pickle=False)
    raise ValueError("content type %s is not supported by the default input_fn; define input_fn in inference.py" % content_type)


def default_predict_fn(data, model):
    if hasattr(model, "predict"):
        return model.predict(data)
    if callable(model):
        return model(data)
    raise ValueError("the model has no predict method; define predict_fn in inference.py")


def tolist(x):
    return x.tolist() if hasattr(x, "tolist") else x


def default_output_fn(prediction, accept):
    t = base_type(accept)
    if t in ("application/json", "*/*", ""):
        return json.dumps(tolist(prediction)), "application/json"
    if t == "text/csv":
        p = tolist(prediction)
        lines = [",".join(str(v) for v in (r if isinstance(r, (list, tuple)) else [r])) for r in p]
        return "\n".join(lines) + "\n", "text/csv"
    raise ValueError("accept %s is not supported by the default output_fn; define output_fn in inference.py" % accept)


sys.path.insert(0, code_dir)
module_name = os.path.splitext(os.path.basename(program))[0]
spec = importlib.util.spec_from_file_location(module_name, os.path.join(code_dir, program))
mod = importlib.util.module_from_spec(spec)
sys.modules[module_name] = mod
spec.loader.exec_module(mod)
if not hasattr(mod, "model_fn"):
    raise SystemExit("%s defines no model_fn(model_dir)" % program)
model = mod.model_fn(model_dir)
input_fn = getattr(mod, "input_fn", default_input_fn)
predict_fn = getattr(mod, "predict_fn", default_predict_fn)
output_fn = getattr(mod, "output_fn", default_output_fn)
transform_fn = getattr(mod, "transform_fn", None)
send({"ready": True, "pid": os.getpid()})

while True:
    line = rin.readline()
    if not line:
        break
    hdr = json.loads(line)
    body = read_exact(hdr.get("len", 0))
    if hdr.get("ping"):
        send({"pong": True})
        continue
    ct, accept = hdr.get("content_type"), hdr.get("accept")
    try:
        if transform_fn is not None:
            res = transform_fn(model, body, ct, accept)
        else:
            res = output_fn(predict_fn(input_fn(body, ct), model), accept)
        out_ct = accept
        if isinstance(res, tuple):
            res, out_ct = res[0], res[1]
        if isinstance(res, str):
            res = res.encode()
        send({"ok": True, "content_type": out_ct}, bytes(res))
    except Exception as e:  # the request fails, the worker lives on
        traceback.print_exc()
        send({"ok": False, "error": traceback.format_exception_only(type(e), e)[-1].strip()})
