#!/bin/sh
# GBDT benchmark: Ferry beside XGBoost 1.7 (Debian's python3-xgboost) in
# one run, same data, same hyperparameters, 2 threads.
#
#   bench/gbdt/run.sh [WORKDIR]          (from the repository root)
#
# Prints, for each side: training time (1M x 28, depth 6, eta 0.3, 100
# rounds), test AUC, batch prediction rows/s, single-row latency (Ferry:
# in process; XGBoost: inplace_predict from Python), TreeSHAP rows/s and
# peak memory (/usr/bin/time -v), then the ratios. Also the fraud-data
# quality check. Environment: ROUNDS (100), ROWS (1000000), NTHREAD (2).
set -eu
work=${1:-/tmp/ferry-gbdt-bench}
rounds=${ROUNDS:-100}
rows=${ROWS:-1000000}
nthread=${NTHREAD:-2}
py=/usr/bin/python3
mkdir -p "$work"
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$work/train.f32" ] || [ "$(cat "$work/rows" 2>/dev/null)" != "$rows" ]; then
	$py "$here/gen.py" "$work" "$rows" 200000
	echo "$rows" >"$work/rows"
fi
go build -o "$work/gbdtbench" "$here"
go build -o "$work/ferry" "$here/../../cmd/ferry"

echo "== fraud quality"
$py "$here/fraud_quality.py" "$work/ferry" "$work/fraud"

echo "== synthetic ${rows} x 28, ${rounds} rounds, depth 6, eta 0.3, ${nthread} threads"
/usr/bin/time -v -o "$work/ferry.time" "$work/gbdtbench" -data "$work" -rounds "$rounds" -nthread "$nthread" | tee "$work/ferry.out"
/usr/bin/time -v -o "$work/xgb.time" $py "$here/xgb_bench.py" "$work" "$rounds" "$nthread" 10000 | tee "$work/xgb.out"

field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
f_rss=$(rss "$work/ferry.time")
x_rss=$(rss "$work/xgb.time")
echo "ferry peak_rss_mb=$((f_rss / 1024))  xgboost peak_rss_mb=$((x_rss / 1024))"
awk -v ft="$(field "$work/ferry.out" train_s)" -v xt="$(field "$work/xgb.out" train_s)" \
	-v fp="$(field "$work/ferry.out" predict_rows_per_s)" -v xp="$(field "$work/xgb.out" predict_rows_per_s)" \
	-v fs="$(field "$work/ferry.out" shap_rows_per_s)" -v xs="$(field "$work/xgb.out" shap_rows_per_s)" \
	-v fa="$(field "$work/ferry.out" test_auc)" -v xa="$(field "$work/xgb.out" test_auc)" \
	-v fc="$(field "$work/ferry.out" train_cpu_s)" -v xc="$(field "$work/xgb.out" train_cpu_s)" \
	-v fpc="$(field "$work/ferry.out" predict_rows_per_cpu_s)" -v xpc="$(field "$work/xgb.out" predict_rows_per_cpu_s)" \
	-v fsc="$(field "$work/ferry.out" shap_rows_per_cpu_s)" -v xsc="$(field "$work/xgb.out" shap_rows_per_cpu_s)" \
	-v fr="$f_rss" -v xr="$x_rss" 'BEGIN {
	printf "ratios (wall): train time ferry/xgboost %.2fx; batch predict %.2fx; TreeSHAP %.2fx; peak memory %.2fx; test AUC diff %+.5f\n",
		ft / xt, fp / xp, fs / xs, fr / xr, fa - xa
	printf "ratios (CPU seconds, fairer on a shared machine): train %.2fx; batch predict %.2fx; TreeSHAP %.2fx\n",
		fc / xc, fpc / xpc, fsc / xsc
}'
