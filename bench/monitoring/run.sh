#!/bin/sh
# Side-by-side benchmark of a data-quality monitoring run: Ferry's
# (read one hour of data capture, profile every record, check constraints
# and drift against a baseline, write statistics.json and
# constraint_violations.json) against Evidently's data drift report on the
# same captured data and reference set.
#
#   bench/monitoring/run.sh [N]     # default N = 1000000 records; from the repo root
#
# Evidently 0.7 needs pandas < 3, so it gets a venv of its own
# ($DIR/venv, from bench/monitoring/requirements.txt) instead of .venv.
set -eu
N=${1:-1000000}
DIR=${BENCH_DIR:-/tmp/ferry-bench-monitoring}
cd "$(dirname "$0")/../.."

if [ ! -f "$DIR/n" ] || [ "$(cat "$DIR/n")" != "$N" ]; then
	echo "generating $N captured records in $DIR"
	rm -rf "$DIR/capture" "$DIR/reference.csv"
	go run ./bench/monitoring/gen -n "$N" -out "$DIR"
	echo "$N" >"$DIR/n"
fi
if [ ! -x "$DIR/venv/bin/python" ]; then
	python3 -m venv "$DIR/venv"
	"$DIR/venv/bin/pip" install -q -r bench/monitoring/requirements.txt
fi
go build -o "$DIR/ferrymon" ./bench/monitoring/ferrymon

echo "--- $N records (Go $(go env GOVERSION); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
for i in 1 2 3; do
	"$DIR/ferrymon" -dir "$DIR"
done
"$DIR/venv/bin/python" -W ignore bench/monitoring/evidently_drift.py "$DIR" 2>/dev/null
echo "--- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
