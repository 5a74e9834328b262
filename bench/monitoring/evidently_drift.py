"""The Evidently side of the monitoring benchmark: read the same hour of
captured data as Ferry (JSON lines, each with a text/csv request), build
the current DataFrame, and compute Evidently's data drift report
(DataDriftPreset) against the reference CSV.

    python evidently_drift.py DIR
Prints wall and CPU seconds of each phase and the columns found drifted.
"""
import glob
import io
import json
import os
import sys
import time

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset


def timed(label, fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    print(f"evidently: {label}: wall {time.perf_counter() - w:.3f} s, CPU {time.process_time() - c:.3f} s", flush=True)
    return out


def read_capture(root, cols):
    payloads = []
    for path in sorted(glob.glob(os.path.join(root, "capture", "bench-ep", "*", "*", "*", "*", "*", "*.jsonl"))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                payloads.append(rec["captureData"]["endpointInput"]["data"])
    return pd.read_csv(io.StringIO("\n".join(payloads)), header=None, names=cols)


def main():
    root = sys.argv[1]
    ref = timed("read reference", lambda: pd.read_csv(os.path.join(root, "reference.csv")))
    cur = timed("read captured data", lambda: read_capture(root, list(ref.columns)))
    snap = timed(f"drift report over {len(cur)} records", lambda: Report([DataDriftPreset()]).run(cur, ref))
    drifted = []
    for m in snap.dict()["metrics"]:
        name = m["metric_name"]
        if name.startswith("ValueDrift(") and m["value"] < m["config"]["threshold"] if "p_value" in name else False:
            drifted.append(m["config"]["column"])
        elif name.startswith("ValueDrift(") and "p_value" not in name and m["value"] > m["config"]["threshold"]:
            drifted.append(m["config"]["column"])
    print("evidently: drifted columns:", ", ".join(drifted) or "none")


if __name__ == "__main__":
    main()
