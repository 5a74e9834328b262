#!/bin/sh
# InvokeEndpoint through the SageMaker runtime API (SigV4-signed, verified
# by the server) against the native /endpoints/{name}/invocations route
# (bearer token), on the same `ferry server`, endpoint and model (the
# quickstart's), in the same run, with wrk.
#
# The two routes alternate in ROUNDS slices of DURATION each (the machine
# is shared: alternating in short slices spreads other load over both);
# the table sums the rounds.
#
# Usage: bench/serving/runtime.sh [DURATION] [CONNECTIONS] [ROUNDS]   (defaults 2s, 16, 10)
# Env: FERRY (a built ferry binary; default: go build into a temp dir);
# PYTHON (an interpreter with botocore, to sign the request once; default
# /work/main/.venv/bin/python3 or python3).
set -eu
cd "$(dirname "$0")/../.."
DUR=${1:-2s}
CONNS=${2:-16}
ROUNDS=${3:-10}
PY=${PYTHON:-${FERRY_TEST_PYTHON:-python3}}
TMP=$(mktemp -d)
SRVPID=""
cleanup() {
  [ -n "$SRVPID" ] && kill "$SRVPID" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
if [ -z "${FERRY:-}" ]; then
  go build -o "$TMP/ferry" ./cmd/ferry
  FERRY=$TMP/ferry
fi
export FERRY_HOME="$TMP/home"
"$FERRY" quickstart > "$TMP/quickstart.log" 2>&1
"$FERRY" tokens create --name bench --role invoker --output json > "$TMP/token.json"
head -1 "$FERRY_HOME/rows.csv" > "$TMP/one.csv"
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$FERRY_HOME/rows.csv"; done | head -50 > "$TMP/fifty.csv"
PORT=18490
EP=fraud-detect-xgb-pipeline-endpoint
URL=http://127.0.0.1:$PORT/endpoints/$EP/invocations
"$FERRY" server --addr 127.0.0.1:$PORT 2>"$TMP/server.log" &
SRVPID=$!
i=0
until curl -sf "http://127.0.0.1:$PORT/ping" >/dev/null; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "server did not start" >&2; cat "$TMP/server.log" >&2; exit 1; }
  sleep 0.1
done

# headers FILE: the SigV4 headers botocore's signer gives a runtime
# InvokeEndpoint of FILE's bytes (valid for 15 minutes).
sigv4() {
  "$PY" - "$TMP/token.json" "$1" "$URL" <<'PY'
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
tok = json.load(open(sys.argv[1]))
body = open(sys.argv[2], "rb").read()
req = AWSRequest(method="POST", url=sys.argv[3], data=body, headers={"Content-Type": "text/csv"})
SigV4Auth(Credentials(tok["access_key_id"], tok["secret_access_key"]), "sagemaker", "us-east-1").add_auth(req)
print("Authorization: " + req.headers["Authorization"])
print("X-Amz-Date: " + req.headers["X-Amz-Date"])
PY
}
BEARER="Authorization: Bearer $(sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' "$TMP/token.json")"

# Both routes must answer the same before we time them.
for recs in one fifty; do
  HDR=$(sigv4 "$TMP/$recs.csv")
  curl -sf -H 'Content-Type: text/csv' -H "$BEARER" --data-binary @"$TMP/$recs.csv" "$URL" > "$TMP/native.out"
  curl -sf -H 'Content-Type: text/csv' -H "$(echo "$HDR" | sed -n 1p)" -H "$(echo "$HDR" | sed -n 2p)" \
    --data-binary @"$TMP/$recs.csv" "$URL" > "$TMP/runtime.out"
  cmp -s "$TMP/native.out" "$TMP/runtime.out" || { echo "the routes disagree on $recs" >&2; exit 1; }
done
echo "both routes give the same predictions"

printf '%-8s %-8s %-6s %12s %10s %10s %8s\n' route records conns req/s p50_ms p99_ms errors
for recs in one fifty; do
  n=1; [ $recs = fifty ] && n=50
  SIGNED=$(sigv4 "$TMP/$recs.csv")
  : > "$TMP/native.res"; : > "$TMP/runtime.res"
  r=0
  while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    for route in native runtime; do
      HEADERS=$BEARER; [ $route = runtime ] && HEADERS=$SIGNED
      HEADERS=$HEADERS BODY="$TMP/$recs.csv" wrk -t2 -c"$CONNS" -d"$DUR" -s bench/serving/headers.lua "$URL" > "$TMP/wrk.out" 2>&1
      grep '^RESULT' "$TMP/wrk.out" >> "$TMP/$route.res" || { cat "$TMP/wrk.out" >&2; exit 1; }
    done
  done
  for route in native runtime; do
    # Sum requests and time over the rounds; p50/p99 are the rounds' medians' mean.
    sed 's/^RESULT //; s/[a-z0-9_]*=//g' "$TMP/$route.res" | awk -v s=$route -v n=$n -v c=$CONNS \
      '{ r += $1; e += $2; d += $3; p50 += $4; p99 += $5; k++ }
       END { printf "%-8s %-8d %-6d %12.0f %10.3f %10.3f %8d\n", s, n, c, r / (d / 1e6), p50 / k / 1000, p99 / k / 1000, e }'
  done
done
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
