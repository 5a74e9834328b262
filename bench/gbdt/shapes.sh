#!/bin/sh
# Data shapes for the boosted trees' whole jobs (issue 15, item 3): each
# case is a CSV of a shape users bring, trained as a user runs it, and
# beside it training alone.
#
#   ferry      `ferry train --train T.csv --label y -H objective=binary:logistic
#              -H max_depth=6 -H num_round=ROUNDS` (the whole CLI job: read,
#              train, training-set metrics, model written)
#   ferry-go   bench/gbdt/shapetrain: table.ReadCSV + gbdt.Train, phases timed
#   xgboost    bench/gbdt/job.py with the venv's XGBoost 3.x: pandas read_csv
#              + DMatrix + xgboost.train (hist), phases timed
#
# Cases (CASES, default all), 2% missing cells in the dense features:
#   dense500   100,000 x 500 dense
#   tall10     1,000,000 x 10 dense
#   onehot200  200,000 x 200: 50 dense + 150 sparse one-hot 0/1 columns
#              (10 categorical columns of 15 levels)
# Depth 6, ROUNDS (100) rounds, default settings, all cores; best of
# REPEAT (3) runs of each side, interleaved. Prints per case the best
# wall (with its CPU and peak memory) of the whole jobs, the best time of
# each phase, and the ratios
# Ferry / XGBoost (below 1: Ferry faster).
#
#   sh bench/gbdt/shapes.sh [WORKDIR]     # from anywhere; WORKDIR /tmp/ferry-gbdt-shapes
# Environment: CASES, ROUNDS, REPEAT, VENV_PYTHON (FERRY_TEST_PYTHON or
# .venv/bin/python3).
set -eu
work=${1:-/tmp/ferry-gbdt-shapes}
rounds=${ROUNDS:-100}
repeat=${REPEAT:-3}
cases=${CASES:-dense500 tall10 onehot200}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${VENV_PYTHON:-${FERRY_TEST_PYTHON:-$root/.venv/bin/python3}}
mkdir -p "$work"

cd "$root"
go build -o "$work/ferry" ./cmd/ferry
go build -o "$work/shapegen" ./bench/gbdt/shapegen
go build -o "$work/shapetrain" ./bench/gbdt/shapetrain

# timed NAME OUT command...: runs the command under /usr/bin/time and
# appends "wall peak_kb cpu_s" to OUT.
timed() {
	out=$1
	shift
	/usr/bin/time -v -o "$work/t.time" "$@" >"$work/t.out" 2>"$work/t.err" || {
		cat "$work/t.err" >&2
		exit 1
	}
	tw=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/t.time" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	tk=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/t.time")
	tc=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$work/t.time")
	echo "$tw $tk $tc" >>"$out"
}
field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
best() { sort -n "$1" | head -1; }
# each column's minimum (the phases: best of each phase)
bestcols() { awk '{ for (i = 1; i <= NF; i++) if (NR == 1 || $i < m[i]) m[i] = $i } END { print m[1], m[2], m[3] }' "$1"; }

echo "== whole jobs by data shape: depth 6, $rounds rounds, defaults; best of $repeat ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "   $("$venv" -c 'import xgboost, pandas; print("xgboost", xgboost.__version__, "pandas", pandas.__version__)'); Go $(go env GOVERSION)"
for c in $cases; do
	case $c in
	dense500) args="-rows 100000 -dense 500" desc="100,000 x 500 dense, 2% missing" ;;
	tall10) args="-rows 1000000 -dense 10" desc="1,000,000 x 10 dense, 2% missing" ;;
	onehot200) args="-rows 200000 -dense 50 -onehot 10 -levels 15" desc="200,000 x 200: 50 dense (2% missing) + 150 one-hot 0/1" ;;
	*) echo "unknown case $c" >&2; exit 2 ;;
	esac
	csv=$work/$c.csv
	[ -f "$csv" ] || "$work/shapegen" $args -missing 0.02 -out "$csv"
	: >"$work/$c.ferry"
	: >"$work/$c.go"
	: >"$work/$c.xgb"
	: >"$work/$c.go.phases"
	: >"$work/$c.xgb.phases"
	for i in $(seq "$repeat"); do
		rm -rf "$work/model"
		timed "$work/$c.ferry" "$work/ferry" train --train "$csv" --label y -H objective=binary:logistic \
			-H max_depth=6 -H num_round="$rounds" --output "$work/model"
		timed "$work/$c.go" "$work/shapetrain" "$csv" "$rounds"
		echo "$(field "$work/t.out" train_s) $(field "$work/t.out" read_s) $(field "$work/t.out" prepare_s)" >>"$work/$c.go.phases"
		timed "$work/$c.xgb" "$venv" "$here/job.py" xgboost "$csv" "$rounds"
		echo "$(field "$work/t.out" train_s) $(field "$work/t.out" read_s) $(field "$work/t.out" prepare_s)" >>"$work/$c.xgb.phases"
	done
	echo "-- $c: $desc ($(($(wc -c <"$csv") / 1048576)) MiB CSV)"
	awk -v f="$(best "$work/$c.ferry")" -v g="$(best "$work/$c.go")" -v x="$(best "$work/$c.xgb")" \
		-v gp="$(bestcols "$work/$c.go.phases")" -v xp="$(bestcols "$work/$c.xgb.phases")" 'BEGIN {
		split(f, a, " "); split(g, b, " "); split(x, c, " "); split(gp, p, " "); split(xp, q, " ")
		printf "   whole job  ferry train %6.2f s (CPU %6.2f s, %5d MiB) | xgboost job %6.2f s (CPU %6.2f s, %5d MiB) | ratio wall %.2fx CPU %.2fx memory %.2fx\n",
			a[1], a[3], a[2] / 1024, c[1], c[3], c[2] / 1024, a[1] / c[1], a[3] / c[3], a[2] / c[2]
		printf "   Go job     shapetrain  %6.2f s (CPU %6.2f s, %5d MiB) | ratio to the xgboost job: wall %.2fx CPU %.2fx\n",
			b[1], b[3], b[2] / 1024, b[1] / c[1], b[3] / c[3]
		printf "   phases     read: table.ReadCSV %.2f s vs pandas %.2f s (%.2fx); DMatrix %.2f s; training alone: gbdt.Train %.2f s vs xgboost.train %.2f s (%.2fx)\n",
			p[2], q[2], p[2] / q[2], q[3], p[1], q[1], p[1] / q[1]
	}'
done
