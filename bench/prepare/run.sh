#!/bin/sh
# Side-by-side benchmark of the fraud-detection preparation (join, ordinal
# maps, one-hot encoding, split, CSV outputs) on a synthetic pair of
# N-row claims + customers tables: Ferry's tabular_prepare against pandas
# (Debian's python3-pandas 1.5 + scikit-learn, as the tutorial's script)
# and polars (PyPI, multithreaded; $FERRY_TEST_PYTHON or .venv/bin/python3).
# Reports wall time, CPU time and peak resident memory (/usr/bin/time -v)
# of each, checks that all three wrote the same headers and row counts,
# and that Ferry's full dataset.csv is byte for byte polars'.
#
#   bench/prepare/run.sh [N]        # default N = 1000000; run from the repo root
set -eu
N=${1:-1000000}
DIR=${BENCH_DIR:-/tmp/ferry-bench-prepare}
cd "$(dirname "$0")/../.."

if [ ! -f "$DIR/n" ] || [ "$(cat "$DIR/n")" != "$N" ]; then
	echo "generating $N rows in $DIR"
	rm -rf "$DIR"
	go run ./bench/prepare/gen -n "$N" -out "$DIR"
	echo "$N" >"$DIR/n"
fi
go build -o "$DIR/ferryprep" ./bench/prepare/ferryprep

measure() { # name, command...
	name=$1
	shift
	/usr/bin/time -v "$@" >"$DIR/$name.out" 2>"$DIR/$name.time"
	cat "$DIR/$name.out"
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$DIR/$name.time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$DIR/$name.time")
	user=$(sed -n 's/.*User time (seconds): //p' "$DIR/$name.time")
	sys=$(sed -n 's/.*System time (seconds): //p' "$DIR/$name.time")
	printf '%-7s wall %s  CPU user %ss + sys %ss  peak RSS %d MiB\n' "$name" "$wall" "$user" "$sys" $((rss / 1024)) >>"$DIR/summary"
	# wall (h:mm:ss or m:ss.ss) and CPU in seconds, for the ratios
	echo "$wall $user $sys" | awk '{n = split($1, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i]; print w, $2 + $3}' >"$DIR/$name.secs"
}

ratio() { # a, b: a's wall and CPU over b's
	paste "$DIR/$1.secs" "$DIR/$2.secs" | awk -v a="$1" -v b="$2" '{printf "%s / %s: wall %.2fx  CPU %.2fx\n", a, b, $1 / $3, $2 / $4}'
}

: >"$DIR/summary"
PY=${FERRY_TEST_PYTHON:-.venv/bin/python3}
rm -rf "$DIR/ferry-out" "$DIR/pandas-out" "$DIR/polars-out"
measure ferry "$DIR/ferryprep" -config examples/fraud-detection/prepare.yaml -in "$DIR" -out "$DIR/ferry-out"
measure polars "$PY" bench/prepare/prepare_polars.py "$DIR" "$DIR/polars-out"
measure pandas /usr/bin/python3 bench/prepare/prepare_pandas.py "$DIR" "$DIR/pandas-out"

for part in train/train validation/validation test/test full/dataset; do
	f=$(head -1 "$DIR/ferry-out/$part.csv")
	fr=$(wc -l <"$DIR/ferry-out/$part.csv")
	for other in polars pandas; do
		o=$(head -1 "$DIR/$other-out/$part.csv")
		[ "$f" = "$o" ] || { echo "header of $part differs between ferry and $other"; exit 1; }
		or=$(wc -l <"$DIR/$other-out/$part.csv")
		[ "$fr" = "$or" ] || { echo "$part: ferry $fr lines, $other $or"; exit 1; }
	done
done
cmp -s "$DIR/ferry-out/full/dataset.csv" "$DIR/polars-out/full/dataset.csv" ||
	{ echo "full/dataset.csv: ferry's and polars' differ"; exit 1; }
echo "outputs agree: same headers and row counts; full/dataset.csv identical to polars'"
echo "--- $N rows (Go $(go env GOVERSION); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$DIR/summary"
ratio ferry polars
ratio ferry pandas
