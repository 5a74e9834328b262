#!/usr/bin/python3
"""Reference server for the serving benchmark: Debian's xgboost serving an
XGBoost model.json with the SageMaker container contract (GET /ping, POST
/invocations, text/csv in and out), on the standard library's threading
HTTP server with HTTP/1.1 keep-alive.

Usage: /usr/bin/python3 server.py MODEL_JSON PORT
"""
import io
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import xgboost as xgb

booster = xgb.Booster()
booster.load_model(sys.argv[1])
booster.set_param({"nthread": 1})
NUM_FEATURE = booster.num_features()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle
    # plus delayed ACKs would add ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _send(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/ping":
            self._send(200, "text/plain", b"")
        else:
            self._send(404, "application/json", b'{"error": "not found"}')

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        if self.path != "/invocations":
            self._send(404, "application/json", b'{"error": "not found"}')
            return
        try:
            x = np.loadtxt(io.BytesIO(body), delimiter=",", ndmin=2)
            if x.shape[1] != NUM_FEATURE:
                raise ValueError("want %d features" % NUM_FEATURE)
            pred = booster.inplace_predict(x)
        except Exception as e:  # noqa: BLE001 - report any bad payload
            self._send(400, "application/json", ('{"error": "%s"}' % e).encode())
            return
        out = "\n".join(repr(float(p)) for p in pred) + "\n"
        self._send(200, "text/csv", out.encode())


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()
