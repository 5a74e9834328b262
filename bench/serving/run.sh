#!/bin/sh
# Serving load benchmark: `ferry serve-model` against a Python server using
# Debian's xgboost (server.py), both serving the fraud model.json over
# loopback, measured with wrk in the same run, at 1 and 50 records per
# request.
#
# Usage: bench/serving/run.sh [DURATION] [CONNECTIONS]   (defaults 10s, 16)
# Env: FERRY (a built ferry binary; default: go build into a temp dir);
# FERRY_GOMAXPROCS (unset: all cores) runs ferry with that GOMAXPROCS. The
# Python server is effectively single-core (GIL, nthread 1), and with wrk
# on the same two cores GOMAXPROCS=1 removes most of ferry's p99 tail.
set -eu
cd "$(dirname "$0")/../.."
DUR=${1:-10s}
CONNS=${2:-16}
MODEL=gbdt/testdata/xgboost/fraud_autoclaims/model.json
DATA=gbdt/testdata/xgboost/fraud_autoclaims/data.csv
TMP=$(mktemp -d)
GOPID=""
PYPID=""
cleanup() {
  [ -n "$GOPID" ] && kill "$GOPID" 2>/dev/null || true
  [ -n "$PYPID" ] && kill "$PYPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if [ -z "${FERRY:-}" ]; then
  go build -o "$TMP/ferry" ./cmd/ferry
  FERRY=$TMP/ferry
fi
tail -n +2 "$DATA" | head -1 > "$TMP/one.csv"
tail -n +2 "$DATA" | head -50 > "$TMP/fifty.csv"

GOPORT=18480
PYPORT=18481
if [ -n "${FERRY_GOMAXPROCS:-}" ]; then
  GOMAXPROCS=$FERRY_GOMAXPROCS "$FERRY" serve-model "$MODEL" --port $GOPORT 2>"$TMP/ferry.log" &
else
  "$FERRY" serve-model "$MODEL" --port $GOPORT 2>"$TMP/ferry.log" &
fi
GOPID=$!
/usr/bin/python3 bench/serving/server.py "$MODEL" $PYPORT 2>"$TMP/py.log" &
PYPID=$!
for port in $GOPORT $PYPORT; do
  i=0
  until curl -sf "http://127.0.0.1:$port/ping" >/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "server on $port did not start" >&2; cat "$TMP"/*.log >&2; exit 1; }
    sleep 0.1
  done
done

# Both servers must give the same answers before we time them.
curl -sf -H 'Content-Type: text/csv' --data-binary @"$TMP/fifty.csv" "http://127.0.0.1:$GOPORT/invocations" > "$TMP/go.out"
curl -sf -H 'Content-Type: text/csv' --data-binary @"$TMP/fifty.csv" "http://127.0.0.1:$PYPORT/invocations" > "$TMP/py.out"
/usr/bin/python3 - "$TMP/go.out" "$TMP/py.out" <<'PY'
import sys
a = [float(x) for x in open(sys.argv[1])]
b = [float(x) for x in open(sys.argv[2])]
assert len(a) == len(b) == 50, (len(a), len(b))
d = max(abs(x - y) for x, y in zip(a, b))
assert d < 1e-6, d
print("predictions agree on 50 records (max abs diff %.2g)" % d)
PY

# Throughput at $CONNS connections, then latency with one connection (no
# queueing in front of the server).
printf '%-8s %-8s %-6s %12s %10s %10s %8s\n' server records conns req/s p50_ms p99_ms errors
for run in "one $CONNS" "fifty $CONNS" "one 1" "fifty 1"; do
  set -- $run
  recs=$1 conns=$2 threads=2
  [ "$conns" = 1 ] && threads=1
  n=1; [ $recs = fifty ] && n=50
  for srv in ferry python; do
    port=$GOPORT; [ $srv = python ] && port=$PYPORT
    BODY="$TMP/$recs.csv" wrk -t$threads -c"$conns" -d"$DUR" -s bench/serving/post.lua \
      "http://127.0.0.1:$port/invocations" > "$TMP/wrk.out" 2>&1
    line=$(grep '^RESULT' "$TMP/wrk.out") || { cat "$TMP/wrk.out" >&2; exit 1; }
    eval "$(echo "$line" | sed 's/^RESULT //')"
    awk -v s=$srv -v n=$n -v c=$conns -v r=$requests -v d=$duration_us -v p50=$p50_us -v p99=$p99_us -v e=$errors \
      'BEGIN { printf "%-8s %-8d %-6d %12.0f %10.3f %10.3f %8d\n", s, n, c, r / (d / 1e6), p50 / 1000, p99 / 1000, e }'
  done
done
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
