#!/bin/sh
# Side-by-side benchmark of the fraud-detection preparation (join, ordinal
# maps, one-hot encoding, split, CSV outputs) on a synthetic pair of
# N-row claims + customers tables: Ferry's tabular_prepare against pandas
# (Debian's python3-pandas 1.5 + scikit-learn, as the tutorial's script).
# Reports wall time and peak resident memory (/usr/bin/time -v) of each,
# and checks that both wrote the same headers and row counts.
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
}

: >"$DIR/summary"
rm -rf "$DIR/ferry-out" "$DIR/pandas-out"
measure ferry "$DIR/ferryprep" -config examples/fraud-detection/prepare.yaml -in "$DIR" -out "$DIR/ferry-out"
measure pandas /usr/bin/python3 bench/prepare/prepare_pandas.py "$DIR" "$DIR/pandas-out"

for part in train/train validation/validation test/test full/dataset; do
	f=$(head -1 "$DIR/ferry-out/$part.csv")
	p=$(head -1 "$DIR/pandas-out/$part.csv")
	[ "$f" = "$p" ] || { echo "header of $part differs"; exit 1; }
	fr=$(wc -l <"$DIR/ferry-out/$part.csv")
	pr=$(wc -l <"$DIR/pandas-out/$part.csv")
	[ "$fr" = "$pr" ] || { echo "$part: ferry $fr lines, pandas $pr"; exit 1; }
done
echo "outputs agree: same headers and row counts"
echo "--- $N rows (Go $(go env GOVERSION); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$DIR/summary"
